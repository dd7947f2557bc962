#pragma once

#include <optional>

#include "policy/config.hpp"
#include "ra/evidence.hpp"
#include "ra/otp_limits.hpp"
#include "ra/sms_gateway.hpp"

// The validated configuration (policy/config.hpp) mapped to the registration authority's own
// types. policy/ checks the same rules at load, each at its line; these functions check them
// again (ra::validate, ra::check_sms_gateway_settings), so a Config made by hand cannot slip
// through either.
namespace signet::ra {

// identity.evidence: the providers (their PEM text, loaded by policy), the freshness bounds and
// the levels, lowest first, each named by its number ("1".."10").
EvidencePolicy evidence_policy(const policy::IdentitySettings& identity);

// otp and otp.totp; Errc::invalid_argument naming the field when ra::validate refuses them.
OtpPolicy otp_policy(const policy::OtpSettings& otp);

// otp.sms_gateway, or nullopt when none is configured (SMS challenges are then refused). Reads
// each header's secret from its source (common/secret.hpp: an env: variable is unset once read,
// so call it once, at startup); a source that cannot be read is Errc::not_found or
// invalid_argument naming the header ('otp.sms_gateway.headers.NAME'), never the value.
std::optional<SmsGatewaySettings> sms_gateway_settings(const policy::OtpSettings& otp);

}  // namespace signet::ra
