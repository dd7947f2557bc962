#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/metrics.hpp"
#include "store/database.hpp"

namespace signet::store {

// One caller's write in a group commit. A journal derives its own write from it, holding copies
// of what it writes: a caller that stops waiting (GroupCommitOptions::wait) leaves its write in
// the committer's hands, so the write must not point into the caller's stack.
struct GroupCommitMember {
    virtual ~GroupCommitMember() = default;
    // The outcome, set by the commit function when this member alone failed (a taken serial, a
    // row in the wrong state); nullopt: written.
    std::optional<Error> error;
};

struct GroupCommitOptions {
    // Writes in one transaction at most; more waiting callers go to the next batch.
    std::size_t max_batch = 256;
    // Transactions in flight at once: while one batch waits for its commit (the WAL flush,
    // fsync), the next is already being written, so the disk's flushes bound the throughput, not
    // their latency times the batches.
    unsigned writers = 2;
    // How long a caller waits for its batch's commit before Errc::unavailable; 0: as long as
    // the database lets a caller wait for a connection (DatabaseOptions::acquire_timeout, which
    // signetd sets from database.wait_ms).
    std::chrono::milliseconds wait{0};
};

struct GroupCommitStats {
    std::uint64_t batches = 0;        // transactions run for batches, committed or not
    std::uint64_t writes = 0;         // members of those batches
    std::uint64_t failed_writes = 0;  // members whose write failed (alone or with the batch)
    std::uint64_t split_batches = 0;  // batches run again member by member
    std::uint64_t timeouts = 0;       // callers that stopped waiting past `wait` (unavailable)
    std::size_t largest_batch = 0;
    std::size_t queued = 0;  // writes waiting for a writer now
};

// Group commit, for every journal that makes a write durable before the HSM signs (DESIGN.md
// invariant 2): concurrent callers' writes go to the database together, in one transaction, and
// each caller waits for its own batch's commit. A caller arriving while the writers are busy
// joins the open batch; the batch goes when a writer is free. One caller pays one transaction
// per write; many share each commit's WAL flush and round trips.
//
// One member's failure is its own: the commit function leaves out of its statements a member
// the database would refuse alone (setting that member's error), and when the database refuses
// the batch's transaction all the same (a constraint, bad data), the batch runs again with each
// member in a transaction of its own, so the error reaches only the member that caused it. When
// the database is unavailable (Errc::unavailable: down, a timeout, or a commit whose outcome is
// unknown) every member of the batch gets the error: none of theirs is known to be durable, and
// running them one by one would not tell more.
//
// No caller waits forever: past `wait` it gets Errc::unavailable. A write no writer has taken
// yet is withdrawn then (never written); one already in a transaction may still commit — its
// caller must act as if it had not (the TSA signs nothing, the CA keeps the certificate back),
// and what remains is a row for a token or certificate that was never sent, which the tables
// allow. Thread-safe; the destructor lets the batches open and in flight finish.
class GroupCommitter {
  public:
    // Runs `members` in one transaction and sets the error of each member that alone failed;
    // throws what concerns the whole transaction, which then committed nothing (or, for
    // Errc::unavailable, may have: the outcome is unknown). The committer clears every member's
    // error before each run.
    using Commit = std::function<void(std::span<GroupCommitMember* const> members)>;

    // `database` only lends its wait (options.wait 0); `commit` reaches it on its own.
    GroupCommitter(const Database& database, Commit commit, GroupCommitOptions options);
    GroupCommitter(const GroupCommitter&) = delete;
    GroupCommitter& operator=(const GroupCommitter&) = delete;
    ~GroupCommitter();

    // Queues `member` and returns once its batch has committed; throws the member's error, the
    // batch's, or Errc::unavailable past options.wait.
    void submit(std::shared_ptr<GroupCommitMember> member);

    GroupCommitStats stats() const;
    const GroupCommitOptions& options() const noexcept { return options_; }

    // PREFIX_commit_batches_total, PREFIX_committed_writes_total, PREFIX_commit_failures_total,
    // PREFIX_commit_split_batches_total, PREFIX_commit_timeouts_total and the gauge
    // PREFIX_commit_queued, read from stats(); `what` names the writes in their help texts. The
    // committer must outlive the registry's use of them.
    void register_metrics(MetricsRegistry& metrics, const std::string& prefix,
                          const std::string& what);

  private:
    struct Batch;
    void write_batches(std::stop_token stop);
    // Runs the batch's members; returns whether it was split.
    bool run(const std::vector<GroupCommitMember*>& members);

    Commit commit_;
    GroupCommitOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable_any work_;
    std::deque<std::shared_ptr<Batch>> open_;  // waiting for a writer, oldest first
    GroupCommitStats stats_;
    std::vector<std::jthread> writers_;  // last: they start once everything above is made
};

}  // namespace signet::store
