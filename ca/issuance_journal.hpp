#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "audit/log.hpp"
#include "common/metrics.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"

namespace signet::ca {

// Where the issuance cycle (ca/issuance.hpp) makes its two durable writes.
class IssuanceJournal {
  public:
    virtual ~IssuanceJournal() = default;
    // Step 2: returns once the row ('reserved', with its TBS) is committed. Errc::already_exists
    // when the serial is taken (the caller draws another); any other error means the row is not
    // known to be durable, and nothing may be signed for it.
    virtual void reserve(const store::CertificateRecord& record) = 0;
    // Step 5: returns once the certificate (record.der, record.issued_at; 'reserved' ->
    // 'issued') and its audit event (deferred, through the outbox) are committed together.
    // Errc::failed_precondition when the row is not 'reserved'; any other error means the
    // certificate is not known to be stored, and it must be dropped.
    virtual void complete(const store::CertificateRecord& record,
                          const audit::AuditEvent& event) = 0;
};

struct IssuanceJournalOptions {
    // Writes in one transaction at most; more waiting callers go to the next batch.
    std::size_t max_batch = 256;
    // Transactions in flight at once: while one batch waits for its commit (the WAL flush), the
    // next is already being written.
    unsigned writers = 2;
};

// Group commit of the issuance cycle's writes, as the TSA's journal does for its tokens
// (tsa/journal.hpp): concurrent issuances' reservations and completions go to the database
// together, in one transaction of at most three statements (reserve_many, mark_issued_many,
// the audit outbox's defer_many) and one COMMIT, and each caller waits for its own batch's
// commit. One caller pays one transaction per write as before; many share each commit's WAL
// flush and round trips.
//
// One member's failure is its own: a taken serial or a row that is not 'reserved' leaves that
// member out of its statement (the others go in), and a statement the database refuses (a
// constraint, bad data) makes the batch run again with each member in a transaction of its
// own, so the error reaches only the member that caused it. Only when the database is
// unavailable does every member of the batch get the error (then none of theirs is known to be
// durable). Thread-safe; the destructor lets the batches in flight finish.
class GroupCommitIssuanceJournal final : public IssuanceJournal {
  public:
    GroupCommitIssuanceJournal(store::Database& database,
                               store::CertificateRepository& certificates, audit::AuditLog& audit,
                               IssuanceJournalOptions options = {});
    GroupCommitIssuanceJournal(const GroupCommitIssuanceJournal&) = delete;
    GroupCommitIssuanceJournal& operator=(const GroupCommitIssuanceJournal&) = delete;
    ~GroupCommitIssuanceJournal() override;

    void reserve(const store::CertificateRecord& record) override;
    void complete(const store::CertificateRecord& record, const audit::AuditEvent& event) override;

    struct Stats {
        std::uint64_t batches = 0;        // transactions committed
        std::uint64_t writes = 0;         // reservations and completions in them
        std::uint64_t split_batches = 0;  // batches run again member by member
        std::size_t largest_batch = 0;
        std::size_t queued = 0;  // writes waiting for a writer now
    };
    Stats stats() const;

    // signet_ca_commit_* counters for /metrics, read from stats(). The journal must outlive
    // the registry's use of them.
    void register_metrics(MetricsRegistry& metrics);

  private:
    struct Write;
    struct Batch;
    void submit(Write& write);
    void write_batches(std::stop_token stop);
    // Runs `writes` in one transaction and sets each one's outcome; throws only what concerns
    // the whole transaction.
    void commit(std::span<Write* const> writes);

    store::Database& database_;
    store::CertificateRepository& certificates_;
    audit::AuditLog& audit_;
    IssuanceJournalOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable_any work_;
    std::deque<std::shared_ptr<Batch>> open_;  // waiting for a writer, oldest first
    Stats stats_;
    std::vector<std::jthread> writers_;
};

}  // namespace signet::ca
