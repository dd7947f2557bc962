#pragma once

// Checkpoints in PostgreSQL (audit_checkpoints, store migration 13) over the stored tree
// (audit/tree_store.hpp): the CheckpointReader and the Checkpointer of audit/checkpoint.hpp.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "audit/checkpoint.hpp"
#include "audit/log.hpp"
#include "audit/tree_store.hpp"
#include "hsm/signer.hpp"
#include "store/database.hpp"

namespace signet::audit {

// The certificates' service role of the checkpoint key (the ceremony's audit_checkpoint).
inline constexpr std::string_view kCheckpointServiceRole = "audit-checkpoint";

// An RFC 3161 TimeStampToken (DER) whose messageImprint is this SHA-256 digest. audit/ may not
// depend on tsa/ (DESIGN.md layout): the wiring gives our own TSA, in process.
using CheckpointTimeStamper = std::function<Bytes(const Hash& sha256_digest)>;

struct CheckpointSigning {
    std::string origin;                         // the log's name (policy audit.log_name)
    std::shared_ptr<const hsm::Signer> key;     // the "audit-checkpoint" key in the HSM
    Bytes certificate_der;                      // its certificate
    CheckpointTimeStamper time_stamper;
    std::string made_by;                        // this node, for the record ("node:host:pid")
};

class PostgresCheckpoints final : public CheckpointReader, public Checkpointer {
  public:
    // Reading only: checkpoint_now() is Errc::failed_precondition.
    explicit PostgresCheckpoints(store::Database& database);
    // Reading and making: `log` records each checkpoint as an event and drains the outbox
    // first; `clock` gives the checkpoint's time.
    PostgresCheckpoints(store::Database& database, AuditLog& log, const Clock& clock,
                        CheckpointSigning signing);

    std::optional<SignedCheckpoint> latest() override;
    SignedCheckpoint at_size(std::uint64_t size) override;
    std::vector<Hash> inclusion(std::int64_t seq, std::uint64_t tree_size) override;
    std::vector<Hash> consistency(std::uint64_t first, std::uint64_t second) override;

    // audit/checkpoint.hpp, and: one maker at a time in this node (a mutex, waited on without a
    // pool lease; each step takes one connection and gives it back, so a pool of one suffices)
    // and one checkpoint per size across nodes (the insert decides under advisory lock
    // store::advisory_lock::kAuditCheckpoint, a transaction-level lock: a node that finds one
    // at least as large stored returns that one instead of its own); the
    // checkpoint and its "audit.checkpoint" event (size and root) commit together, the event
    // being the next one in the log, so it is in the next checkpoint like any other event. When
    // the log holds nothing after the latest checkpoint but that checkpoint's own event, the
    // latest is returned: an idle log does not grow by a checkpoint each interval.
    SignedCheckpoint checkpoint_now() override;

    TreeStore& tree() noexcept { return tree_; }

  private:
    std::uint64_t log_size();

    store::Database& database_;
    TreeStore tree_;
    AuditLog* log_ = nullptr;
    const Clock* clock_ = nullptr;
    std::optional<CheckpointSigning> signing_;
    std::mutex making_;
};

}  // namespace signet::audit
