#pragma once

#include <span>

#include "audit/log.hpp"
#include "common/metrics.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "store/group_commit.hpp"

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

// Group commit of the issuance cycle's writes on the store's group committer
// (store::GroupCommitter, as the TSA's tokens): concurrent issuances' reservations and
// completions go to the database together, in one transaction of at most three statements
// (reserve_many, mark_issued_many, the audit outbox's defer_many) and one COMMIT, and each
// caller waits for its own batch's commit. One caller pays one transaction per write as before;
// many share each commit's WAL flush and round trips.
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
                               store::GroupCommitOptions options = {});

    void reserve(const store::CertificateRecord& record) override;
    void complete(const store::CertificateRecord& record, const audit::AuditEvent& event) override;

    store::GroupCommitStats stats() const { return committer_.stats(); }

    // signet_ca_commit_* for /metrics (store::GroupCommitter::register_metrics). The journal
    // must outlive the registry's use of them.
    void register_metrics(MetricsRegistry& metrics);

  private:
    struct Write;
    // Runs `members` in one transaction and sets each one's outcome; throws only what concerns
    // the whole transaction.
    void commit(std::span<store::GroupCommitMember* const> members);

    store::Database& database_;
    store::CertificateRepository& certificates_;
    audit::AuditLog& audit_;
    store::GroupCommitter committer_;  // last: its writers use the members above
};

}  // namespace signet::ca
