#include "audit/checkpoints.hpp"

#include <algorithm>

#include "common/digest.hpp"
#include "common/error.hpp"

namespace signet::audit {

namespace {

using store::Connection;
using store::Statement;

constexpr Statement kLogSize{"audit_checkpoints.log_size",
                             "SELECT coalesce(max(seq), 0) AS size FROM audit_events"};
constexpr Statement kLatest{"audit_checkpoints.latest",
                            "SELECT size, root, time, body, signature, certificate, "
                            "time_stamp_token FROM audit_checkpoints ORDER BY size DESC LIMIT 1"};
constexpr Statement kAtSize{"audit_checkpoints.at_size",
                            "SELECT size, root, time, body, signature, certificate, "
                            "time_stamp_token FROM audit_checkpoints WHERE size = $1"};
constexpr Statement kInsert{
    "audit_checkpoints.insert",
    "INSERT INTO audit_checkpoints (size, root, time, body, signature, certificate, "
    "time_stamp_token, made_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"};
// Whether event `seq` is the checkpoint event of the checkpoint of size $2.
constexpr Statement kIsCheckpointEvent{
    "audit_checkpoints.is_checkpoint_event",
    "SELECT count(*) AS n FROM audit_events WHERE seq = $1 AND event_type = 'audit.checkpoint' "
    "AND object = 'audit_checkpoint:' || $2::text"};
// Held until the transaction that stores a checkpoint ends: the decision "is a checkpoint of this
// size still wanted" and the insert are one step across nodes.
constexpr Statement kLock{"audit_checkpoints.lock", "SELECT pg_advisory_xact_lock($1::bigint)"};

SignedCheckpoint from_row(const store::Row& row) {
    SignedCheckpoint out;
    out.body = row["body"].as<std::string>();
    // The body is what was signed; the columns beside it are for queries. Parsing the body
    // (not trusting the columns) keeps a reader's view equal to what the signature covers.
    out.checkpoint = parse_checkpoint_body(out.body);
    out.signature = row["signature"].bytes();
    out.certificate_der = row["certificate"].bytes();
    out.time_stamp_token = row["time_stamp_token"].bytes();
    return out;
}

// The idle rule: `previous` stands for the log at `size` when nothing was added since it but its
// own "audit.checkpoint" event, so an idle log does not grow by a checkpoint each interval.
bool stands_for_log(Connection& c, const SignedCheckpoint& previous, std::uint64_t size) {
    const std::uint64_t at = previous.checkpoint.size;
    return size == at ||
           (size == at + 1 && c.exec(kIsCheckpointEvent, {size, at}).one()["n"].int64() == 1);
}

std::string hex_of(const Hash& hash) {
    return to_hex(hash);
}

}  // namespace

PostgresCheckpoints::PostgresCheckpoints(store::Database& database)
    : database_(database), tree_(database) {}

PostgresCheckpoints::PostgresCheckpoints(store::Database& database, AuditLog& log,
                                         const Clock& clock, CheckpointSigning signing)
    : database_(database), tree_(database), log_(&log), clock_(&clock),
      signing_(std::move(signing)) {
    if (!signing_->key || signing_->certificate_der.empty() || !signing_->time_stamper)
        throw Error(Errc::invalid_argument,
                    "a checkpointer needs the checkpoint key, its certificate and a time-stamper");
    checkpoint_body({signing_->origin, 0, {}, {}});  // refuses a bad origin now, not later
}

std::uint64_t PostgresCheckpoints::log_size() {
    return static_cast<std::uint64_t>(database_.with_connection(
        [](Connection& c) { return c.exec(kLogSize).one()["size"].int64(); }));
}

std::optional<SignedCheckpoint> PostgresCheckpoints::latest() {
    return database_.with_connection([](Connection& c) -> std::optional<SignedCheckpoint> {
        const store::Result rows = c.exec(kLatest);
        if (rows.empty())
            return std::nullopt;
        return from_row(rows[0]);
    });
}

SignedCheckpoint PostgresCheckpoints::at_size(std::uint64_t size) {
    return database_.with_connection([&](Connection& c) {
        const store::Result rows = c.exec(kAtSize, {size});
        if (rows.empty())
            throw Error(Errc::not_found, "no checkpoint of size " + std::to_string(size));
        return from_row(rows[0]);
    });
}

std::vector<Hash> PostgresCheckpoints::inclusion(std::int64_t seq, std::uint64_t tree_size) {
    if (seq < 1 || static_cast<std::uint64_t>(seq) > tree_size)
        throw Error(Errc::invalid_argument, "inclusion proof: seq " + std::to_string(seq) +
                                                " is not in 1.." + std::to_string(tree_size));
    if (const std::uint64_t size = log_size(); tree_size > size)
        throw Error(Errc::invalid_argument, "inclusion proof: tree size " +
                                                std::to_string(tree_size) +
                                                " is beyond the audit log's size " +
                                                std::to_string(size));
    return tree_.inclusion(static_cast<std::uint64_t>(seq) - 1, tree_size);
}

std::vector<Hash> PostgresCheckpoints::consistency(std::uint64_t first, std::uint64_t second) {
    if (first == 0 || first > second)
        throw Error(Errc::invalid_argument, "consistency proof: need 0 < first <= second, got " +
                                                std::to_string(first) + " and " +
                                                std::to_string(second));
    if (const std::uint64_t size = log_size(); second > size)
        throw Error(Errc::invalid_argument, "consistency proof: second size " +
                                                std::to_string(second) +
                                                " is beyond the audit log's size " +
                                                std::to_string(size));
    return tree_.consistency(first, second);
}

SignedCheckpoint PostgresCheckpoints::checkpoint_now() {
    if (!signing_)
        throw Error(Errc::failed_precondition,
                    "checkpoints cannot be made here: no audit-checkpoint key (run the key "
                    "ceremony with an audit_checkpoint section)");
    // One maker at a time in this node, waiting here without a pool lease: every step below
    // takes a connection for itself and gives it back (the outbox drain, the tree, the TSA's
    // journal inside time_stamper, the insert), so the making needs one connection, never one
    // while holding another. Holding a session lock on a lease while the work took more
    // failed with `database.pool_size: 1` and let waiting makers starve the pool.
    const std::scoped_lock one_maker(making_);
    // Events deferred by the services (issuances) are part of "the log as it is now".
    while (log_->drain(1000) > 0) {
    }
    const std::uint64_t size = log_size();
    if (auto previous = latest(); previous && database_.with_connection([&](Connection& c) {
            return stands_for_log(c, *previous, size);
        }))
        return *previous;
    tree_.extend();
    SignedCheckpoint made;
    made.checkpoint = {signing_->origin, size, tree_.root(size),
                       std::chrono::floor<std::chrono::microseconds>(clock_->now())};
    made.body = checkpoint_body(made.checkpoint);
    const Hash digest = sha256_of(made.body);
    // ECDSA as a DER Ecdsa-Sig-Value, RSA as PKCS#1 v1.5: what `openssl dgst -sha256 -verify`
    // checks (docs/evidence.md).
    const auto padding = is_ec(signing_->key->key_type()) ? hsm::Padding::ecdsa : hsm::Padding::pkcs1;
    made.signature = signing_->key->sign_digest(Digest::sha256, padding, digest);
    made.certificate_der = signing_->certificate_der;
    made.time_stamp_token = signing_->time_stamper(digest);
    // Across nodes: the advisory lock makes "is it still wanted" and the insert one step, so
    // each size is stored once and by one node. A node that lost a race (another stored a
    // checkpoint as large while this one signed) returns that one; its own signature and token
    // are dropped unseen — a rare, wasted signing rather than a connection held while waiting.
    return database_.transaction([&](Connection& tx) {
        tx.exec(kLock, {store::advisory_lock::kAuditCheckpoint});
        if (const store::Result rows = tx.exec(kLatest); !rows.empty()) {
            SignedCheckpoint stored = from_row(rows[0]);
            if (stored.checkpoint.size >= size)
                return stored;
        }
        tx.exec(kInsert, {size, made.checkpoint.root, made.checkpoint.time, made.body,
                          made.signature, made.certificate_der, made.time_stamp_token,
                          signing_->made_by});
        log_->record(tx, {"audit.checkpoint",
                          "system",
                          "audit_checkpoint:" + std::to_string(size),
                          {{"size", size}, {"root", hex_of(made.checkpoint.root)}}});
        return made;
    });
}

}  // namespace signet::audit
