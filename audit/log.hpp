#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::audit {

// RFC 6962 §2.1 leaf hash: SHA-256(0x00 || canonical encoding).
using LeafHash = std::array<std::uint8_t, 32>;

// A change of state, as a service reports it. No secret belongs here (DESIGN.md invariant 6):
// details name things (a serial, a client, a key label), never a PIN, OTP, password or token.
struct AuditEvent {
    std::string type;    // what happened, [a-z0-9_.:-]{1,100}: "api_client.created"
    std::string actor;   // who did it: "operator:alice", "client:frontend-1", "system"
    std::string object;  // what it is about: "api_client:frontend-1" (may be empty)
    nlohmann::json details = nlohmann::json::object();  // a JSON object (null = {}); see validate()
};

// An event as the log holds it.
struct RecordedEvent {
    std::int64_t seq = 0;    // 1, 2, 3... without gaps
    Clock::time_point time;  // from the injected clock, truncated to microseconds
    AuditEvent event;
    LeafHash leaf_hash{};
};

// Throws Errc::invalid_argument unless the event can be recorded and re-verified exactly:
// type matches [a-z0-9_.:-]{1,100}; actor (1..512 bytes) and object (0..512) are UTF-8 without
// control characters; details is an object nested at most 16 deep, at most 64 KiB encoded, its
// strings valid UTF-8 without NUL (jsonb refuses \u0000), its numbers integers within
// ±(2^53 - 1) (exact in every JSON parser; floats have no single canonical form), and no key
// named like a secret (password, passphrase, pin, puk, otp, secret, token, private_key,
// api_key, authorization; case-insensitive, at any depth).
void validate(const AuditEvent& event);

// The canonical encoding (audit/README.md): the JSON object
//   {"actor":..,"details":..,"object":..,"seq":..,"time":..,"type":..}
// with object keys sorted by their UTF-8 bytes at every level, no whitespace, strings escaped
// only where JSON requires (", \, and U+0000..U+001F; \b \f \n \r \t in short form, the rest
// as \u00xx in lowercase hex), other characters as raw UTF-8, integers in decimal, and time
// as RFC 3339 UTC with exactly six fractional digits ("2026-11-22T09:55:00.123456Z").
std::string canonical_encoding(std::int64_t seq, Clock::time_point time, const AuditEvent& event);

// SHA-256(0x00 || canonical).
LeafHash leaf_hash(std::string_view canonical);

// The one interface through which every service records a change of state.
class AuditLog {
  public:
    virtual ~AuditLog() = default;
    // In a transaction of its own.
    virtual RecordedEvent record(const AuditEvent& event) = 0;
    // Inside the caller's transaction (READ COMMITTED), so the event commits or rolls back
    // with the change it describes. Appends are serialized until that transaction ends: record
    // as its last step. Errc::failed_precondition when `transaction` is not in a transaction.
    virtual RecordedEvent record(store::Connection& transaction, const AuditEvent& event) = 0;
    // Inside the caller's transaction without the append lock: the event goes to the outbox,
    // commits (or rolls back) with the change, and enters the log at the next drain(). For hot
    // paths (issuance), where the lock would serialize every commit. The event's own time is
    // kept in its details as "occurred_at".
    virtual void defer(store::Connection& transaction, const AuditEvent& event) = 0;
    // defer() for several events at once (group commits). Invalid events throw before any is
    // written. The default defers them one by one.
    virtual void defer_many(store::Connection& transaction, std::span<const AuditEvent> events) {
        for (const auto& event : events)
            defer(transaction, event);
    }
    // Moves up to `max_events` outbox events into the log, oldest first, in one transaction;
    // returns how many. Safe on several nodes at once (rows are claimed with SKIP LOCKED).
    virtual std::size_t drain(std::size_t max_events = 1000) = 0;
};

// Reading the log back (signetctl audit, the Merkle tree, evidence packages).
class AuditReader {
  public:
    virtual ~AuditReader() = default;
    // The last sequence number, 0 for an empty log.
    virtual std::int64_t size() = 0;
    // Events first_seq..last_seq inclusive (clipped to the log), at most 10000 at a time.
    virtual std::vector<RecordedEvent> read(std::int64_t first_seq, std::int64_t last_seq) = 0;
};

struct VerifyReport {
    std::int64_t first_seq = 0;
    std::int64_t last_seq = 0;
    std::int64_t checked = 0;
    std::vector<std::string> problems;  // one line each: a gap, a leaf hash that does not match
    bool ok() const noexcept { return problems.empty(); }
};

// Reads first_seq..last_seq (last_seq 0 = to the end) in batches, recomputes every leaf hash
// from the stored fields and checks the sequence has no gap.
VerifyReport verify(AuditReader& reader, std::int64_t first_seq = 1, std::int64_t last_seq = 0);

// The log in PostgreSQL's audit_events (store migration 1): append-only (the database refuses
// UPDATE, DELETE and TRUNCATE), gapless (appends take pg_advisory_xact_lock, then max(seq)+1).
class PostgresAuditLog final : public AuditLog, public AuditReader {
  public:
    PostgresAuditLog(store::Database& database, const Clock& clock)
        : database_(database), clock_(clock) {}

    RecordedEvent record(const AuditEvent& event) override;
    RecordedEvent record(store::Connection& transaction, const AuditEvent& event) override;
    void defer(store::Connection& transaction, const AuditEvent& event) override;
    // One INSERT for all of them.
    void defer_many(store::Connection& transaction, std::span<const AuditEvent> events) override;
    std::size_t drain(std::size_t max_events = 1000) override;
    std::int64_t size() override;
    std::vector<RecordedEvent> read(std::int64_t first_seq, std::int64_t last_seq) override;

  private:
    store::Database& database_;
    const Clock& clock_;
};

}  // namespace signet::audit
