#include "tsa/journal.hpp"

#include <algorithm>
#include <optional>

#include "common/error.hpp"

namespace signet::tsa {

struct GroupCommitJournal::Batch {
    std::vector<const store::TsaTokenRecord*> rows;  // the callers' records: they wait for us
    bool done = false;
    std::vector<bool> inserted;
    std::optional<Error> error;
    std::condition_variable_any finished;  // on the journal's mutex
};

GroupCommitJournal::GroupCommitJournal(store::Database& database, store::TsaTokenWriter& writer,
                                       GroupCommitOptions options)
    : database_(database), writer_(writer), options_(options) {
    options_.max_batch = std::max<std::size_t>(1, options_.max_batch);
    options_.writers = std::max(1u, options_.writers);
    for (unsigned i = 0; i < options_.writers; ++i)
        writers_.emplace_back([this](std::stop_token stop) { write_batches(stop); });
}

GroupCommitJournal::~GroupCommitJournal() {
    for (auto& writer : writers_)
        writer.request_stop();
    work_.notify_all();
    writers_.clear();  // joins, after each writer has drained what was open
}

void GroupCommitJournal::record(const store::TsaTokenRecord& token) {
    std::unique_lock lock(mutex_);
    if (open_.empty() || open_.back()->rows.size() >= options_.max_batch)
        open_.push_back(std::make_shared<Batch>());
    std::shared_ptr<Batch> batch = open_.back();
    const std::size_t index = batch->rows.size();
    batch->rows.push_back(&token);
    work_.notify_one();
    batch->finished.wait(lock, [&] { return batch->done; });
    if (batch->error)
        throw Error(batch->error->code(), batch->error->what());
    if (!batch->inserted.at(index)) {
        throw Error(Errc::already_exists,
                    "the serial " + to_hex(token.serial) + " is already recorded");
    }
}

void GroupCommitJournal::write_batches(std::stop_token stop) {
    for (;;) {
        std::unique_lock lock(mutex_);
        // Returns false only when stopping with nothing open: the open batches are drained first.
        if (!work_.wait(lock, stop, [&] { return !open_.empty(); }))
            return;
        std::shared_ptr<Batch> batch = std::move(open_.front());
        open_.pop_front();
        lock.unlock();

        std::vector<bool> inserted;
        std::optional<Error> error;
        try {
            // One INSERT is one transaction by itself (autocommit): atomic, and one round trip
            // where BEGIN ... COMMIT would take three. It returns once the commit is flushed
            // (synchronous_commit, the server's default).
            inserted = database_.with_connection(
                [&](store::Connection& c) { return writer_.append(c, batch->rows); });
            if (inserted.size() != batch->rows.size())
                error.emplace(Errc::internal, "the token batch came back with the wrong size");
        } catch (const Error& e) {
            error.emplace(e.code(), e.what());
        } catch (const std::exception& e) {
            error.emplace(Errc::internal, e.what());
        }

        lock.lock();
        if (error) {
            ++stats_.failed_batches;
            stats_.failed_rows += batch->rows.size();
        } else {
            ++stats_.batches;
            stats_.rows += static_cast<std::uint64_t>(std::ranges::count(inserted, true));
            stats_.largest_batch = std::max(stats_.largest_batch, batch->rows.size());
        }
        batch->inserted = std::move(inserted);
        batch->error = std::move(error);
        batch->done = true;
        batch->finished.notify_all();
    }
}

GroupCommitJournal::Stats GroupCommitJournal::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void GroupCommitJournal::register_metrics(MetricsRegistry& metrics) {
    metrics.callback("signet_tsa_commit_batches_total",
                     "Transactions of time-stamp token records committed (group commit)",
                     MetricType::counter, {}, [this] {
                         return std::vector<Sample>{{{}, static_cast<double>(stats().batches)}};
                     });
    metrics.callback("signet_tsa_committed_tokens_total",
                     "Time-stamp token records committed before signing", MetricType::counter, {},
                     [this] {
                         return std::vector<Sample>{{{}, static_cast<double>(stats().rows)}};
                     });
    metrics.callback("signet_tsa_commit_failures_total",
                     "Token records whose transaction failed (answered systemFailure)",
                     MetricType::counter, {}, [this] {
                         return std::vector<Sample>{{{}, static_cast<double>(stats().failed_rows)}};
                     });
}

}  // namespace signet::tsa
