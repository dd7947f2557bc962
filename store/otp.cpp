#include "store/otp.hpp"

namespace signet::store {

namespace {

#define SIGNET_CHALLENGE_COLUMNS                                                            \
    "id, subject_id, purpose, channel, client, digits, code_hash, expires_at, attempts, " \
    "consumed_at, voided_at, voided_reason, created_at"

constexpr Statement kInsertChallenge{
    "otp.insert_challenge",
    "INSERT INTO otp_challenges (id, subject_id, purpose, channel, client, digits, code_hash, "
    "expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7::bytea, $8::timestamptz, "
    "$9::timestamptz)"};
constexpr Statement kFindChallenge{
    "otp.find_challenge", "SELECT " SIGNET_CHALLENGE_COLUMNS " FROM otp_challenges WHERE id = $1"};
// The conditions are re-checked on the newest row version when a concurrent transaction
// changed it first (READ COMMITTED's EvalPlanQual), so exactly one of two consumes wins.
constexpr Statement kConsume{
    "otp.consume",
    "UPDATE otp_challenges c SET consumed_at = $2::timestamptz WHERE id = $1 "
    "AND consumed_at IS NULL AND voided_at IS NULL AND expires_at > $2::timestamptz "
    "AND NOT EXISTS (SELECT 1 FROM otp_subjects s WHERE s.subject_id = c.subject_id "
    "AND s.locked_until > $2::timestamptz)"};
constexpr Statement kCountWrongCode{
    "otp.count_wrong_code",
    "UPDATE otp_challenges SET attempts = attempts + 1, "
    "voided_at = CASE WHEN attempts + 1 >= $3 THEN $2::timestamptz END, "
    "voided_reason = CASE WHEN attempts + 1 >= $3 THEN 'attempts' END "
    "WHERE id = $1 AND consumed_at IS NULL AND voided_at IS NULL RETURNING attempts"};
constexpr Statement kVoid{"otp.void",
                          "UPDATE otp_challenges SET voided_at = $2::timestamptz, "
                          "voided_reason = $3 WHERE id = $1 AND consumed_at IS NULL AND "
                          "voided_at IS NULL"};

#define SIGNET_SUBJECT_STATE_COLUMNS "failures, window_started_at, locked_until, lockouts"

constexpr Statement kEnsureSubject{
    "otp.ensure_subject",
    "INSERT INTO otp_subjects (subject_id, window_started_at) VALUES ($1, $2::timestamptz) "
    "ON CONFLICT (subject_id) DO NOTHING"};
constexpr Statement kHoldSubjectStatus{
    "otp.hold_subject_status", "SELECT status FROM subjects WHERE id = $1 FOR SHARE"};
constexpr Statement kLockSubject{
    "otp.lock_subject", "SELECT " SIGNET_SUBJECT_STATE_COLUMNS
                        " FROM otp_subjects WHERE subject_id = $1 FOR UPDATE"};
constexpr Statement kSubjectState{
    "otp.subject_state",
    "SELECT " SIGNET_SUBJECT_STATE_COLUMNS " FROM otp_subjects WHERE subject_id = $1"};

// n: this failure's number in the window ($3 is the window's earliest start). One statement,
// evaluated on the newest row version, so concurrent failures are each counted and exactly one
// of them reaches the limit ($4) and sets the lockout.
#define SIGNET_N                                                                            \
    "(CASE WHEN s.window_started_at >= $3::timestamptz THEN s.failures + 1 ELSE 1 END)"
constexpr Statement kCountSubjectFailure{
    "otp.count_subject_failure",
    "INSERT INTO otp_subjects AS s (subject_id, failures, window_started_at) "
    "VALUES ($1, 1, $2::timestamptz) ON CONFLICT (subject_id) DO UPDATE SET "
    "failures = CASE WHEN " SIGNET_N " >= $4 THEN 0 ELSE " SIGNET_N " END, "
    "window_started_at = CASE WHEN " SIGNET_N " >= $4 OR s.window_started_at < $3::timestamptz "
    "THEN $2::timestamptz ELSE s.window_started_at END, "
    "locked_until = CASE WHEN " SIGNET_N " >= $4 THEN $5::timestamptz ELSE s.locked_until END, "
    "lockouts = s.lockouts + CASE WHEN " SIGNET_N " >= $4 THEN 1 ELSE 0 END "
    "RETURNING failures, locked_until, failures = 0 AS locked_now"};
#undef SIGNET_N
constexpr Statement kUnlock{
    "otp.unlock",
    "UPDATE otp_subjects SET locked_until = NULL, failures = 0, window_started_at = "
    "$2::timestamptz WHERE subject_id = $1 AND locked_until > $2::timestamptz"};

constexpr Statement kSubjectSends{
    "otp.subject_sends",
    "SELECT count(*), min(created_at), max(created_at) FROM otp_challenges "
    "WHERE subject_id = $1 AND created_at > $2::timestamptz"};
constexpr Statement kClientSends{
    "otp.client_sends",
    "SELECT count(*), min(created_at), max(created_at) FROM otp_challenges "
    "WHERE client = $1 AND created_at > $2::timestamptz"};

#define SIGNET_INSERT_TOTP                                                                 \
    "INSERT INTO otp_totp (subject_id, wrapped_seed, kek_label, last_step, created_at) "   \
    "VALUES ($1, $2::bytea, $3, NULL, $4::timestamptz) ON CONFLICT (subject_id) "
constexpr Statement kAddTotp{"otp.add_totp", SIGNET_INSERT_TOTP "DO NOTHING"};
constexpr Statement kReplaceTotp{
    "otp.replace_totp",
    SIGNET_INSERT_TOTP "DO UPDATE SET wrapped_seed = EXCLUDED.wrapped_seed, "
                       "kek_label = EXCLUDED.kek_label, last_step = NULL, "
                       "created_at = EXCLUDED.created_at"};
#undef SIGNET_INSERT_TOTP
constexpr Statement kVoidSubjectChallenges{
    "otp.void_subject_challenges",
    "UPDATE otp_challenges SET voided_at = $2::timestamptz, voided_reason = $3 "
    "WHERE subject_id = $1 AND consumed_at IS NULL AND voided_at IS NULL"};
constexpr Statement kDeleteTotp{"otp.delete_totp", "DELETE FROM otp_totp WHERE subject_id = $1"};
constexpr Statement kFindTotp{
    "otp.find_totp",
    "SELECT subject_id, wrapped_seed, kek_label, last_step, created_at FROM otp_totp "
    "WHERE subject_id = $1"};
constexpr Statement kAdvanceTotp{
    "otp.advance_totp",
    "UPDATE otp_totp SET last_step = $2 WHERE subject_id = $1 "
    "AND (last_step IS NULL OR last_step < $2)"};

OtpChallengeRecord challenge_from(const Row& row) {
    OtpChallengeRecord r;
    r.id = row["id"].as<std::string>();
    r.subject_id = row["subject_id"].int64();
    r.purpose = row["purpose"].as<std::string>();
    r.channel = row["channel"].as<std::string>();
    r.client = row["client"].optional<std::string>();
    r.digits = row["digits"].as<int>();
    r.code_hash = row["code_hash"].bytes();
    r.expires_at = row["expires_at"].time();
    r.attempts = row["attempts"].as<int>();
    r.consumed_at = row["consumed_at"].optional<Clock::time_point>();
    r.voided_at = row["voided_at"].optional<Clock::time_point>();
    r.voided_reason = row["voided_reason"].optional<std::string>().value_or("");
    r.created_at = row["created_at"].time();
    return r;
}

OtpSubjectState state_from(const Result& rows) {
    OtpSubjectState s;
    if (rows.empty())
        return s;
    const Row row = rows.one();
    s.failures = row["failures"].as<int>();
    s.window_started_at = row["window_started_at"].time();
    s.locked_until = row["locked_until"].optional<Clock::time_point>();
    s.lockouts = row["lockouts"].as<int>();
    return s;
}

SendWindow window_from(const Result& rows) {
    const Row row = rows.one();
    return {row[0].int64(), row[1].optional<Clock::time_point>(),
            row[2].optional<Clock::time_point>()};
}

}  // namespace

void PostgresOtp::insert_challenge(Connection& tx, const OtpChallengeRecord& c) {
    tx.exec(kInsertChallenge, {c.id, c.subject_id, c.purpose, c.channel, c.client, c.digits,
                               c.code_hash, c.expires_at, c.created_at});
}

std::optional<OtpChallengeRecord> PostgresOtp::find_challenge(Connection& tx,
                                                              std::string_view id) {
    const Result rows = tx.exec(kFindChallenge, {id});
    if (rows.empty())
        return std::nullopt;
    return challenge_from(rows.one());
}

bool PostgresOtp::consume_challenge(Connection& tx, std::string_view id, Clock::time_point now) {
    return tx.exec(kConsume, {id, now}).affected_rows() == 1;
}

std::optional<int> PostgresOtp::count_wrong_code(Connection& tx, std::string_view id,
                                                 Clock::time_point now, int max_attempts) {
    const Result rows = tx.exec(kCountWrongCode, {id, now, max_attempts});
    if (rows.empty())
        return std::nullopt;
    return rows.one()["attempts"].as<int>();
}

bool PostgresOtp::void_challenge(Connection& tx, std::string_view id, Clock::time_point now,
                                 std::string_view reason) {
    return tx.exec(kVoid, {id, now, reason}).affected_rows() == 1;
}

std::int64_t PostgresOtp::void_subject_challenges(Connection& tx, std::int64_t subject_id,
                                                  Clock::time_point now, std::string_view reason) {
    return static_cast<std::int64_t>(
        tx.exec(kVoidSubjectChallenges, {subject_id, now, reason}).affected_rows());
}

std::optional<std::string> PostgresOtp::hold_subject_status(Connection& tx,
                                                            std::int64_t subject_id) {
    const Result rows = tx.exec(kHoldSubjectStatus, {subject_id});
    if (rows.empty())
        return std::nullopt;
    return rows.one()["status"].as<std::string>();
}

OtpSubjectState PostgresOtp::lock_subject(Connection& tx, std::int64_t subject_id,
                                          Clock::time_point now) {
    tx.exec(kEnsureSubject, {subject_id, now});
    return state_from(tx.exec(kLockSubject, {subject_id}));
}

OtpSubjectState PostgresOtp::subject_state(Connection& tx, std::int64_t subject_id) {
    return state_from(tx.exec(kSubjectState, {subject_id}));
}

SubjectFailure PostgresOtp::count_subject_failure(Connection& tx, std::int64_t subject_id,
                                                  Clock::time_point now,
                                                  Clock::time_point window_start, int limit,
                                                  Clock::time_point lock_until) {
    const Result rows =
        tx.exec(kCountSubjectFailure, {subject_id, now, window_start, limit, lock_until});
    const Row row = rows.one();
    return {row["failures"].as<int>(), row["locked_until"].optional<Clock::time_point>(),
            row["locked_now"].boolean()};
}

bool PostgresOtp::unlock_subject(Connection& tx, std::int64_t subject_id, Clock::time_point now) {
    return tx.exec(kUnlock, {subject_id, now}).affected_rows() == 1;
}

SendWindow PostgresOtp::subject_sends(Connection& tx, std::int64_t subject_id,
                                      Clock::time_point since) {
    return window_from(tx.exec(kSubjectSends, {subject_id, since}));
}

SendWindow PostgresOtp::client_sends(Connection& tx, std::string_view client,
                                     Clock::time_point since) {
    return window_from(tx.exec(kClientSends, {client, since}));
}

bool PostgresOtp::put_totp(Connection& tx, const TotpEnrolmentRecord& e, bool replace) {
    return tx.exec(replace ? kReplaceTotp : kAddTotp,
                   {e.subject_id, e.wrapped_seed, e.kek_label, e.created_at})
               .affected_rows() == 1;
}

std::optional<TotpEnrolmentRecord> PostgresOtp::find_totp(Connection& tx,
                                                          std::int64_t subject_id) {
    const Result rows = tx.exec(kFindTotp, {subject_id});
    if (rows.empty())
        return std::nullopt;
    const Row row = rows.one();
    return TotpEnrolmentRecord{row["subject_id"].int64(), row["wrapped_seed"].bytes(),
                               row["kek_label"].as<std::string>(),
                               row["last_step"].optional<std::int64_t>(),
                               row["created_at"].time()};
}

bool PostgresOtp::delete_totp(Connection& tx, std::int64_t subject_id) {
    return tx.exec(kDeleteTotp, {subject_id}).affected_rows() == 1;
}

bool PostgresOtp::advance_totp_step(Connection& tx, std::int64_t subject_id, std::int64_t step) {
    return tx.exec(kAdvanceTotp, {subject_id, step}).affected_rows() == 1;
}

}  // namespace signet::store
