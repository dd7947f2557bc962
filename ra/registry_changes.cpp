// The registry's changes of a subject (ra/registry.hpp): attributes, and deactivation. A change
// of identity (name, document, credit code, legal representative) makes the evidence behind the
// level obsolete: level 0, evidence superseded, certificates revoked (RFC 5280 §5.3.1
// superseded) once the change has committed. Contact details change nothing else.
#include "common/text.hpp"
#include "ra/registry_impl.hpp"

namespace signet::ra {

namespace {

struct Decoded {
    std::optional<CheckedDocument> document;
    std::optional<CheckedDocument> credit_code;
    std::optional<std::string> mobile;
    std::optional<std::string> email;
};

// The new values of an update checked before any lock: a bad one changes nothing.
Decoded decode(const RegistryCore& impl, const SubjectUpdate& update) {
    Decoded d;
    if (update.document) {
        if (update.document->kind == "cn_uscc")
            fail(Errc::invalid_argument,
                 "'document.kind': a person's document is cn_resident_id or passport");
        d.document = impl.check_document(update.document->kind, update.document->number,
                                         update.document->country, kPersonDocumentFields);
    }
    if (update.credit_code)
        d.credit_code = impl.check_document("cn_uscc", *update.credit_code, "", kCreditCodeFields);
    if (update.mobile)
        d.mobile = normalize_e164(*update.mobile);
    if (update.email)
        d.email = update.email->empty() ? std::string() : normalize_email(*update.email);
    return d;
}

void check_kind(const store::Subject& s, const SubjectUpdate& update) {
    if (s.kind == "organization" && update.document)
        fail(Errc::invalid_argument, "'document': an organization's document is its credit_code");
    if (s.kind == "person" && update.credit_code)
        fail(Errc::invalid_argument, "'credit_code': only an organization has one");
    if (s.kind == "person" && update.legal_representative_id)
        fail(Errc::invalid_argument, "'legal_representative_id': only an organization has one");
}

bool same_document(const store::Subject& s, const CheckedDocument& document) {
    return s.document_kind == to_string(document.document.kind) && s.document_hmac &&
           *s.document_hmac == document.hmac && s.country == document.document.country;
}

void set_document(store::Subject& s, const CheckedDocument& document) {
    s.document_kind = std::string(to_string(document.document.kind));
    s.document_hmac = document.hmac;
    s.id_masked = document.document.masked;
    s.country = document.document.country;
}

struct Outcome {
    store::Subject subject;
    bool identity_changed = false;
};

}  // namespace

Registry::Changed Registry::update(std::int64_t subject_id, const SubjectUpdate& update,
                                   const std::string& actor) {
    const Decoded decoded = decode(*impl_, update);
    const Outcome outcome = impl_->deps.database.transaction([&](store::Connection& tx) {
        const store::Subject before = impl_->lock_active(tx, subject_id);
        check_kind(before, update);
        store::Subject s = before;
        std::vector<std::string> fields;
        bool identity = false;
        const auto changed = [&](const char* field, bool is_identity) {
            fields.emplace_back(field);
            identity = identity || is_identity;
        };
        if (update.name && *update.name != s.name) {
            s.name = *update.name;
            changed("name", true);
        }
        for (const auto* document : {&decoded.document, &decoded.credit_code}) {
            if (*document && !same_document(s, **document)) {
                impl_->refuse_duplicate(tx, **document, s.id);
                set_document(s, **document);
                changed(document == &decoded.document ? "document" : "credit_code", true);
            }
        }
        if (update.legal_representative_id &&
            update.legal_representative_id != s.legal_representative_id) {
            impl_->lock_related(tx, *update.legal_representative_id, "person",
                                "legal_representative_id");
            s.legal_representative_id = update.legal_representative_id;
            changed("legal_representative_id", true);
        }
        if (decoded.mobile && *decoded.mobile != s.mobile) {
            s.mobile = *decoded.mobile;
            changed("mobile", false);
        }
        if (decoded.email && *decoded.email != s.email) {
            s.email = *decoded.email;
            changed("email", false);
        }
        if (update.organization && *update.organization != s.organization) {
            s.organization = *update.organization;
            changed("organization", false);
        }
        if (fields.empty())
            return Outcome{before, false};
        const Clock::time_point now = impl_->deps.clock.now();
        if (identity) {
            // The evidence attested the old identity: it no longer backs any level.
            s.assurance_level = 0;
            s.verification_method.clear();
            s.verified_at.reset();
            impl_->evidence.supersede(tx, s.id, now);
        }
        s.updated_at = now;
        impl_->subjects.update(tx, s);
        nlohmann::json details = {{"fields", fields}, {"reverification_required", identity}};
        // A code on its way to the old number must not be usable.
        if (s.mobile != before.mobile)
            details["otp_challenges_voided"] =
                impl_->otp.void_subject_challenges(tx, s.id, now, "mobile_changed");
        // The names of the fields only: a value may be (part of) a document.
        impl_->audit(tx, "subject.updated", actor, s.id, std::move(details));
        return Outcome{s, identity};
    });
    Changed result{outcome.subject, {}, outcome.identity_changed};
    // After the commit: the CA's revocations are transactions of their own. Should one fail, the
    // change stands (the subject is at level 0, so nothing new is issued) and the error goes
    // on; deactivate() or the CA's revoke finishes the job.
    if (outcome.identity_changed && impl_->deps.revoke_certificates)
        result.revoked = impl_->deps.revoke_certificates(subject_id, true, actor);
    return result;
}

Registry::Changed Registry::deactivate(std::int64_t subject_id, const std::string& reason,
                                       const std::string& actor) {
    check_reason("reason", reason);
    store::Subject subject = impl_->deps.database.transaction([&](store::Connection& tx) {
        auto s = impl_->subjects.lock(tx, subject_id);
        if (!s)
            fail(Errc::not_found, "no subject with id " + std::to_string(subject_id));
        if (s->status == "deactivated")
            return std::move(*s);  // again: only the revocations below, for what is left
        const Clock::time_point now = impl_->deps.clock.now();
        s->status = "deactivated";
        s->deactivated_at = now;
        s->assurance_level = 0;
        s->updated_at = now;
        impl_->subjects.update(tx, *s);
        const auto grants = impl_->agents.revoke_all_of(tx, s->id, now, actor);
        // Nothing may be authorized in the subject's name any more: its open codes are void and
        // its authenticator's seed is gone (ra/otp_limits.hpp refuses new ones).
        const auto voided = impl_->otp.void_subject_challenges(tx, s->id, now, "deactivated");
        const bool totp_removed = impl_->otp.delete_totp(tx, s->id);
        impl_->audit(tx, "subject.deactivated", actor, s->id,
                     {{"reason", reason},
                      {"agent_grants_revoked", grants},
                      {"otp_challenges_voided", voided},
                      {"totp_enrolment_removed", totp_removed}});
        return std::move(*s);
    });
    Changed result{std::move(subject), {}, false};
    if (impl_->deps.revoke_certificates)
        result.revoked = impl_->deps.revoke_certificates(subject_id, false, actor);
    return result;
}

}  // namespace signet::ra
