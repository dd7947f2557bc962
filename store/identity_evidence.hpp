#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::store {

// The evidence behind a subject's assurance level (store migration 8, table identity_evidence),
// minimized: a provider's statement is known by its issuer, jti and SHA-256, never kept itself;
// an officer's verification by the officer and the reason. No document number, no binding.
struct IdentityEvidenceRecord {
    std::int64_t id = 0;
    std::int64_t subject_id = 0;
    std::string method;  // "provider" or "officer"
    int level = 0;       // the assurance level it established, 1..10
    // method provider:
    std::optional<std::string> issuer;
    std::optional<std::string> jti;
    std::optional<std::string> key_id;
    std::optional<std::string> algorithm;  // "ES256" or "RS256"
    std::optional<Clock::time_point> issued_at;
    std::vector<std::string> methods;  // e.g. id_registry, face_match, liveness
    std::optional<double> face_match_score;
    std::optional<double> liveness_score;
    std::optional<Bytes> statement_sha256;
    // method officer:
    std::optional<std::string> officer;
    std::optional<std::string> reason;
    Clock::time_point recorded_at;
    // Set when the identity it attested changed (a new name or document).
    std::optional<Clock::time_point> superseded_at;
};

// Every method runs in the caller's transaction, so the evidence, the subject's new level and
// the audit event commit together.
class PostgresIdentityEvidence {
  public:
    // Returns the new id.
    std::int64_t add(Connection& transaction, const IdentityEvidenceRecord& record);
    // The subject's evidence, oldest first.
    std::vector<IdentityEvidenceRecord> of_subject(Connection& connection, std::int64_t subject_id);
    // Marks every current record of the subject superseded at `now`; returns how many.
    std::uint64_t supersede(Connection& transaction, std::int64_t subject_id,
                            Clock::time_point now);

    // The replay guard's table (evidence_replay): records (issuer, jti) until keep_until, true
    // the first time, false when it was recorded before (INSERT ... ON CONFLICT DO NOTHING). A
    // concurrent transaction's uncommitted record of the same pair makes this wait for its end:
    // if it commits, false; if it rolls back, true. First deletes up to 100 expired rows that
    // no other transaction holds (SKIP LOCKED), so the table stays small without a job.
    bool record_statement_use(Connection& transaction, const std::string& issuer,
                              const std::string& jti, Clock::time_point keep_until,
                              Clock::time_point now);
};

}  // namespace signet::store
