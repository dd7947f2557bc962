#include "ca/responder_renewal.hpp"

#include <algorithm>

#include "ca/issuance.hpp"
#include "ca/name.hpp"
#include "common/algorithms.hpp"
#include "common/error.hpp"
#include "hsm/bridge.hpp"

namespace signet::ca {

namespace {

// A session-level advisory lock on a connection of its own, held while renewing (the
// issuance cycle takes its own connections for its transactions).
class RenewalLock {
  public:
    explicit RenewalLock(store::Database& database) : lease_(database.acquire()) {
        held_ = lease_
                    ->exec("SELECT pg_try_advisory_lock($1::bigint)",
                           {store::advisory_lock::kOcspResponderRenewal})
                    .one()[0]
                    .boolean();
    }
    RenewalLock(const RenewalLock&) = delete;
    RenewalLock& operator=(const RenewalLock&) = delete;
    ~RenewalLock() {
        if (!held_)
            return;
        try {
            lease_->exec("SELECT pg_advisory_unlock($1::bigint)",
                         {store::advisory_lock::kOcspResponderRenewal});
        } catch (const Error&) {
            // The connection is gone, and the lock with its session.
        }
    }
    bool held() const noexcept { return held_; }

  private:
    store::Database::Lease lease_;
    bool held_ = false;
};

void renew(const ResponderRenewal& r, const store::CaRecord& ca,
           const store::CertificateRecord& current, TimePoint now) {
    const auto ca_row = r.certificates.find(ca.serial);
    if (!ca_row)
        throw Error(Errc::internal, "CA '" + ca.name + "' has no certificate row");
    const X509Ptr ca_certificate = certificate_from_der(ca.certificate);
    const EvpPkeyPtr ca_key = hsm::bridge_key(r.token.find_key(ca.key_label));
    // The same key: it must still be in the HSM (Errc::not_found otherwise).
    r.token.find_key(*current.key_label);

    IssuanceDraft draft;
    draft.actor = r.actor;
    draft.tmpl.subject = parse_distinguished_name(current.subject_dn);
    draft.tmpl.not_before = now;
    draft.tmpl.not_after = std::min<TimePoint>(
        now + r.settings.responder_validity - std::chrono::seconds(1), ca_row->not_after);
    if (draft.tmpl.not_after <= now)
        throw Error(Errc::failed_precondition,
                    "CA '" + ca.name + "' has expired: its OCSP responder cannot be renewed");
    set_ocsp_responder_profile(draft.tmpl);  // the ceremony's
    draft.record.purpose = "ocsp";
    draft.record.profile = "ocsp";
    draft.record.key_type = current.key_type;
    draft.record.key_source = "hsm-token";
    draft.record.key_label = current.key_label;
    draft.record.public_key = current.public_key;  // copied as it is: the same key
    const std::string role = "ocsp:" + ca.name;
    draft.also = [&](store::Connection& tx, const store::CertificateRecord& record) {
        r.certificates.replace_service(tx, role, record.serial, *record.issued_at);
        r.audit.record(tx, {"ocsp.responder_renewed",
                            r.actor,
                            "ca:" + ca.name,
                            {{"serial", to_hex(record.serial)},
                             {"replaces", to_hex(current.serial)},
                             {"not_after", format_utc(record.not_after)}}});
    };
    IssuanceContext context{r.database,
                            r.certificates,
                            r.audit,
                            r.clock,
                            [&](std::size_t n) { return r.token.random(n); },
                            {},
                            nullptr};
    issue_certificate(
        context, Issuer{ca.name, ca_certificate.get(), ca_key.get(), parse_key_type(ca.key_type)},
        std::move(draft));
}

}  // namespace

std::vector<std::string> renew_ocsp_responders(const ResponderRenewal& r) {
    std::vector<std::string> renewed;
    RenewalLock lock(r.database);
    if (!lock.held())
        return renewed;
    for (const auto& ca : r.certificates.list_cas()) {
        if (ca.role != "issuing")
            continue;
        // Read under the lock: a renewal another node finished a moment ago is seen here.
        const auto current = r.certificates.find_service("ocsp:" + ca.name);
        // A revoked responder certificate is never renewed for the same key (it may have been
        // compromised): the operator makes a new key (health reports it meanwhile).
        if (!current || !current->key_label || current->status != "issued")
            continue;
        const TimePoint now = std::chrono::time_point_cast<std::chrono::seconds>(r.clock.now());
        if (current->not_after - now > r.settings.responder_renew_before)
            continue;
        renew(r, ca, *current, now);
        renewed.push_back(ca.name);
    }
    return renewed;
}

}  // namespace signet::ca
