#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/metrics.hpp"
#include "store/database.hpp"
#include "store/tsa_tokens.hpp"

namespace signet::tsa {

// Where the responder records a token before it is signed (DESIGN.md invariant 2).
class TokenJournal {
  public:
    virtual ~TokenJournal() = default;
    // Returns once the row is committed. Errc::already_exists when the serial is taken (the
    // caller draws another); any other error means the row is not known to be durable, and no
    // token may be issued for it.
    virtual void record(const store::TsaTokenRecord& token) = 0;
};

struct GroupCommitOptions {
    // Rows in one transaction at most; more waiting callers go to the next batch.
    std::size_t max_batch = 1024;
    // Transactions in flight at once. While one batch waits for its commit (the WAL flush,
    // fsync), the next one is already being inserted, so the disk's flushes are what bound
    // the throughput, not their latency times the batches.
    unsigned writers = 2;
};

// Group commit: concurrent callers' rows are written together, in one INSERT and one COMMIT,
// and each caller waits for its own batch's commit. A caller arriving while the writers are
// busy joins the open batch; the batch goes when a writer is free. So with one caller the cost
// is one transaction per token, and with many it is one per batch — a commit's fsync is shared
// by every token in it. If a batch's transaction fails, every caller in it gets the error: none
// of their rows is durable. Thread-safe; the destructor lets the batches in flight finish.
class GroupCommitJournal final : public TokenJournal {
  public:
    GroupCommitJournal(store::Database& database, store::TsaTokenWriter& writer,
                       GroupCommitOptions options = {});
    GroupCommitJournal(const GroupCommitJournal&) = delete;
    GroupCommitJournal& operator=(const GroupCommitJournal&) = delete;
    ~GroupCommitJournal() override;

    void record(const store::TsaTokenRecord& token) override;

    struct Stats {
        std::uint64_t batches = 0;         // transactions committed
        std::uint64_t rows = 0;            // rows committed
        std::uint64_t failed_batches = 0;  // transactions that failed
        std::uint64_t failed_rows = 0;     // callers told their row is not durable
        std::size_t largest_batch = 0;
    };
    Stats stats() const;

    // signet_tsa_commit_* counters for /metrics, read from stats().
    void register_metrics(MetricsRegistry& metrics);

  private:
    struct Batch;
    void write_batches(std::stop_token stop);

    store::Database& database_;
    store::TsaTokenWriter& writer_;
    GroupCommitOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable_any work_;
    std::deque<std::shared_ptr<Batch>> open_;  // waiting for a writer, oldest first
    Stats stats_;
    std::vector<std::jthread> writers_;
};

}  // namespace signet::tsa
