#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::store {

// A message to deliver about a contract (store migration 12, table contract_notifications): the
// outbox the contract transitions write in their own transaction (sign/outbox_notifier.hpp) and
// the deliverer empties (sign/notification_deliverer.hpp).
struct ContractNotificationRecord {
    std::int64_t id = 0;  // assigned by enqueue
    std::string contract_id;
    std::string kind;    // "webhook" or "email"
    std::string event;   // signer_due, contract_completed, contract_cancelled, contract_expired
    // A webhook's API client name, or an e-mail's subject id (decimal): never an address.
    std::string target;
    std::optional<int> signer_position;  // signer_due's
    std::string payload;                 // a JSON object, as text (what a webhook POSTs)
    std::string state = "pending";       // pending, delivered, failed
    int attempts = 0;
    Clock::time_point next_attempt_at{};
    std::optional<std::string> last_error;  // at most 300 bytes, no secret, no address
    std::optional<Clock::time_point> delivered_at;
    Clock::time_point created_at{};
};

// One delivery attempt (table contract_notification_attempts).
struct NotificationAttemptRecord {
    std::int64_t notification_id = 0;
    int attempt = 0;  // 1, 2, ...
    Clock::time_point at{};
    std::string outcome;            // delivered, retry, failed
    std::optional<int> reply_code;  // HTTP status or SMTP reply code; nullopt: no answer
    std::optional<std::string> error;
};

// A signing link's token, by its SHA-256 (table signing_links).
struct SigningLinkRecord {
    Bytes token_sha256;  // 32 bytes
    std::string contract_id;
    int position = 0;
    Clock::time_point expires_at{};
    Clock::time_point created_at{};
    std::optional<Clock::time_point> used_at;
};

// The outbox. Every method runs in the caller's transaction.
class ContractNotificationRepository {
  public:
    virtual ~ContractNotificationRepository() = default;

    // Inserts a pending row; returns its id. Errc::invalid_argument when it breaks the table's
    // checks.
    virtual std::int64_t enqueue(Connection& tx, const ContractNotificationRecord& record) = 0;
    // Up to `limit` pending rows due at `now` (oldest due first), locked FOR UPDATE SKIP LOCKED
    // so that deliverers on several nodes never take the same row, and pushed to `lease_until`
    // so that, once this transaction commits, no deliverer takes them again while they are
    // being sent (a node that dies mid-send leaves them due again at `lease_until`).
    virtual std::vector<ContractNotificationRecord> claim_due(Connection& tx, Clock::time_point now,
                                                              std::size_t limit,
                                                              Clock::time_point lease_until) = 0;
    // Records an attempt and writes the row's state, attempts, next_attempt_at, last_error and
    // delivered_at from `updated` (by id).
    virtual void record_attempt(Connection& tx, const NotificationAttemptRecord& attempt,
                                const ContractNotificationRecord& updated) = 0;
    virtual std::vector<ContractNotificationRecord> of_contract(Connection& tx,
                                                                std::string_view contract_id) = 0;
    virtual std::vector<NotificationAttemptRecord> attempts(Connection& tx,
                                                            std::int64_t notification_id) = 0;
    // The subject's e-mail address (subjects.email), nullopt when it has none or does not
    // exist: read when a message is queued and again when it is sent, never stored here.
    virtual std::optional<std::string> subject_email(Connection& tx, std::int64_t subject_id) = 0;
};

// The signing links' tokens. Every method runs in the caller's transaction.
class SigningLinkRepository {
  public:
    virtual ~SigningLinkRepository() = default;
    // Errc::already_exists for a token hash already stored (a 256-bit collision: a bug).
    virtual void insert(Connection& tx, const SigningLinkRecord& link) = 0;
    virtual std::optional<SigningLinkRecord> find(Connection& tx, ByteView token_sha256) = 0;
    // Sets used_at = now when the link is unused and unexpired at `now`; false otherwise (an
    // unknown, used or expired token). Atomic: of two concurrent calls, one wins.
    virtual bool mark_used(Connection& tx, ByteView token_sha256, Clock::time_point now) = 0;
};

class PostgresContractNotifications final : public ContractNotificationRepository {
  public:
    std::int64_t enqueue(Connection& tx, const ContractNotificationRecord& record) override;
    std::vector<ContractNotificationRecord> claim_due(Connection& tx, Clock::time_point now,
                                                      std::size_t limit,
                                                      Clock::time_point lease_until) override;
    void record_attempt(Connection& tx, const NotificationAttemptRecord& attempt,
                        const ContractNotificationRecord& updated) override;
    std::vector<ContractNotificationRecord> of_contract(Connection& tx,
                                                        std::string_view contract_id) override;
    std::vector<NotificationAttemptRecord> attempts(Connection& tx,
                                                    std::int64_t notification_id) override;
    std::optional<std::string> subject_email(Connection& tx, std::int64_t subject_id) override;
};

class PostgresSigningLinks final : public SigningLinkRepository {
  public:
    void insert(Connection& tx, const SigningLinkRecord& link) override;
    std::optional<SigningLinkRecord> find(Connection& tx, ByteView token_sha256) override;
    bool mark_used(Connection& tx, ByteView token_sha256, Clock::time_point now) override;
};

}  // namespace signet::store
