#include "store/contract_notifications.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace signet::store {

namespace {

#define NOTIFICATION_COLUMNS                                                                  \
    "id, contract_id, kind, event, target, signer_position, payload::text AS payload, state, " \
    "attempts, next_attempt_at, last_error, delivered_at, created_at"

constexpr Statement kEnqueue{
    "contract_notifications.enqueue",
    "INSERT INTO contract_notifications (contract_id, kind, event, target, signer_position, "
    "payload, next_attempt_at, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::timestamptz, $8::timestamptz) RETURNING id"};
// SKIP LOCKED: a row another deliverer holds is passed over, not waited for.
constexpr Statement kClaim{
    "contract_notifications.claim",
    "WITH due AS (SELECT id FROM contract_notifications WHERE state = 'pending' "
    "AND next_attempt_at <= $1::timestamptz ORDER BY next_attempt_at, id LIMIT $2 "
    "FOR UPDATE SKIP LOCKED) "
    "UPDATE contract_notifications n SET next_attempt_at = $3::timestamptz FROM due "
    "WHERE n.id = due.id RETURNING n.id, n.contract_id, n.kind, n.event, n.target, "
    "n.signer_position, n.payload::text AS payload, n.state, n.attempts, n.next_attempt_at, "
    "n.last_error, n.delivered_at, n.created_at"};
constexpr Statement kInsertAttempt{
    "contract_notifications.insert_attempt",
    "INSERT INTO contract_notification_attempts (notification_id, attempt, at, outcome, "
    "reply_code, error) VALUES ($1, $2, $3::timestamptz, $4, $5, $6)"};
constexpr Statement kUpdate{
    "contract_notifications.update",
    "UPDATE contract_notifications SET state = $2, attempts = $3, "
    "next_attempt_at = $4::timestamptz, last_error = $5, delivered_at = $6::timestamptz "
    "WHERE id = $1"};
constexpr Statement kOfContract{"contract_notifications.of_contract",
                                "SELECT " NOTIFICATION_COLUMNS
                                " FROM contract_notifications WHERE contract_id = $1 ORDER BY id"};
constexpr Statement kAttempts{
    "contract_notifications.attempts",
    "SELECT notification_id, attempt, at, outcome, reply_code, error "
    "FROM contract_notification_attempts WHERE notification_id = $1 ORDER BY attempt"};
constexpr Statement kSubjectEmail{"contract_notifications.subject_email",
                                  "SELECT email FROM subjects WHERE id = $1"};

constexpr Statement kInsertLink{
    "signing_links.insert",
    "INSERT INTO signing_links (token_sha256, contract_id, position, expires_at, created_at) "
    "VALUES ($1::bytea, $2, $3, $4::timestamptz, $5::timestamptz)"};
constexpr Statement kFindLink{
    "signing_links.find",
    "SELECT token_sha256, contract_id, position, expires_at, created_at, used_at "
    "FROM signing_links WHERE token_sha256 = $1::bytea"};
constexpr Statement kUseLink{
    "signing_links.use",
    "UPDATE signing_links SET used_at = $2::timestamptz WHERE token_sha256 = $1::bytea "
    "AND used_at IS NULL AND expires_at > $2::timestamptz"};

#undef NOTIFICATION_COLUMNS

ContractNotificationRecord notification_from(const Row& row) {
    ContractNotificationRecord n;
    n.id = row["id"].int64();
    n.contract_id = row["contract_id"].as<std::string>();
    n.kind = row["kind"].as<std::string>();
    n.event = row["event"].as<std::string>();
    n.target = row["target"].as<std::string>();
    n.signer_position = row["signer_position"].optional<int>();
    n.payload = row["payload"].as<std::string>();
    n.state = row["state"].as<std::string>();
    n.attempts = row["attempts"].as<int>();
    n.next_attempt_at = row["next_attempt_at"].time();
    n.last_error = row["last_error"].optional<std::string>();
    n.delivered_at = row["delivered_at"].optional<Clock::time_point>();
    n.created_at = row["created_at"].time();
    return n;
}

std::vector<ContractNotificationRecord> notifications_from(const Result& rows) {
    std::vector<ContractNotificationRecord> out;
    for (std::size_t i = 0; i < rows.size(); ++i)
        out.push_back(notification_from(rows[i]));
    return out;
}

}  // namespace

std::int64_t PostgresContractNotifications::enqueue(Connection& tx,
                                                    const ContractNotificationRecord& n) {
    const Result id = tx.exec(kEnqueue, {n.contract_id, n.kind, n.event, n.target,
                                         n.signer_position, n.payload, n.next_attempt_at,
                                         n.created_at});
    return id.one()["id"].int64();
}

std::vector<ContractNotificationRecord> PostgresContractNotifications::claim_due(
    Connection& tx, Clock::time_point now, std::size_t limit, Clock::time_point lease_until) {
    std::vector<ContractNotificationRecord> claimed =
        notifications_from(tx.exec(kClaim, {now, static_cast<std::int64_t>(limit), lease_until}));
    // UPDATE ... RETURNING keeps no order: oldest due first, as selected.
    std::ranges::sort(claimed, [](const auto& a, const auto& b) { return a.id < b.id; });
    return claimed;
}

void PostgresContractNotifications::record_attempt(Connection& tx,
                                                   const NotificationAttemptRecord& a,
                                                   const ContractNotificationRecord& n) {
    tx.exec(kInsertAttempt, {a.notification_id, a.attempt, a.at, a.outcome, a.reply_code, a.error});
    const Result done = tx.exec(kUpdate, {n.id, n.state, n.attempts, n.next_attempt_at,
                                          n.last_error, n.delivered_at});
    if (done.affected_rows() != 1)
        throw Error(Errc::not_found, "no contract notification " + std::to_string(n.id));
}

std::vector<ContractNotificationRecord> PostgresContractNotifications::of_contract(
    Connection& tx, std::string_view contract_id) {
    return notifications_from(tx.exec(kOfContract, {contract_id}));
}

std::vector<NotificationAttemptRecord> PostgresContractNotifications::attempts(
    Connection& tx, std::int64_t notification_id) {
    std::vector<NotificationAttemptRecord> out;
    const Result rows = tx.exec(kAttempts, {notification_id});
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row row = rows[i];
        out.push_back({row["notification_id"].int64(), row["attempt"].as<int>(),
                       row["at"].time(), row["outcome"].as<std::string>(),
                       row["reply_code"].optional<int>(), row["error"].optional<std::string>()});
    }
    return out;
}

std::optional<std::string> PostgresContractNotifications::subject_email(Connection& tx,
                                                                        std::int64_t subject_id) {
    const Result rows = tx.exec(kSubjectEmail, {subject_id});
    if (rows.empty())
        return std::nullopt;
    std::string email = rows.one()["email"].as<std::string>();
    if (email.empty())
        return std::nullopt;
    return email;
}

void PostgresSigningLinks::insert(Connection& tx, const SigningLinkRecord& l) {
    tx.exec(kInsertLink, {l.token_sha256, l.contract_id, l.position, l.expires_at, l.created_at});
}

std::optional<SigningLinkRecord> PostgresSigningLinks::find(Connection& tx,
                                                            ByteView token_sha256) {
    const Result rows = tx.exec(kFindLink, {token_sha256});
    if (rows.empty())
        return std::nullopt;
    const Row row = rows.one();
    return SigningLinkRecord{row["token_sha256"].bytes(), row["contract_id"].as<std::string>(),
                             row["position"].as<int>(),   row["expires_at"].time(),
                             row["created_at"].time(),    row["used_at"].optional<Clock::time_point>()};
}

bool PostgresSigningLinks::mark_used(Connection& tx, ByteView token_sha256,
                                     Clock::time_point now) {
    return tx.exec(kUseLink, {token_sha256, now}).affected_rows() == 1;
}

}  // namespace signet::store
