#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/log.hpp"
#include "common/clock.hpp"
#include "hsm/token.hpp"
#include "policy/config.hpp"
#include "ra/evidence.hpp"
#include "ra/otp_limits.hpp"
#include "ra/registry.hpp"
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



// Revokes every issued certificate of a subject (ca::Authority::revoke_subject in signetd and
// signetctl; ra/ may not depend on ca/).
using RevokeSubjectCertificates = std::function<std::vector<std::string>(
    std::int64_t subject_id, bool superseded, const std::string& actor)>;

// The registry's dependencies from signet.yaml: document numbers hashed in the HSM under
// identity.hmac_key_label, the evidence policy, the level each ca.profiles entry requires.
// A missing HMAC key is not refused here: each use is Errc::unavailable naming the label and
// the command that makes it (signetctl hsm hmac-key), so a node without it serves the rest.
RegistryDependencies registry_dependencies(const policy::Config& config,
                                           std::shared_ptr<hsm::Token> token,
                                           store::Database& database, audit::AuditLog& audit,
                                           const Clock& clock, RevokeSubjectCertificates revoke);

// Empty when the token holds the RA's two HMAC keys (identity.hmac_key_label and
// otp.hmac_key_label); otherwise what is missing and how to make it, for /healthz and the log.
std::string missing_ra_keys(const policy::Config& config, hsm::Token& token);

}  // namespace signet::ra
