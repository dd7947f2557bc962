#pragma once

#include <memory>

#include "common/metrics.hpp"
#include "store/database.hpp"
#include "store/group_commit.hpp"
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

// The tokens' group commit (store::GroupCommitter): concurrent callers' rows go in one INSERT,
// which is one transaction by itself, and each caller waits for its own batch's commit. A
// serial already taken leaves that row out (its caller draws again); a row the database refuses
// fails alone (the batch runs again row by row); an unavailable database fails every row of the
// batch. Thread-safe; the destructor lets the batches in flight finish.
class GroupCommitJournal final : public TokenJournal {
  public:
    GroupCommitJournal(store::Database& database, store::TsaTokenWriter& writer,
                       store::GroupCommitOptions options = {.max_batch = 1024});

    void record(const store::TsaTokenRecord& token) override;

    store::GroupCommitStats stats() const { return committer_.stats(); }

    // signet_tsa_commit_* for /metrics (store::GroupCommitter::register_metrics).
    void register_metrics(MetricsRegistry& metrics);

  private:
    struct Row;
    void commit(std::span<store::GroupCommitMember* const> members);

    store::Database& database_;
    store::TsaTokenWriter& writer_;
    store::GroupCommitter committer_;  // last: its writers use the members above
};

}  // namespace signet::tsa
