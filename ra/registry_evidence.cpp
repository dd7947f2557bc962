// The registry's verifications (ra/registry.hpp): a provider's signed statement, an officer's
// decision. Each is one transaction: the evidence row, the statement's replay record, the
// subject's new level and the audit event commit together or not at all.
#include <algorithm>
#include <charconv>

#include "common/text.hpp"
#include "ra/evidence_replay.hpp"
#include "ra/registry_impl.hpp"

namespace signet::ra {

namespace {

int level_number(const std::string& level) {
    int number = 0;
    std::from_chars(level.data(), level.data() + level.size(), number);  // checked at start
    return number;
}

// What the statement must reach: the lowest policy level at or above the level the profile (or
// the caller) asks for; the lowest one when neither asks.
AssuranceRequirement requirement(const RegistryDependencies& deps,
                                 const EvidenceSubmission& evidence) {
    if (evidence.profile && evidence.level)
        fail(Errc::invalid_argument, "'level': give a profile or a level, not both");
    unsigned wanted = 0;
    if (evidence.profile) {
        const auto level =
            deps.profile_level ? deps.profile_level(*evidence.profile) : std::nullopt;
        if (!level)
            fail(Errc::invalid_argument,
                 "'profile': no certificate profile " + quote_input(*evidence.profile));
        wanted = *level;
    }
    if (evidence.level) {
        if (*evidence.level < 1 || *evidence.level > deps.max_assurance_level)
            fail(Errc::invalid_argument,
                 "'level' is 1 to " + std::to_string(deps.max_assurance_level));
        wanted = *evidence.level;
    }
    const auto& levels = deps.evidence_policy.levels;
    const auto found = std::ranges::find_if(
        levels, [&](const auto& level) { return level_number(level.level) >= int(wanted); });
    if (levels.empty())
        fail(Errc::failed_precondition,
             "the policy defines no identity evidence levels: only an RA officer can verify");
    if (found == levels.end())
        fail(Errc::failed_precondition,
             "no identity evidence level of the policy reaches level " + std::to_string(wanted));
    return *found;
}

store::IdentityEvidenceRecord provider_row(std::int64_t subject_id, const EvidenceRecord& record,
                                           Clock::time_point now) {
    store::IdentityEvidenceRecord row;
    row.subject_id = subject_id;
    row.method = "provider";
    row.level = level_number(record.assurance_level);
    row.issuer = record.issuer;
    row.jti = record.jti;
    if (!record.key_id.empty())
        row.key_id = record.key_id;
    row.algorithm = record.algorithm;
    row.issued_at = record.issued_at;
    row.methods = record.methods;
    row.face_match_score = record.face_match_score;
    row.liveness_score = record.liveness_score;
    row.statement_sha256 = Bytes(record.statement_sha256.begin(), record.statement_sha256.end());
    row.recorded_at = now;
    return row;
}

// Stores the evidence row, sets the subject's level to the row's (with its method) unless that
// would lower it and `may_lower` is false, and records "subject.verified" with `details`, all in
// the caller's transaction.
store::Subject record_verification(RegistryCore& core, store::Connection& tx, store::Subject s,
                                   const store::IdentityEvidenceRecord& row, bool may_lower,
                                   nlohmann::json details, const std::string& actor) {
    const std::int64_t evidence_id = core.evidence.add(tx, row);
    if (may_lower || row.level >= s.assurance_level) {
        s.assurance_level = row.level;
        s.verification_method = row.method;
        s.verified_at = row.recorded_at;
    }
    s.updated_at = row.recorded_at;
    core.subjects.update(tx, s);
    details["method"] = row.method;
    details["evidence_id"] = evidence_id;
    details["level"] = row.level;
    details["assurance_level"] = s.assurance_level;
    core.audit(tx, "subject.verified", actor, s.id, std::move(details));
    return s;
}

}  // namespace

void Registry::check_evidence_target(const EvidenceSubmission& evidence) const {
    requirement(impl_->deps, evidence);
}

store::Subject Registry::attach_evidence(std::int64_t subject_id,
                                         const EvidenceSubmission& evidence,
                                         const std::string& actor) {
    const AssuranceRequirement required = requirement(impl_->deps, evidence);
    return impl_->deps.database.transaction([&](store::Connection& tx) {
        store::Subject s = impl_->lock_active(tx, subject_id);
        const IdentityDocument document = impl_->confirm_document(s, evidence.document_number);
        const EvidenceRequest request{
            evidence.statement,
            subject_binding_hash(s.name, document.kind, document.country, document.number),
            s.document_kind, required};
        // Refused: EvidenceError, and the transaction (the replay record with it) rolls back.
        TransactionReplayGuard guard(tx, impl_->evidence, impl_->deps.clock);
        const EvidenceRecord record = impl_->verifier.verify(request, guard);
        const Clock::time_point now = impl_->deps.clock.now();
        const store::IdentityEvidenceRecord row = provider_row(s.id, record, now);
        // Never lowered: a weaker statement later does not undo an officer's or a stronger one's.
        return record_verification(*impl_, tx, s, row, false,
                                   {{"issuer", record.issuer}, {"jti", record.jti}}, actor);
    });
}

store::Subject Registry::verify_manually(std::int64_t subject_id,
                                         const ManualVerification& verification,
                                         const std::string& actor) {
    const unsigned max = impl_->deps.max_assurance_level;
    if (verification.level < 1 || verification.level > max)
        fail(Errc::invalid_argument, "'level' is 1 to " + std::to_string(max));
    check_reason("reason", verification.reason);
    return impl_->deps.database.transaction([&](store::Connection& tx) {
        store::Subject s = impl_->lock_active(tx, subject_id);
        impl_->confirm_document(s, verification.document_number);
        const Clock::time_point now = impl_->deps.clock.now();
        store::IdentityEvidenceRecord row;
        row.subject_id = s.id;
        row.method = "officer";
        row.level = static_cast<int>(verification.level);
        row.officer = actor;
        row.reason = verification.reason;
        row.recorded_at = now;
        // The officer decides: up or down.
        return record_verification(*impl_, tx, s, row, true,
                                   {{"officer", actor}, {"reason", verification.reason}}, actor);
    });
}

}  // namespace signet::ra
