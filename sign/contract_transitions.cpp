// The contract state machine's transitions (sign/contracts.hpp): each one transaction holding
// the contract's row locked, the change, its time-stamped event(s), what to notify and the
// audit events; any refusal or failure changes nothing.
#include <algorithm>

#include "common/error.hpp"
#include "sign/contract_rules.hpp"
#include "sign/contracts_impl.hpp"

namespace signet::sign {

namespace {

using Impl = Contracts::Impl;

bool is_open(const store::ContractRecord& c) {
    return c.state == "draft" || c.state == "sent" || c.state == "partially_signed";
}

[[noreturn]] void refuse(const store::ContractRecord& c, const std::string& why) {
    throw Error(Errc::failed_precondition, "contract " + c.id + " " + why);
}

void require_state(const store::ContractRecord& c, std::initializer_list<std::string_view> states,
                   const std::string& action) {
    if (std::ranges::find(states, c.state) == states.end())
        refuse(c, "is " + c.state + ": " + action);
}

// A deadline that passed ends the contract even before expire_due has marked it.
void require_before_deadline(const store::ContractRecord& c, Clock::time_point now) {
    if (now >= c.expires_at)
        refuse(c, "passed its deadline at " + format_utc(c.expires_at));
}

// A transition in the caller's transaction `tx` (the signing work's: the signed revision's
// document and its record commit together).
template <class Change>
Contract transition_in(Impl& impl, store::Connection& tx, std::string_view id,
                       const ContractCaller& caller, Change&& change) {
    store::ContractRecord record = impl.lock(tx, id, caller);
    Impl::Events events(impl, tx, caller);
    change(tx, record, events);
    events.finish();  // the audit events last: the log's append lock is held to COMMIT
    return impl.load(tx, record);
}

template <class Change>
Contract transition(Impl& impl, std::string_view id, const ContractCaller& caller,
                    Change&& change) {
    return impl.deps.database.transaction([&](store::Connection& tx) {
        return transition_in(impl, tx, id, caller, change);
    });
}

const store::ContractSignerRecord& signer_at(const store::ContractRecord& c,
                                             const std::vector<store::ContractSignerRecord>& all,
                                             int position) {
    const auto it = std::ranges::find(all, position, &store::ContractSignerRecord::position);
    if (it == all.end())
        throw Error(Errc::not_found,
                    "contract " + c.id + " has no signer " + std::to_string(position));
    return *it;
}

}  // namespace

Contract Contracts::send(std::string_view id, const ContractCaller& caller) {
    return transition(*impl_, id, caller,
                      [&](store::Connection& tx, store::ContractRecord& c, Impl::Events& events) {
                          require_state(c, {"draft"}, "only a draft can be sent");
                          const Clock::time_point now = impl_->now();
                          require_before_deadline(c, now);
                          c.state = "sent";
                          c.sent_at = now;
                          impl_->deps.contracts.update(tx, c);
                          events.append(c, "sent", std::nullopt);
                          if (impl_->deps.notifier)
                              impl_->deps.notifier->signer_due(
                                  tx, c, impl_->deps.contracts.signers(tx, c.id).at(0));
                      });
}

Contract Contracts::record_approval(std::string_view id, int position, std::int64_t approver_id,
                                    const ContractCaller& caller) {
    // The RA's answer first, outside the contract's transaction (the registry uses connections
    // of its own): which organization the seal is, and whether the approver may approve it.
    const Contract before = find(id, caller);
    const auto& seal = signer_at(before.record, before.signers, position);
    if (seal.kind != "seal")
        throw Error(Errc::invalid_argument, "'position': signer " + std::to_string(position) +
                                                " of contract " + before.record.id +
                                                " is a person, not a seal");
    // Four eyes: the agent who applies the seal does not approve it too.
    if (seal.agent_id && *seal.agent_id == approver_id)
        throw Error(Errc::failed_precondition,
                    "'approver_id' is the agent who applies the seal: another person approves it");
    impl_->deps.registry.check_agent_may(seal.subject_id, approver_id, "approve_seal");

    return transition(
        *impl_, id, caller,
        [&](store::Connection& tx, store::ContractRecord& c, Impl::Events& events) {
            require_state(c, {"draft", "sent", "partially_signed"}, "approvals are closed");
            const Clock::time_point now = impl_->now();
            require_before_deadline(c, now);
            const auto signers = impl_->deps.contracts.signers(tx, c.id);
            if (signer_at(c, signers, position).state != "waiting")
                refuse(c, "has its seal " + std::to_string(position) + " applied already");
            for (const auto& a : impl_->deps.contracts.approvals(tx, c.id))
                if (a.position == position && a.approver_id == approver_id)
                    throw Error(Errc::already_exists, "subject " + std::to_string(approver_id) +
                                                          " already approved seal " +
                                                          std::to_string(position) +
                                                          " of contract " + c.id);
            impl_->deps.contracts.insert_approval(tx, {c.id, position, approver_id, now});
            events.append(c, "approved", position, {{"approver", approver_id}});
        });
}

Contract Contracts::cancel(std::string_view id, const ContractCaller& caller) {
    return transition(*impl_, id, caller,
                      [&](store::Connection& tx, store::ContractRecord& c, Impl::Events& events) {
                          if (!is_open(c))
                              refuse(c,
                                     "is " + c.state + ": only an open contract can be cancelled");
                          c.state = "cancelled";
                          c.cancelled_at = impl_->now();
                          impl_->deps.contracts.update(tx, c);
                          events.append(c, "cancelled", std::nullopt);
                          if (impl_->deps.notifier)
                              impl_->deps.notifier->contract_cancelled(tx, c);
                      });
}

std::size_t Contracts::expire_due(Clock::time_point now, std::size_t limit) {
    const auto due = impl_->deps.database.with_connection(
        [&](store::Connection& c) { return impl_->deps.contracts.due_for_expiry(c, now, limit); });
    const ContractCaller system{"system", std::nullopt};
    std::size_t expired = 0;
    for (const auto& id : due) {
        bool changed = false;
        transition(
            *impl_, id, system,
            [&](store::Connection& tx, store::ContractRecord& c, Impl::Events& events) {
                // Signed, completed or cancelled since the scan: nothing to do.
                if ((c.state != "sent" && c.state != "partially_signed") || c.expires_at > now)
                    return;
                c.state = "expired";
                c.expired_at = std::chrono::time_point_cast<std::chrono::microseconds>(now);
                impl_->deps.contracts.update(tx, c);
                events.append(c, "expired", std::nullopt);
                if (impl_->deps.notifier)
                    impl_->deps.notifier->contract_expired(tx, c);
                changed = true;
            });
        expired += changed ? 1 : 0;
    }
    return expired;
}

Contract Contracts::record_signature(std::string_view id, int position,
                                     const RevisionInput& revision,
                                     std::string_view certificate_serial,
                                     const ContractCaller& caller) {
    return impl_->deps.database.transaction([&](store::Connection& tx) {
        return record_signature(tx, id, position, revision, certificate_serial, caller);
    });
}

Contract Contracts::record_signature(store::Connection& outer, std::string_view id, int position,
                                     const RevisionInput& revision,
                                     std::string_view certificate_serial,
                                     const ContractCaller& caller) {
    rules::check_serial(certificate_serial);
    return transition_in(
        *impl_, outer, id, caller,
        [&](store::Connection& tx, store::ContractRecord& c, Impl::Events& events) {
            auto& repository = impl_->deps.contracts;
            require_state(c, {"sent", "partially_signed"}, "it is not open for signatures");
            const Clock::time_point now = impl_->now();
            require_before_deadline(c, now);

            // Order: only the first signer still waiting signs (issue 13: "parties in turn").
            const auto signers = repository.signers(tx, c.id);
            const store::ContractSignerRecord& signer = signer_at(c, signers, position);
            if (signer.state == "signed")
                refuse(c, "has signer " + std::to_string(position) + " signed already");
            const auto due = std::ranges::find(signers, std::string("waiting"),
                                               &store::ContractSignerRecord::state);
            if (due->position != position)
                refuse(c, "is waiting for signer " + std::to_string(due->position) +
                              ", not signer " + std::to_string(position));
            if (signer.kind == "seal") {
                const auto approvals = std::ranges::count(repository.approvals(tx, c.id), position,
                                                          &store::ContractApprovalRecord::position);
                if (approvals < signer.approvals_required)
                    refuse(c, "needs " + std::to_string(signer.approvals_required) +
                                  " approval(s) of seal " + std::to_string(position) + " first (" +
                                  std::to_string(approvals) + " recorded)");
            }

            // The revision builds on the current one, and is the document the vault holds.
            const auto revisions = repository.revisions(tx, c.id);
            const auto& current = revisions.at(static_cast<std::size_t>(c.current_revision));
            if (!std::ranges::equal(current.sha256, revision.based_on))
                refuse(c, "is at revision " + std::to_string(c.current_revision) +
                              ": the signed revision was made from another one");
            const auto document = impl_->deps.documents.find(tx, revision.document_id);
            if (!document)
                throw Error(Errc::invalid_argument, "'document_id' names no stored document");
            if (!std::ranges::equal(document->sha256, revision.sha256) ||
                document->size != static_cast<std::int64_t>(revision.size))
                throw Error(Errc::invalid_argument,
                            "'document_id': the stored document's SHA-256 or size is not the "
                            "revision's");

            store::ContractSignerRecord signed_now = signer;
            c.current_revision += 1;
            repository.insert_revision(
                tx, {c.id, c.current_revision, revision.document_id,
                     Bytes(revision.sha256.begin(), revision.sha256.end()),
                     static_cast<std::int64_t>(revision.size), "signature", position, now});
            signed_now.state = "signed";
            signed_now.signed_at = now;
            signed_now.certificate_serial = std::string(certificate_serial);
            signed_now.revision = c.current_revision;
            repository.update_signer(tx, signed_now);
            const bool last = position == signers.back().position;
            c.state = last ? "completed" : "partially_signed";
            if (last)
                c.completed_at = now;
            repository.update(tx, c);

            events.append(c, "signed", position,
                          {{"certificate_serial", std::string(certificate_serial)}});
            if (last)
                events.append(c, "completed", std::nullopt);
            if (impl_->deps.notifier) {
                if (last)
                    impl_->deps.notifier->contract_completed(tx, c);
                else
                    impl_->deps.notifier->signer_due(tx, c, *std::next(due));
            }
        });
}

}  // namespace signet::sign
