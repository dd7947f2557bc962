#pragma once

#include <functional>
#include <string>

#include "audit/log.hpp"
#include "ca/issuance_journal.hpp"
#include "ca/x509.hpp"
#include "common/clock.hpp"
#include "store/certificates.hpp"

namespace signet::ca {

// Boulder's issuance cycle (docs/ISSUANCE-CYCLE.md there; DESIGN.md invariant 2 here), shared by
// the key ceremony and the Authority:
//   1. draw a serial; build the to-be-signed certificate, with the issuer's signature algorithm
//      set and an empty signature, which fixes the tbsCertificate bytes without signing;
//   2. reserve: commit the row (status 'reserved') holding the serial and that TBS;
//   3. lint it; on any finding the row becomes 'abandoned' and nothing is signed;
//   4. sign the same certificate in the HSM and check its tbsCertificate is byte for byte the
//      one stored and linted (else 'abandoned', and the signed certificate is dropped unseen);
//   5. commit the certificate ('issued') with its audit event (deferred: through the audit
//      outbox, drained into the log in batches).
// A crash between 2 and 5 leaves a 'reserved' row and no certificate anyone has seen: no signed
// certificate ever exists without its row.

// Who signs: a CA certificate and its key (for a self-signed root, certificate is nullptr and
// the key is the subject's own).
struct Issuer {
    std::string name;
    const X509* certificate = nullptr;
    EVP_PKEY* key = nullptr;
    KeyType key_type = KeyType::ec_p256;
};

// What the cycle needs from its surroundings.
struct IssuanceContext {
    store::Database& database;
    store::CertificateRepository& certificates;
    audit::AuditLog& audit;
    const Clock& clock;
    std::function<Bytes(std::size_t)> random;  // the HSM's C_GenerateRandom
    // Called after the reservation is committed, before the HSM signs: tests inject a crash.
    std::function<void(const store::CertificateRecord&)> after_reservation;
    // Where steps 2 and 5 commit when set (the Authority's group commit), except for a draft
    // with `also`; nullptr: a transaction of their own through `database` (the ceremony).
    IssuanceJournal* journal = nullptr;
};

// One certificate to issue. `record` carries everything but the serial, TBS, status and times,
// which the cycle fills; `tmpl.serial` is drawn here.
struct IssuanceDraft {
    CertificateTemplate tmpl;
    // The subject's public key: record.public_key (SubjectPublicKeyInfo DER), which the
    // certificate copies as it is; when that is empty, subject_key, whose DER fills it.
    EVP_PKEY* subject_key = nullptr;
    store::CertificateRecord record;
    std::string actor;                                        // for the audit events
    nlohmann::json audit_details = nlohmann::json::object();  // added to certificate.issued
    // Further writes that must commit with the certificate (the ceremony's CA rows).
    std::function<void(store::Connection&, const store::CertificateRecord&)> also;
    // Checked once the reservation is durable, before the HSM signs: throws signet::Error when
    // what allowed the issuance no longer holds (the subject was deactivated or changed since it
    // was read), and the row is abandoned. With Authority::revoke_subject abandoning the
    // subject's reserved rows after such a change commits, no certificate is issued for a
    // subject on the strength of a state it has left (see Authority::issue).
    std::function<void()> still_allowed;
};

struct Issued {
    Issued() = default;
    explicit Issued(store::CertificateRecord stored) : record(std::move(stored)) {}

    store::CertificateRecord record;  // as stored: status 'issued', der set
    // The certificate decoded from record.der on first use, then kept. Not decoded up front:
    // in OpenSSL 3.0 decoding a certificate (its public key, through the providers' decoders)
    // costs more CPU than the HSM's signature, and the API answers from the record alone. The
    // first use is not for two threads at once.
    X509* certificate() const;

  private:
    mutable X509Ptr decoded_;
};

// Runs the cycle. Errors: Errc::failed_precondition listing the lint findings (row
// 'abandoned'); Errc::unavailable when the database is (nothing signed if it was down before
// step 4; if it goes down at step 5 the row stays 'reserved' and the certificate is dropped);
// the HSM's errors from signing (row stays 'reserved').
Issued issue_certificate(IssuanceContext& context, const Issuer& issuer, IssuanceDraft draft);

}  // namespace signet::ca
