#pragma once

// The contract service's checks of what a caller gives (internal to sign/): each refusal is
// Errc::invalid_argument naming the field as the API spells it.
#include <string>

#include "sign/contracts.hpp"

namespace signet::sign::rules {

inline constexpr std::size_t kMaxTitle = 200;  // characters
// Compact JSON; jsonb's text, which the table bounds at 16 KiB, adds spaces.
inline constexpr std::size_t kMaxMetadataBytes = 8192;
inline constexpr std::size_t kMaxSigners = 50;
inline constexpr std::int64_t kMaxAmount = 1'000'000'000'000'000;  // 10^15 minor units

// The options a Contracts is made with.
void check_options(const ContractsOptions& options);

// The draft's own fields (not its signers' standing at the RA): title, metadata, contract_type,
// amount, format, the signers' shape (kinds, ids, no one twice), and its deadline against `now`.
// Returns the deadline.
Clock::time_point check_draft(const ContractDraft& draft, Clock::time_point now,
                              const ContractsOptions& options);

// How many approvals a seal on a contract of this type and amount needs (0 when no rule
// matches).
int required_approvals(const ContractsOptions& options, const std::string& contract_type,
                       const std::optional<Amount>& amount);

// A certificate serial as the contract records it: lowercase hex, 2-40 digits (RFC 5280 §4.1.2.2:
// at most 20 octets).
void check_serial(std::string_view serial);

}  // namespace signet::sign::rules
