#pragma once

// The contract service's shared state and steps (internal to sign/): contracts.cpp creates and
// reads, contract_transitions.cpp changes states.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sign/contracts.hpp"

namespace signet::sign {

struct Contracts::Impl {
    explicit Impl(ContractsDependencies d) : deps(std::move(d)) {}

    ContractsDependencies deps;

    // The clock cut to microseconds, PostgreSQL's resolution, so that a time written in an
    // event's canonical bytes is the one its row holds.
    Clock::time_point now() const;

    // Everything about a contract, read in `tx`.
    Contract load(store::Connection& tx, const store::ContractRecord& record);
    // The contract locked for a transition; Errc::not_found when there is none or it belongs to
    // another client than the caller's.
    store::ContractRecord lock(store::Connection& tx, std::string_view id,
                               const ContractCaller& caller);

    // A person signer or a seal's organization and agent, as the RA has them now:
    // Errc::failed_precondition naming the field and why.
    void check_signer(const SignerInput& signer, const std::string& field);

    // One transition's events: append() writes each contract_events row at once (its token
    // from the TSA first: Errc::unavailable when there is none), finish() records their audit
    // events, last, as the audit log asks.
    class Events {
      public:
        Events(Impl& impl, store::Connection& tx, const ContractCaller& caller)
            : impl_(impl), tx_(tx), caller_(caller) {}
        void append(const store::ContractRecord& contract, const std::string& type,
                    std::optional<int> position, nlohmann::json details = nlohmann::json::object());
        void finish();

      private:
        Impl& impl_;
        store::Connection& tx_;
        const ContractCaller& caller_;
        std::optional<int> next_seq_;
        std::vector<audit::AuditEvent> audit_;
    };
};

// The canonical bytes of a contract event (what its time-stamp token covers): the JSON object
//   {"at":..,"contract":..,"details":{..},"revision":{"number":..,"sha256":..},"seq":..,
//    "type":..}
// with keys sorted at every level, no whitespace, "at" RFC 3339 UTC with six fractional digits,
// the revision the contract is at (the document the event concerns) with its SHA-256 in
// lowercase hex. No document byte and no personal data: ids, positions, serials.
std::string event_canonical(const store::ContractRecord& contract, int seq, const std::string& type,
                            Clock::time_point at, const store::ContractRevisionRecord& revision,
                            const nlohmann::json& details);

}  // namespace signet::sign
