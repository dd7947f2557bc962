// A contract's events: the canonical bytes, their RFC 3161 time-stamp from our TSA, the
// contract_events row and the audit event (issue 13: "every transition is an audit event
// carrying an RFC 3161 token from our own TSA over the event").
#include <algorithm>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "sign/contracts_impl.hpp"

namespace signet::sign {

std::string event_canonical(const store::ContractRecord& contract, int seq, const std::string& type,
                            Clock::time_point at, const store::ContractRevisionRecord& revision,
                            const nlohmann::json& details) {
    // nlohmann::json's object is a std::map: keys come out sorted by their bytes, and dump()
    // without an indent writes no whitespace; integers only, so one form per value.
    const nlohmann::json event = {
        {"at", format_utc(at)},
        {"contract", contract.id},
        {"details", details},
        {"revision", {{"number", revision.number}, {"sha256", to_hex(revision.sha256)}}},
        {"seq", seq},
        {"type", type},
    };
    return event.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

Clock::time_point Contracts::Impl::now() const {
    return std::chrono::time_point_cast<std::chrono::microseconds>(deps.clock.now());
}

void Contracts::Impl::Events::append(const store::ContractRecord& contract, const std::string& type,
                                     std::optional<int> position, nlohmann::json details) {
    auto& repository = impl_.deps.contracts;
    if (!next_seq_)
        next_seq_ = static_cast<int>(repository.events(tx_, contract.id).size()) + 1;
    const auto revisions = repository.revisions(tx_, contract.id);
    const auto current = std::ranges::find(revisions, contract.current_revision,
                                           &store::ContractRevisionRecord::number);
    if (current == revisions.end())
        throw Error(Errc::internal, "contract " + contract.id + " has no revision " +
                                        std::to_string(contract.current_revision));
    if (position)
        details["signer"] = *position;

    store::ContractEventRecord event;
    event.contract_id = contract.id;
    event.seq = (*next_seq_)++;
    event.type = type;
    event.at = impl_.now();
    event.signer_position = position;
    event.canonical = event_canonical(contract, event.seq, type, event.at, *current, details);
    const Sha256Digest digest = sha256_of(event.canonical);
    event.event_sha256.assign(digest.begin(), digest.end());
    // The TSA first: without its token the transition does not happen.
    try {
        event.timestamp_token = impl_.deps.stamp(digest);
    } catch (const std::exception& e) {
        throw Error(Errc::unavailable,
                    std::string("the time-stamp authority could not time-stamp the contract's '") +
                        type + "' event: " + e.what());
    }
    if (event.timestamp_token.empty())
        throw Error(
            Errc::unavailable,
            "the time-stamp authority gave no token for the contract's '" + type + "' event");
    repository.insert_event(tx_, event);

    nlohmann::json audit_details = details;
    audit_details["seq"] = event.seq;
    audit_details["event_sha256"] = to_hex(event.event_sha256);
    audit_details["state"] = contract.state;
    audit_details["revision"] = contract.current_revision;
    audit_.push_back(audit::AuditEvent{"contract." + type, caller_.actor, "contract:" + contract.id,
                                       std::move(audit_details)});
}

// Into the audit outbox in the transition's transaction (AuditLog::defer_many), not the log's
// append lock: that lock is held to COMMIT, and would make every contract transition of every
// client wait for the one before it to reach the disk (ops/bench sign measured signatures
// capped by it). The transition's proof is its contract_events row and TSA token, written in
// the same transaction; the audit log receives the event at the next drain (signetd drains every
// 100 ms) with its time in "occurred_at".
void Contracts::Impl::Events::finish() {
    impl_.deps.audit.defer_many(tx_, audit_);
    audit_.clear();
}

}  // namespace signet::sign
