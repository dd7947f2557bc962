#include "store/group_commit.hpp"

#include <algorithm>

namespace signet::store {

struct GroupCommitter::Batch {
    std::vector<std::shared_ptr<GroupCommitMember>> members;
    bool taken = false;  // a writer has it: too late to withdraw a member
    bool done = false;
    std::condition_variable_any finished;  // on the committer's mutex
};

namespace {

Error error_of(const std::exception& e) {
    if (const auto* error = dynamic_cast<const Error*>(&e))
        return Error(error->code(), error->what());
    return Error(Errc::internal, e.what());
}

}  // namespace

GroupCommitter::GroupCommitter(const Database& database, Commit commit, GroupCommitOptions options)
    : commit_(std::move(commit)), options_(options) {
    if (!commit_)
        throw Error(Errc::invalid_argument, "a group committer needs its commit function");
    options_.max_batch = std::max<std::size_t>(1, options_.max_batch);
    options_.writers = std::max(1u, options_.writers);
    if (options_.wait.count() <= 0)
        options_.wait = std::max(database.options().acquire_timeout, std::chrono::milliseconds(1));
    for (unsigned i = 0; i < options_.writers; ++i)
        writers_.emplace_back([this](std::stop_token stop) { write_batches(stop); });
}

GroupCommitter::~GroupCommitter() {
    for (auto& writer : writers_)
        writer.request_stop();
    work_.notify_all();
    writers_.clear();  // joins, after each writer has drained what was open
}

void GroupCommitter::submit(std::shared_ptr<GroupCommitMember> member) {
    if (!member)
        throw Error(Errc::internal, "a group commit of nothing");
    member->error.reset();
    std::unique_lock lock(mutex_);
    if (open_.empty() || open_.back()->members.size() >= options_.max_batch)
        open_.push_back(std::make_shared<Batch>());
    const std::shared_ptr<Batch> batch = open_.back();
    batch->members.push_back(member);
    ++stats_.queued;
    work_.notify_one();
    const auto deadline = std::chrono::steady_clock::now() + options_.wait;
    if (!batch->finished.wait_until(lock, deadline, [&] { return batch->done; })) {
        ++stats_.timeouts;
        const std::string waited = std::to_string(options_.wait.count()) + " ms";
        if (!batch->taken) {
            // No writer reached it (all of them stuck on an earlier batch): withdrawn, so it is
            // never written and its caller may forget it.
            std::erase(batch->members, member);
            --stats_.queued;
            throw Error(Errc::unavailable, "database unavailable: no writer free within " + waited +
                                               " (database.wait_ms); nothing written");
        }
        throw Error(Errc::unavailable, "database unavailable: no commit within " + waited +
                                           " (database.wait_ms); the write may still commit");
    }
    if (member->error)
        throw Error(member->error->code(), member->error->what());
}

void GroupCommitter::write_batches(std::stop_token stop) {
    for (;;) {
        std::unique_lock lock(mutex_);
        // Returns false only when stopping with nothing open: the open batches are drained first.
        if (!work_.wait(lock, stop, [&] { return !open_.empty(); }))
            return;
        const std::shared_ptr<Batch> batch = std::move(open_.front());
        open_.pop_front();
        batch->taken = true;
        stats_.queued -= batch->members.size();
        // The batch keeps its members alive; a caller that stops waiting now only leaves.
        std::vector<GroupCommitMember*> members;
        for (const auto& member : batch->members)
            members.push_back(member.get());
        lock.unlock();

        const bool split = !members.empty() && run(members);

        lock.lock();
        if (!members.empty()) {
            ++stats_.batches;
            stats_.writes += members.size();
            stats_.failed_writes += static_cast<std::uint64_t>(std::ranges::count_if(
                members, [](const GroupCommitMember* m) { return m->error.has_value(); }));
            stats_.split_batches += split ? 1 : 0;
            stats_.largest_batch = std::max(stats_.largest_batch, members.size());
        }
        batch->done = true;
        batch->finished.notify_all();
    }
}

bool GroupCommitter::run(const std::vector<GroupCommitMember*>& members) {
    std::optional<Error> failure;
    try {
        commit_(members);
    } catch (const std::exception& e) {
        failure = error_of(e);
    }
    if (!failure)
        return false;
    if (failure->code() != Errc::unavailable && members.size() > 1) {
        // The database refused a statement and rolled the batch back: find whose write it was
        // by running each on its own, so the others go in and only that member gets the error.
        for (GroupCommitMember* member : members) {
            member->error.reset();
            try {
                commit_(std::span<GroupCommitMember* const>(&member, 1));
            } catch (const std::exception& e) {
                member->error = error_of(e);
            }
        }
        return true;
    }
    // The database is away, or the commit's outcome is unknown: no member's write is known to
    // be durable.
    for (GroupCommitMember* member : members)
        member->error = *failure;
    return false;
}

GroupCommitStats GroupCommitter::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void GroupCommitter::register_metrics(MetricsRegistry& metrics, const std::string& prefix,
                                      const std::string& what) {
    const auto counter = [this](std::uint64_t GroupCommitStats::*field) {
        return [this, field] {
            return std::vector<Sample>{{{}, static_cast<double>(stats().*field)}};
        };
    };
    metrics.callback(prefix + "_commit_batches_total",
                     "Transactions of " + what + " (group commit), committed or not",
                     MetricType::counter, {}, counter(&GroupCommitStats::batches));
    metrics.callback(prefix + "_committed_writes_total", "Writes of " + what + " in those batches",
                     MetricType::counter, {}, counter(&GroupCommitStats::writes));
    metrics.callback(prefix + "_commit_failures_total",
                     "Writes of " + what + " whose callers were told they failed",
                     MetricType::counter, {}, counter(&GroupCommitStats::failed_writes));
    metrics.callback(prefix + "_commit_split_batches_total",
                     "Batches of " + what + " the database refused, run again member by member",
                     MetricType::counter, {}, counter(&GroupCommitStats::split_batches));
    metrics.callback(
        prefix + "_commit_timeouts_total",
        "Callers that stopped waiting for the commit of " + what + " past database.wait_ms",
        MetricType::counter, {}, counter(&GroupCommitStats::timeouts));
    metrics.gauge_callback(prefix + "_commit_queued",
                           "Writes of " + what + " waiting for a writer now",
                           [this] { return static_cast<double>(stats().queued); });
}

}  // namespace signet::store
