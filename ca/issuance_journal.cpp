#include "ca/issuance_journal.hpp"

#include <optional>

#include "ca/x509.hpp"
#include "common/error.hpp"

namespace signet::ca {

// One caller's write: copies, so a caller that stops waiting leaves nothing dangling.
struct GroupCommitIssuanceJournal::Write final : store::GroupCommitMember {
    Write(const store::CertificateRecord& r, const audit::AuditEvent* e)
        : record(r), event(e != nullptr ? std::optional<audit::AuditEvent>(*e) : std::nullopt) {}
    store::CertificateRecord record;
    std::optional<audit::AuditEvent> event;  // a completion; nullopt: a reservation
};

GroupCommitIssuanceJournal::GroupCommitIssuanceJournal(store::Database& database,
                                                       store::CertificateRepository& certificates,
                                                       audit::AuditLog& audit,
                                                       store::GroupCommitOptions options)
    : database_(database),
      certificates_(certificates),
      audit_(audit),
      committer_(
          database, [this](std::span<store::GroupCommitMember* const> members) { commit(members); },
          options) {}

void GroupCommitIssuanceJournal::reserve(const store::CertificateRecord& record) {
    committer_.submit(std::make_shared<Write>(record, nullptr));
}

void GroupCommitIssuanceJournal::complete(const store::CertificateRecord& record,
                                          const audit::AuditEvent& event) {
    if (!record.der || !record.issued_at)
        throw Error(Errc::internal, "an issuance is completed with its certificate and time");
    // Here, not in the batch: a bad event is its caller's error alone.
    audit::validate(event);
    committer_.submit(std::make_shared<Write>(record, &event));
}

void GroupCommitIssuanceJournal::commit(std::span<store::GroupCommitMember* const> members) {
    std::vector<const store::CertificateRecord*> reservations;
    std::vector<Write*> reserving;
    std::vector<store::IssuedCertificate> certificates;
    std::vector<Write*> completing;
    for (store::GroupCommitMember* member : members) {
        auto* write = static_cast<Write*>(member);
        if (!write->event) {
            reservations.push_back(&write->record);
            reserving.push_back(write);
        } else {
            certificates.push_back(
                {write->record.serial, *write->record.der, *write->record.issued_at});
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
                "the serial " + serial_hex(reserving[i]->record.serial) + " is already taken");
        }
    }
    for (std::size_t i = 0; i < completing.size(); ++i) {
        if (!issued[i]) {
            completing[i]->error.emplace(Errc::failed_precondition,
                                         "certificate " + serial_hex(completing[i]->record.serial) +
                                             " is not reserved: not stored twice");
        }
    }
}

void GroupCommitIssuanceJournal::register_metrics(MetricsRegistry& metrics) {
    committer_.register_metrics(metrics, "signet_ca", "the CA's issuance writes");
}

}  // namespace signet::ca
