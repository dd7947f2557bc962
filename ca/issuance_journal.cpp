#include "ca/issuance_journal.hpp"

#include <algorithm>
#include <optional>

#include "ca/x509.hpp"
#include "common/error.hpp"

namespace signet::ca {

// One caller's write; it lives on the caller's stack while the caller waits for its batch.
struct GroupCommitIssuanceJournal::Write {
    const store::CertificateRecord* record = nullptr;
    const audit::AuditEvent* event = nullptr;  // a completion; nullptr: a reservation
    std::optional<Error> error;                // the outcome, set by the writer
};

struct GroupCommitIssuanceJournal::Batch {
    std::vector<Write*> writes;
    bool done = false;
    std::condition_variable_any finished;  // on the journal's mutex
};

GroupCommitIssuanceJournal::GroupCommitIssuanceJournal(store::Database& database,
                                                       store::CertificateRepository& certificates,
                                                       audit::AuditLog& audit,
                                                       IssuanceJournalOptions options)
    : database_(database), certificates_(certificates), audit_(audit), options_(options) {
    options_.max_batch = std::max<std::size_t>(1, options_.max_batch);
    options_.writers = std::max(1u, options_.writers);
    for (unsigned i = 0; i < options_.writers; ++i)
        writers_.emplace_back([this](std::stop_token stop) { write_batches(stop); });
}

GroupCommitIssuanceJournal::~GroupCommitIssuanceJournal() {
    for (auto& writer : writers_)
        writer.request_stop();
    work_.notify_all();
    writers_.clear();  // joins, after each writer has drained what was open
}

void GroupCommitIssuanceJournal::reserve(const store::CertificateRecord& record) {
    Write write{&record, nullptr, std::nullopt};
    submit(write);
    if (write.error)
        throw Error(write.error->code(), write.error->what());
}

void GroupCommitIssuanceJournal::complete(const store::CertificateRecord& record,
                                          const audit::AuditEvent& event) {
    if (!record.der || !record.issued_at)
        throw Error(Errc::internal, "an issuance is completed with its certificate and time");
    // Here, not in the batch: a bad event is its caller's error alone.
    audit::validate(event);
    Write write{&record, &event, std::nullopt};
    submit(write);
    if (write.error)
        throw Error(write.error->code(), write.error->what());
}

void GroupCommitIssuanceJournal::submit(Write& write) {
    std::unique_lock lock(mutex_);
    if (open_.empty() || open_.back()->writes.size() >= options_.max_batch)
        open_.push_back(std::make_shared<Batch>());
    std::shared_ptr<Batch> batch = open_.back();
    batch->writes.push_back(&write);
    ++stats_.queued;
    work_.notify_one();
    batch->finished.wait(lock, [&] { return batch->done; });
}

void GroupCommitIssuanceJournal::write_batches(std::stop_token stop) {
    for (;;) {
        std::unique_lock lock(mutex_);
        // Returns false only when stopping with nothing open: the open batches are drained first.
        if (!work_.wait(lock, stop, [&] { return !open_.empty(); }))
            return;
        std::shared_ptr<Batch> batch = std::move(open_.front());
        open_.pop_front();
        stats_.queued -= batch->writes.size();
        lock.unlock();

        std::optional<Error> failure;
        try {
            commit(batch->writes);
        } catch (const Error& e) {
            failure.emplace(e.code(), e.what());
        } catch (const std::exception& e) {
            failure.emplace(Errc::internal, e.what());
        }
        const bool split =
            failure && failure->code() != Errc::unavailable && batch->writes.size() > 1;
        if (split) {
            // The database refused a statement, and rolled the batch back: find whose write it
            // was by running each on its own, so the others go in and only that member gets
            // the error.
            for (Write* write : batch->writes) {
                try {
                    commit(std::span<Write* const>(&write, 1));
                } catch (const Error& e) {
                    write->error.emplace(e.code(), e.what());
                } catch (const std::exception& e) {
                    write->error.emplace(Errc::internal, e.what());
                }
            }
        } else if (failure) {
            // The database is away, or the commit's outcome is unknown: no member's write is
            // known to be durable, and running them again one by one would not tell more.
            for (Write* write : batch->writes)
                write->error.emplace(failure->code(), failure->what());
        }

        lock.lock();
        ++stats_.batches;
        stats_.writes += batch->writes.size();
        stats_.split_batches += split ? 1 : 0;
        stats_.largest_batch = std::max(stats_.largest_batch, batch->writes.size());
        batch->done = true;
        batch->finished.notify_all();
    }
}

void GroupCommitIssuanceJournal::commit(std::span<Write* const> writes) {
    std::vector<const store::CertificateRecord*> reservations;
    std::vector<Write*> reserving;
    std::vector<store::IssuedCertificate> certificates;
    std::vector<Write*> completing;
    for (Write* write : writes) {
        if (write->event == nullptr) {
            reservations.push_back(write->record);
            reserving.push_back(write);
        } else {
            certificates.push_back(
                {write->record->serial, *write->record->der, *write->record->issued_at});
            completing.push_back(write);
        }
    }
    std::vector<bool> reserved;
    std::vector<bool> issued;
    database_.transaction(
        [&](store::Connection& tx) {
            // Assigned on every attempt: a retried transaction starts again from nothing.
            reserved = certificates_.reserve_many(tx, reservations);
            issued = certificates_.mark_issued_many(tx, certificates);
            // Checked before COMMIT: past it nothing may fail, or a committed batch would be
            // taken for a refused one and run again.
            if (reserved.size() != reservations.size() || issued.size() != certificates.size())
                throw Error(Errc::internal, "a certificate batch came back with the wrong size");
            // Only the certificates now stored get their certificate.issued event.
            std::vector<audit::AuditEvent> events;
            for (std::size_t i = 0; i < completing.size(); ++i) {
                if (issued[i])
                    events.push_back(*completing[i]->event);
            }
            // Deferred: the events commit with the certificates but take no append lock, so
            // concurrent issuances do not queue behind each other's commits (audit/README.md).
            audit_.defer_many(tx, events);
        },
        // Two writers touch different rows, so a deadlock is not expected; if the server
        // reports one all the same, the whole batch can run again (no side effect outside).
        store::TransactionOptions{store::Isolation::read_committed, false, 3});
    for (std::size_t i = 0; i < reserving.size(); ++i) {
        if (!reserved[i]) {
            reserving[i]->error.emplace(
                Errc::already_exists,
                "the serial " + serial_hex(reserving[i]->record->serial) + " is already taken");
        }
    }
    for (std::size_t i = 0; i < completing.size(); ++i) {
        if (!issued[i]) {
            completing[i]->error.emplace(Errc::failed_precondition,
                                         "certificate " +
                                             serial_hex(completing[i]->record->serial) +
                                             " is not reserved: not stored twice");
        }
    }
}

GroupCommitIssuanceJournal::Stats GroupCommitIssuanceJournal::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void GroupCommitIssuanceJournal::register_metrics(MetricsRegistry& metrics) {
    const auto counter = [this](std::uint64_t Stats::*field) {
        return [this, field] {
            return std::vector<Sample>{{{}, static_cast<double>(stats().*field)}};
        };
    };
    metrics.callback("signet_ca_commit_batches_total",
                     "Transactions of the CA's issuance writes (group commit)", MetricType::counter,
                     {}, counter(&Stats::batches));
    metrics.callback("signet_ca_committed_writes_total",
                     "Certificate reservations and completions in those transactions",
                     MetricType::counter, {}, counter(&Stats::writes));
    metrics.callback("signet_ca_commit_split_batches_total",
                     "Issuance batches the database refused, run again member by member",
                     MetricType::counter, {}, counter(&Stats::split_batches));
}

}  // namespace signet::ca
