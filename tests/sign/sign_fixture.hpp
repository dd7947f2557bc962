#pragma once

// The signing tests' bed: a real SoftHSM token and PostgreSQL, a key ceremony (a root, an issuing
// CA with a delegated OCSP responder, a TSA), an Authority issuing person certificates for keys
// the HSM generates and keeps wrapped (DESIGN.md invariant 1), the TSA responder in process, the
// OCSP responder's signer, CRLs; and the openssl command line as the independent verifier.
#include <openssl/cms.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audit/log.hpp"
#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "hsm/token.hpp"
#include "ocsp/hsm_signer.hpp"
#include "ocsp/responder_keys.hpp"
#include "sign/cms_signature.hpp"
#include "sign/tsa_time_stamper.hpp"
#include "sign/validation_data.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "store/subjects.hpp"
#include "store/tsa_tokens.hpp"
#include "tests/support/process.hpp"
#include "tsa/journal.hpp"
#include "tsa/responder.hpp"

namespace signet::testing {

// A person's signing key: the certificate the CA issued for a key the HSM made and wrapped.
struct Person {
    ca::Issued issued;
    sign::CmsSigner signer;  // the wrapped key's signer, the certificate, the issuing CA
};

struct SignFixture {
    explicit SignFixture(const std::string& database_name);
    ~SignFixture();

    // A person certificate (profile "personal": ec-p256, rsa-2048) for a wrapped HSM key.
    Person issue_person(KeyType type);
    sign::TimeStamper time_stamper();
    // Signs `content` with the person's key, B-T, through the TSA in process.
    Bytes sign(const Person& person, ByteView content, sign::CmsSignOptions options = {},
               Digest digest = Digest::sha256);
    // What B-LT adds for `person`: the chain and the TSA's certificates (root included), OCSP
    // responses (the issuing CA's responder) for the person's and the TSA's certificates, and
    // the root's CRL for the issuing CA.
    sign::ValidationData validation_data(const Person& person);
    Bytes ocsp_response(const store::CertificateRecord& record);
    Bytes root_crl();

    // Writes `bytes` under dir and returns the path.
    std::string save(const std::string& name, ByteView bytes) const;
    std::string root_pem() const { return (dir.path() / "root.pem").string(); }
    std::string issuing_pem() const { return (dir.path() / "issuing.pem").string(); }

    TempDir dir{"signet-sign-test"};
    std::shared_ptr<hsm::Token> token;
    std::unique_ptr<store::Database> database;
    std::shared_ptr<ManualClock> clock;
    std::unique_ptr<audit::PostgresAuditLog> audit;
    std::unique_ptr<store::PostgresCertificates> certificates;
    std::unique_ptr<store::PostgresSubjects> subjects;
    std::unique_ptr<ca::Authority> authority;
    std::int64_t subject_id = 0;
    X509Ptr root, issuing, tsa_certificate;
    store::CertificateRecord tsa_record;
    std::unique_ptr<store::PostgresTsaTokens> tsa_tokens;
    std::shared_ptr<tsa::GroupCommitJournal> journal;
    std::unique_ptr<tsa::Responder> tsa;
    std::unique_ptr<ocsp::ResponderKeys> responder_keys;
    std::unique_ptr<ocsp::HsmResponseSigner> ocsp_signer;
};

// `openssl cms -verify -binary -content CONTENT -inform DER -CAfile root.pem -purpose any`.
CommandResult openssl_cms_verify(const SignFixture& f, const std::string& cms_path,
                                 const std::string& content_path);
// `openssl cms -cmsout -print -inform DER -in CMS`.
std::string openssl_cms_print(const std::string& cms_path);

// The DER value of the first signature-time-stamp attribute of the first SignerInfo, and the
// signature value it should be over (read with OpenSSL's CMS API).
struct StampedSignature {
    Bytes token;
    Bytes signature_value;
};
StampedSignature stamped_signature(ByteView cms_der);

// The CMS re-encoded by OpenSSL after `edit` changed its first SignerInfo (tests make B-B
// signatures and swapped tokens so).
Bytes edit_signer_info(ByteView cms_der, const std::function<void(CMS_SignerInfo*)>& edit);

}  // namespace signet::testing
