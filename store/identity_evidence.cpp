#include "store/identity_evidence.hpp"

#include <charconv>

namespace signet::store {

namespace {

constexpr Statement kInsert{
    "identity_evidence.insert",
    "INSERT INTO identity_evidence (subject_id, method, level, issuer, jti, key_id, algorithm, "
    "issued_at, methods, face_match_score, liveness_score, statement_sha256, officer, reason, "
    "recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9::text[], "
    "$10::double precision, $11::double precision, $12::bytea, $13, $14, $15::timestamptz) "
    "RETURNING id"};
constexpr Statement kOfSubject{
    "identity_evidence.of_subject",
    "SELECT id, subject_id, method, level, issuer, jti, key_id, algorithm, issued_at, methods, "
    "face_match_score::text AS face_match_score, liveness_score::text AS liveness_score, "
    "statement_sha256, officer, reason, recorded_at, superseded_at FROM identity_evidence "
    "WHERE subject_id = $1 ORDER BY id"};
constexpr Statement kSupersede{"identity_evidence.supersede",
                               "UPDATE identity_evidence SET superseded_at = $2::timestamptz "
                               "WHERE subject_id = $1 AND superseded_at IS NULL"};
constexpr Statement kPruneReplay{
    "evidence_replay.prune",
    "DELETE FROM evidence_replay WHERE ctid IN (SELECT ctid FROM evidence_replay WHERE "
    "keep_until < $1::timestamptz LIMIT 100 FOR UPDATE SKIP LOCKED)"};
constexpr Statement kRecordReplay{
    "evidence_replay.record",
    "INSERT INTO evidence_replay (issuer, jti, keep_until) VALUES ($1, $2, $3::timestamptz) "
    "ON CONFLICT (issuer, jti) DO NOTHING"};

// A score as PostgreSQL's shortest round-trip text (extra_float_digits 1, the default), and back.
std::optional<std::string> score_text(std::optional<double> score) {
    if (!score)
        return std::nullopt;
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, *score);
    if (ec != std::errc())
        throw Error(Errc::internal, "a score could not be formatted");
    return std::string(buffer, end);
}

std::optional<double> score_of(const Field& field) {
    if (field.is_null())
        return std::nullopt;
    const std::string_view text = field.text();
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        throw Error(Errc::internal, "identity_evidence holds a score that is no number");
    return value;
}

IdentityEvidenceRecord from_row(const Row& row) {
    IdentityEvidenceRecord r;
    r.id = row["id"].int64();
    r.subject_id = row["subject_id"].int64();
    r.method = row["method"].as<std::string>();
    r.level = row["level"].as<int>();
    r.issuer = row["issuer"].optional<std::string>();
    r.jti = row["jti"].optional<std::string>();
    r.key_id = row["key_id"].optional<std::string>();
    r.algorithm = row["algorithm"].optional<std::string>();
    r.issued_at = row["issued_at"].optional<Clock::time_point>();
    r.methods = row["methods"].text_array();
    r.face_match_score = score_of(row["face_match_score"]);
    r.liveness_score = score_of(row["liveness_score"]);
    r.statement_sha256 = row["statement_sha256"].optional<Bytes>();
    r.officer = row["officer"].optional<std::string>();
    r.reason = row["reason"].optional<std::string>();
    r.recorded_at = row["recorded_at"].time();
    r.superseded_at = row["superseded_at"].optional<Clock::time_point>();
    return r;
}

}  // namespace

std::int64_t PostgresIdentityEvidence::add(Connection& tx, const IdentityEvidenceRecord& r) {
    return tx
        .exec(kInsert, {r.subject_id, r.method, r.level, r.issuer, r.jti, r.key_id, r.algorithm,
                        r.issued_at, Param::text_array(r.methods), score_text(r.face_match_score),
                        score_text(r.liveness_score), r.statement_sha256, r.officer, r.reason,
                        r.recorded_at})
        .one()["id"]
        .int64();
}

std::vector<IdentityEvidenceRecord> PostgresIdentityEvidence::of_subject(Connection& c,
                                                                         std::int64_t subject_id) {
    const Result rows = c.exec(kOfSubject, {subject_id});
    std::vector<IdentityEvidenceRecord> out;
    for (std::size_t i = 0; i < rows.size(); ++i)
        out.push_back(from_row(rows[i]));
    return out;
}

std::uint64_t PostgresIdentityEvidence::supersede(Connection& tx, std::int64_t subject_id,
                                                  Clock::time_point now) {
    return tx.exec(kSupersede, {subject_id, now}).affected_rows();
}

bool PostgresIdentityEvidence::record_statement_use(Connection& tx, const std::string& issuer,
                                                    const std::string& jti,
                                                    Clock::time_point keep_until,
                                                    Clock::time_point now) {
    tx.exec(kPruneReplay, {now});
    return tx.exec(kRecordReplay, {issuer, jti, keep_until}).affected_rows() == 1;
}

}  // namespace signet::store
