#pragma once

// The contract signing benchmark's bed (ops/bench_sign.cpp): everything signetd runs for a
// signature, in this process on real parts — a throwaway SoftHSM token, the embedded PostgreSQL
// (fsync on), a key ceremony (root, issuing CA with its OCSP responder, TSA), the CA issuing two
// persons' certificates for wrapped HSM keys, the RA with its one-time passwords, the document
// vault, the contract service with our TSA stamping every event, and the signing service.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "audit/log.hpp"
#include "ca/authority.hpp"
#include "hsm/token.hpp"
#include "ra/hsm_keys.hpp"
#include "ra/otp.hpp"
#include "ra/registry.hpp"
#include "ra/totp.hpp"
#include "sign/contract_signing.hpp"
#include "sign/contracts.hpp"
#include "sign/document_vault.hpp"
#include "store/certificates.hpp"
#include "store/contracts.hpp"
#include "store/database.hpp"
#include "store/documents.hpp"
#include "store/embedded_postgres.hpp"
#include "store/otp.hpp"
#include "store/subjects.hpp"
#include "store/tsa_tokens.hpp"
#include "tests/support/process.hpp"
#include "tsa/journal.hpp"
#include "tsa/responder.hpp"

namespace signet::bench {

// What a synthetic PDF's pages hold, each about 1 MiB.
enum class PdfPages {
    text,   // an uncompressed content stream of text (deflates about 20 to 1)
    scans,  // one image of noise each, as a scanned page's JPEG is to deflate: incompressible
};

// A PDF of about `size` bytes that the intake accepts, pages of `pages`.
Bytes synthetic_pdf(std::size_t size, PdfPages pages = PdfPages::text);

// Validation data as signetd serves it: OCSP responses pre-signed once per certificate by the
// issuing CA's delegated responder (signetd's pre-signed cache), the root's CRL for the issuing
// CA's certificate; looked up in memory.
class PresignedValidation final : public sign::ValidationSource {
  public:
    sign::ValidationData status_of(const X509* certificate, const X509* issuer) override;
    std::map<Bytes, Bytes> ocsp_by_certificate;  // certificate DER -> OCSPResponse DER
    Bytes root_crl;
};

std::unique_ptr<store::EmbeddedPostgres> start_postgres(const testing::TempDir& dir);
std::unique_ptr<store::Database> open_database(store::EmbeddedPostgres& postgres);

struct SignBed {
    // `threads`: the most signing threads the benchmark runs (the HSM's session pool).
    // `evidence_keys`: the ceremony also makes the evidence seal and the audit checkpoint key
    // (what evidence packages need; ops/bench_evidence_package.cpp).
    explicit SignBed(int threads, bool evidence_keys = false);
    ~SignBed();

    // A contract of `format` ("pdf" or "bytes") over `document`, signed by alice then bob,
    // created and sent.
    std::string sent_contract(const std::string& format, ByteView document);
    // Signer 1 signs: an SMS code asked for and given back, then the signature.
    void sign_first(const std::string& contract_id);
    // Signer `position` (1-based) signs the same way.
    void sign_as(const std::string& contract_id, int position);

    testing::TempDir dir{"signet-bench-sign"};
    std::shared_ptr<hsm::Token> token;
    // Durable: fsync and synchronous commit as in production, so the figure includes them.
    std::unique_ptr<store::EmbeddedPostgres> postgres = start_postgres(dir);
    std::unique_ptr<store::Database> database = open_database(*postgres);
    SystemClock clock;
    std::unique_ptr<audit::PostgresAuditLog> audit;
    store::PostgresCertificates certificates{*database};
    store::PostgresSubjects subjects{*database};
    std::unique_ptr<ca::Authority> authority;
    store::PostgresTsaTokens tsa_tokens{*database};
    std::shared_ptr<tsa::GroupCommitJournal> journal;
    std::shared_ptr<tsa::Responder> tsa;
    std::unique_ptr<ra::Registry> registry;
    store::PostgresOtp otp_store;
    std::unique_ptr<ra::HsmOtpCrypto> otp_crypto;
    std::unique_ptr<ra::OtpLockouts> lockouts;
    std::unique_ptr<ra::OtpChallenges> challenges;
    std::unique_ptr<ra::Totp> totp;
    store::PostgresDocuments documents;
    store::PostgresContracts contracts;
    std::unique_ptr<sign::DocumentVault> vault;
    std::unique_ptr<sign::Contracts> service;
    PresignedValidation validation;
    std::unique_ptr<sign::ContractSigning> signing;
    std::int64_t alice = 0, bob = 0;
    store::CertificateRecord alice_certificate;
    std::atomic<bool> stop_drainer{false};
    std::thread drainer;
};

}  // namespace signet::bench
