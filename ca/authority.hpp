#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "audit/log.hpp"
#include "ca/crl.hpp"
#include "ca/issuance.hpp"
#include "common/clock.hpp"
#include "hsm/token.hpp"
#include "policy/config.hpp"
#include "store/certificates.hpp"
#include "store/subjects.hpp"

namespace signet::ca {

// A certificate request from the API or the CLI.
struct IssueRequest {
    std::int64_t subject_id = 0;
    std::string profile;
    // A PKCS#10 request (DER or PEM) proving possession of the subject's key; absent: the HSM
    // generates the key and it is kept wrapped under ca.user_key_kek (DESIGN.md invariant 1).
    std::optional<Bytes> csr;
    std::optional<KeyType> key_type;  // for an HSM-generated key; default the profile's first
    std::string actor;                // "client:NAME", "operator:NAME"
};

// The certificate authority: issues certificates for subjects under the configured profiles,
// revokes them and publishes CRLs. The CA keys stay in the HSM; the CAs are those the key
// ceremony recorded. Thread-safe; concurrent issuances commit their writes together
// (GroupCommitIssuanceJournal).
class Authority {
  public:
    struct Dependencies {
        std::shared_ptr<hsm::Token> token;
        store::Database& database;
        store::CertificateRepository& certificates;
        store::SubjectReader& subjects;
        audit::AuditLog& audit;
        const Clock& clock;
        policy::CaSettings settings;
    };
    explicit Authority(Dependencies dependencies);

    // Errors, each changing nothing: Errc::not_found (subject, profile, the profile's CA);
    // invalid_argument (a bad CSR, a key type the profile does not allow); failed_precondition
    // (a deactivated subject, the subject's assurance level is below the profile's, the DN
    // template cannot be filled, lint findings).
    Issued issue(const IssueRequest& request);

    // 'issued' -> 'revoked', with RFC 5280 reason and invalidity date; then NOTIFY
    // signet_certificate_status (the OCSP source listens) and a new CRL of its CA (if that
    // fails, the revocation stands and refresh_crls makes the CRL).
    // Errc::not_found, failed_precondition (already revoked, never signed), invalid_argument
    // (invalidity date in the future).
    store::CertificateRecord revoke(ByteView serial, RevocationReason reason,
                                    std::optional<TimePoint> invalidity_date,
                                    const std::string& actor);

    // Revokes every 'issued' certificate of the subject with `reason` (the RA: superseded when
    // its identity changed, cessationOfOperation when it is deactivated), each as revoke() does,
    // then one new CRL per CA concerned. First abandons the subject's 'reserved' rows (audit
    // "certificate.abandoned"), so an issuance under way for the old state fails. Returns the
    // serials revoked (hex); a certificate that another caller revoked meanwhile is skipped.
    // Errc::invalid_argument for removeFromCRL.
    std::vector<std::string> revoke_subject(std::int64_t subject_id, RevocationReason reason,
                                            const std::string& actor);

    // Signs and stores the next full CRL of `ca_name`.
    store::CrlRecord publish_crl(const std::string& ca_name, const std::string& actor);

    // Publishes a CRL for every CA whose newest CRL is older than ca.crl.refresh, or that has
    // none, or whose nextUpdate has passed, or that misses a revocation. CAs whose key is not in
    // this HSM (an offline root) are skipped. Returns the CRLs published.
    std::vector<store::CrlRecord> refresh_crls(const std::string& actor = "system");

    // The group commit's counters (signet_ca_commit_*) for /metrics.
    void register_metrics(MetricsRegistry& metrics) { journal_->register_metrics(metrics); }

    // For tests: called after the reservation is committed, before the HSM signs.
    void set_after_reservation(std::function<void(const store::CertificateRecord&)> hook);

  private:
    void abandon_reserved(std::int64_t subject_id, const std::string& actor);

    struct LoadedCa {
        store::CaRecord record;
        X509Ptr certificate;
        KeyType key_type;
        EvpPkeyPtr key;  // a bridge key: signing happens in the HSM
    };
    std::shared_ptr<const LoadedCa> load_ca(const std::string& name);
    // The revocation's transaction (row, NOTIFY, audit event), without the CRL.
    store::CertificateRecord record_revocation(ByteView serial, RevocationReason reason,
                                               std::optional<TimePoint> invalidity_date,
                                               const std::string& actor);
    IssuanceContext context();

    Dependencies deps_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const LoadedCa>> cas_;
    std::function<void(const store::CertificateRecord&)> after_reservation_;
    // Concurrent issuances share their reservations' and completions' transactions. Last, so
    // it is gone (its writers joined) before what it writes through.
    std::unique_ptr<GroupCommitIssuanceJournal> journal_;
};

// The subject DN of `subject` under `subject_template` (RFC 4514 text, as in the profile):
// {name}, {organization}, {country} and {id_masked} are replaced by the subject's values as they
// are (each attribute's value is put into the certificate verbatim: no escaping); an attribute
// whose value is empty after the replacement is left out. Errc::failed_precondition for a
// template that does not parse, an unknown {variable}, or a DN with no attribute left.
DistinguishedName subject_dn(const std::string& subject_template, const store::Subject& subject);

// What the registration authority revokes with (ra::RevokeSubjectCertificates): every issued
// certificate of a subject, with RFC 5280 §5.3.1's superseded when its identity changed and
// cessationOfOperation when it was deactivated. `authority` must outlive the function.
std::function<std::vector<std::string>(std::int64_t subject_id, bool superseded,
                                       const std::string& actor)>
subject_revoker(Authority& authority);

}  // namespace signet::ca
