#include "ca/authority.hpp"

#include <openssl/x509.h>

#include <set>

#include "ca/csr.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "hsm/bridge.hpp"

namespace signet::ca {

namespace {

std::chrono::system_clock::time_point to_seconds(Clock::time_point t) {
    return std::chrono::time_point_cast<std::chrono::seconds>(t);
}

const policy::CertificateProfile& profile_of(const policy::CaSettings& settings,
                                             const std::string& name) {
    const auto it = settings.profiles.find(name);
    if (it == settings.profiles.end()) {
        std::string known;
        for (const auto& [n, p] : settings.profiles)
            known += (known.empty() ? "" : ", ") + n;
        throw Error(Errc::not_found, "no certificate profile named " + quote_input(name) +
                                         " (configured: " + (known.empty() ? "none" : known) + ")");
    }
    return it->second;
}

}  // namespace

std::function<std::vector<std::string>(std::int64_t, bool, const std::string&)> subject_revoker(
    Authority& authority) {
    return [&authority](std::int64_t subject_id, bool superseded, const std::string& actor) {
        return authority.revoke_subject(subject_id,
                                        superseded ? RevocationReason::superseded
                                                   : RevocationReason::cessation_of_operation,
                                        actor);
    };
}

DistinguishedName subject_dn(const std::string& subject_template, const store::Subject& subject) {
    const std::map<std::string, std::string, std::less<>> values{
        {"name", subject.name},
        {"organization", subject.organization},
        {"country", subject.country},
        {"id_masked", subject.id_masked}};
    const auto refuse = [&](const std::string& why) {
        return Error(Errc::failed_precondition,
                     "subject template " + quote_input(subject_template) + ": " + why);
    };
    DistinguishedName parsed;
    try {
        parsed = parse_distinguished_name(subject_template);
    } catch (const Error& e) {
        throw refuse(e.what());
    }
    DistinguishedName dn;
    for (const auto& [type, pattern] : parsed) {
        // The subject's values go in verbatim: the DN is built attribute by attribute
        // (make_name), never written out as RFC 4514 text and parsed back.
        std::string value;
        for (std::size_t i = 0; i < pattern.size(); ++i) {
            if (pattern[i] != '{') {
                value.push_back(pattern[i]);
                continue;
            }
            const auto close = pattern.find('}', i);
            if (close == std::string::npos)
                throw refuse("unclosed '{'");
            const std::string_view variable =
                std::string_view(pattern).substr(i + 1, close - i - 1);
            const auto it = values.find(variable);
            if (it == values.end())
                throw refuse("unknown {" + std::string(variable) +
                             "} (name, organization, country, id_masked)");
            value += it->second;
            i = close;
        }
        if (!value.empty())  // e.g. O={organization} for a person without one
            dn.push_back({type, std::move(value)});
    }
    if (dn.empty())
        throw refuse("it gives an empty DN");
    return dn;
}

Authority::Authority(Dependencies dependencies)
    : deps_(std::move(dependencies)),
      journal_(std::make_unique<GroupCommitIssuanceJournal>(deps_.database, deps_.certificates,
                                                            deps_.audit)) {}

void Authority::set_after_reservation(std::function<void(const store::CertificateRecord&)> hook) {
    std::lock_guard lock(mutex_);
    after_reservation_ = std::move(hook);
}

IssuanceContext Authority::context() {
    std::lock_guard lock(mutex_);
    return IssuanceContext{deps_.database,
                           deps_.certificates,
                           deps_.audit,
                           deps_.clock,
                           [token = deps_.token](std::size_t n) { return token->random(n); },
                           after_reservation_,
                           journal_.get()};
}

std::shared_ptr<const Authority::LoadedCa> Authority::load_ca(const std::string& name) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = cas_.find(name); it != cas_.end())
            return it->second;
    }
    auto record = deps_.certificates.find_ca(name);
    if (!record)
        throw Error(Errc::not_found,
                    "no CA named '" + name + "' (the key ceremony creates the CAs)");
    auto ca = std::make_shared<LoadedCa>();
    ca->certificate = certificate_from_der(record->certificate);
    ca->key_type = parse_key_type(record->key_type);
    ca->key = hsm::bridge_key(deps_.token->find_key(record->key_label));
    ca->record = std::move(*record);
    std::lock_guard lock(mutex_);
    return cas_.emplace(name, std::move(ca)).first->second;
}

namespace {

// Whether the CA may issue for `subject` under `profile` (issue 12): a subject that is active,
// meets intake's rules and the profile's assurance level.
void check_issuable(const store::Subject& subject, const policy::CertificateProfile& profile,
                    const std::string& profile_name) {
    // The rules intake applied (store::validate_subject): a subject stored before them, or
    // written around them, is refused here rather than found out by lint.
    try {
        store::validate_subject(subject);
    } catch (const Error& e) {
        throw Error(Errc::failed_precondition, "subject " + std::to_string(subject.id) +
                                                   " cannot be issued for: " + e.what());
    }
    if (subject.status == "deactivated")
        throw Error(Errc::failed_precondition,
                    "subject " + std::to_string(subject.id) + " is deactivated");
    if (subject.assurance_level < static_cast<int>(profile.required_assurance)) {
        throw Error(Errc::failed_precondition,
                    "subject " + std::to_string(subject.id) + " has identity assurance level " +
                        std::to_string(subject.assurance_level) + "; profile '" + profile_name +
                        "' requires " + std::to_string(profile.required_assurance));
    }
}

// Whether what a certificate of the subject says, and what allows it, is the same in `before`
// and `after`: the attributes a DN template may use, the identity behind them and its level.
// Fields are compared rather than updated_at, which the injected clock may leave unchanged.
bool same_certified_attributes(const store::Subject& before, const store::Subject& after) {
    return before.kind == after.kind && before.name == after.name &&
           before.organization == after.organization && before.country == after.country &&
           before.id_masked == after.id_masked && before.document_kind == after.document_kind &&
           before.document_hmac == after.document_hmac &&
           before.legal_representative_id == after.legal_representative_id &&
           before.assurance_level == after.assurance_level && before.status == after.status;
}

}  // namespace

Issued Authority::issue(const IssueRequest& request) {
    const auto& profile = profile_of(deps_.settings, request.profile);
    const auto subject = deps_.subjects.find(request.subject_id);
    if (!subject)
        throw Error(Errc::not_found, "no subject with id " + std::to_string(request.subject_id));
    check_issuable(*subject, profile, request.profile);
    DistinguishedName dn = subject_dn(
        profile.subject_template.empty() ? "CN={name}" : profile.subject_template, *subject);
    const auto issuer = load_ca(profile.issuer);

    IssuanceDraft draft;
    draft.actor = request.actor;
    draft.record.purpose = "subject";
    draft.record.profile = request.profile;
    draft.record.subject_id = subject->id;
    // The subject as read above may have been deactivated or changed (its identity, its level)
    // before the reservation committed. Read once more after it: a change that committed before
    // this read is seen here, and one that commits after it finds the row reserved (or issued)
    // when revoke_subject runs, and abandons (or revokes) it.
    draft.still_allowed = [this, &profile, &request, seen = *subject] {
        const auto now = deps_.subjects.find(request.subject_id);
        if (!now)
            throw Error(Errc::failed_precondition,
                        "subject " + std::to_string(request.subject_id) + " is gone");
        check_issuable(*now, profile, request.profile);
        if (!same_certified_attributes(seen, *now))
            throw Error(Errc::failed_precondition,
                        "subject " + std::to_string(request.subject_id) +
                            " changed while its certificate was being issued; ask again");
    };

    EvpPkeyPtr subject_key;
    if (request.csr) {
        if (request.key_type)
            throw Error(Errc::invalid_argument,
                        "key_type is for HSM-generated keys; a CSR names its own key");
        auto csr = parse_certificate_request(*request.csr, profile.key_types);
        subject_key = std::move(csr.public_key);
        draft.record.public_key = std::move(csr.public_key_info);
        draft.record.key_type = std::string(to_string(csr.key_type));
        draft.record.key_source = "csr";
    } else {
        const KeyType type = request.key_type.value_or(profile.key_types.front());
        if (std::ranges::find(profile.key_types, type) == profile.key_types.end()) {
            throw Error(Errc::invalid_argument, "key type " + std::string(to_string(type)) +
                                                    " is not allowed by profile '" +
                                                    request.profile + "'");
        }
        auto wrapped = deps_.token->generate_wrapped_key(type, deps_.settings.user_key_kek);
        // Not decoded into a key: the certificate copies the SubjectPublicKeyInfo as it is,
        // and lint reads the certificate's DER back and builds the key from it.
        draft.record.public_key = std::move(wrapped.public_key_der);
        draft.record.key_type = std::string(to_string(type));
        draft.record.key_source = "hsm-wrapped";
        draft.record.wrapped_key = std::move(wrapped.wrapped_private_key);
        draft.record.kek_label = deps_.settings.user_key_kek;
    }
    draft.subject_key = subject_key.get();

    // Whole seconds (X.509 times have no fractions); the last second is included (RFC 5280
    // §4.1.2.5: the validity period includes both dates), hence the one second less.
    const TimePoint not_before = to_seconds(deps_.clock.now());
    draft.tmpl.subject = std::move(dn);
    draft.tmpl.not_before = not_before;
    draft.tmpl.not_after =
        not_before + std::chrono::days(profile.validity_days) - std::chrono::seconds(1);
    draft.tmpl.key_usage = profile.key_usage;
    draft.tmpl.extended_key_usage = profile.extended_key_usage;
    // RFC 3161 §2.3: a TSA certificate's only EKU, critical.
    draft.tmpl.eku_critical =
        profile.extended_key_usage == std::vector<std::string>{"1.3.6.1.5.5.7.3.8"};
    draft.tmpl.certificate_policies = profile.certificate_policies;
    draft.tmpl.ocsp_url = profile.ocsp_url;
    draft.tmpl.ca_issuers_url = profile.ca_issuers_url;
    draft.tmpl.crl_distribution_point = profile.crl_distribution_point;

    Issuer signer{issuer->record.name, issuer->certificate.get(), issuer->key.get(),
                  issuer->key_type};
    auto ctx = context();
    return issue_certificate(ctx, signer, std::move(draft));
}

store::CertificateRecord Authority::revoke(ByteView serial, RevocationReason reason,
                                           std::optional<TimePoint> invalidity_date,
                                           const std::string& actor) {
    const auto revoked = record_revocation(serial, reason, invalidity_date, actor);
    // The revocation stands even if the CRL cannot be signed now (the HSM busy or away):
    // refresh_crls publishes it on its next pass, since the CRL then lacks an entry.
    try {
        publish_crl(revoked.issuer_ca, actor);
    } catch (const Error&) {
    }
    return revoked;
}

store::CertificateRecord Authority::record_revocation(ByteView serial, RevocationReason reason,
                                                      std::optional<TimePoint> invalidity_date,
                                                      const std::string& actor) {
    if (reason == RevocationReason::remove_from_crl)
        throw Error(Errc::invalid_argument,
                    "removeFromCRL is for delta CRLs, which Signet does "
                    "not issue");
    const TimePoint now = deps_.clock.now();
    // §5.3.2: the date on which it is known or suspected that the key was compromised — never
    // in the future.
    if (invalidity_date && *invalidity_date > now)
        throw Error(Errc::invalid_argument, "the invalidity date is in the future");
    return deps_.database.transaction([&](store::Connection& tx) {
        auto record =
            deps_.certificates.revoke(tx, serial, static_cast<int>(reason), now, invalidity_date);
        nlohmann::json details{{"issuer_ca", record.issuer_ca},
                               {"reason", std::string(to_string(reason))}};
        if (invalidity_date)
            details["invalidity_date"] = format_utc(*invalidity_date);
        // Delivered at COMMIT to every node's OCSP source (DESIGN.md: scale-out).
        tx.exec("SELECT pg_notify('signet_certificate_status', $1)",
                {record.issuer_ca + ":" + serial_hex(serial)});
        deps_.audit.record(
            tx, {"certificate.revoked", actor, "certificate:" + serial_hex(serial), details});
        return record;
    });
}

void Authority::abandon_reserved(std::int64_t subject_id, const std::string& actor) {
    store::CertificateQuery query;
    query.subject_id = subject_id;
    query.status = "reserved";
    query.limit = 1000;
    const std::string failure =
        "the subject's certificates were revoked while this one was being issued";
    for (;;) {
        const auto page = deps_.certificates.search(query);
        for (const auto& certificate : page) {
            deps_.database.transaction([&](store::Connection& tx) {
                if (!deps_.certificates.mark_abandoned(tx, certificate.serial, failure))
                    return;  // completed or abandoned meanwhile
                deps_.audit.record(tx, {"certificate.abandoned",
                                        actor,
                                        "certificate:" + serial_hex(certificate.serial),
                                        {{"issuer_ca", certificate.issuer_ca},
                                         {"failure", failure}}});
            });
        }
        if (page.size() < query.limit)
            break;
        query.after_serial = page.back().serial;
    }
}

std::vector<std::string> Authority::revoke_subject(std::int64_t subject_id, RevocationReason reason,
                                                   const std::string& actor) {
    if (reason == RevocationReason::remove_from_crl)
        throw Error(Errc::invalid_argument,
                    "removeFromCRL is for delta CRLs, which Signet does not issue");
    // Reserved rows first: an issuance under way for the subject's old state must not complete
    // (the row is no longer 'reserved', so its completion fails and the certificate is
    // dropped). A row that completed meanwhile is found by the search for issued ones below.
    abandon_reserved(subject_id, actor);
    std::vector<std::string> serials;
    std::set<std::string> cas;
    store::CertificateQuery query;
    query.subject_id = subject_id;
    query.status = "issued";
    query.limit = 1000;
    for (;;) {
        const auto page = deps_.certificates.search(query);
        for (const auto& certificate : page) {
            try {
                const auto revoked = record_revocation(certificate.serial, reason, {}, actor);
                serials.push_back(serial_hex(revoked.serial));
                cas.insert(revoked.issuer_ca);
            } catch (const Error& e) {
                // Revoked by another caller since the search: what was asked is done.
                if (e.code() != Errc::failed_precondition)
                    throw;
            }
        }
        if (page.size() < query.limit)
            break;
        query.after_serial = page.back().serial;
    }
    for (const auto& ca : cas) {
        try {
            publish_crl(ca, actor);
        } catch (const Error&) {  // as in revoke(): refresh_crls makes it later
        }
    }
    return serials;
}

store::CrlRecord Authority::publish_crl(const std::string& ca_name, const std::string& actor) {
    const auto issuer = load_ca(ca_name);
    return deps_.database.transaction([&](store::Connection& tx) {
        const std::int64_t number = deps_.certificates.next_crl_number(tx, ca_name);
        const TimePoint this_update = to_seconds(deps_.clock.now());
        CrlTemplate tmpl;
        tmpl.number = static_cast<std::uint64_t>(number);
        tmpl.this_update = this_update;
        tmpl.next_update = this_update + deps_.settings.crl.validity;
        for (const auto& entry : deps_.certificates.revoked_entries(tx, ca_name, this_update)) {
            tmpl.revoked.push_back({entry.serial, entry.revoked_at,
                                    static_cast<RevocationReason>(entry.reason),
                                    entry.invalidity_date});
        }
        auto crl = build_crl(tmpl, issuer->certificate.get());
        sign_crl(crl.get(), issuer->key.get());
        store::CrlRecord record{ca_name,
                                number,
                                this_update,
                                tmpl.next_update,
                                crl_der(crl.get()),
                                static_cast<int>(tmpl.revoked.size())};
        deps_.certificates.add_crl(tx, record);
        deps_.audit.record(tx, {"crl.published",
                                actor,
                                "crl:" + ca_name,
                                {{"number", number},
                                 {"entries", record.entries},
                                 {"this_update", format_utc(record.this_update)},
                                 {"next_update", format_utc(record.next_update)}}});
        return record;
    });
}

std::vector<store::CrlRecord> Authority::refresh_crls(const std::string& actor) {
    std::vector<store::CrlRecord> published;
    const TimePoint now = deps_.clock.now();
    for (const auto& ca : deps_.certificates.list_cas()) {
        const auto latest = deps_.certificates.latest_crl(ca.name);
        // Fresh enough, and it lists every revocation (one made while the HSM was away, or by a
        // node that failed to publish, shows as a different count).
        if (latest && now - latest->this_update < deps_.settings.crl.refresh &&
            latest->next_update > now &&
            latest->entries == deps_.certificates.count_revoked(ca.name, now))
            continue;
        try {
            published.push_back(publish_crl(ca.name, actor));
        } catch (const Error& e) {
            // An offline root's key is not in this HSM: its CRLs are made at its own ceremony.
            if (e.code() != Errc::not_found)
                throw;
        }
    }
    return published;
}

}  // namespace signet::ca
