// signet.yaml's identity and otp sections as the RA's types (ra/settings.hpp).
#include "ra/settings.hpp"

#include <map>
#include <string>

#include "common/error.hpp"
#include "common/secret.hpp"
#include "ra/hsm_keys.hpp"

namespace signet::ra {

EvidencePolicy evidence_policy(const policy::IdentitySettings& identity) {
    const policy::EvidenceSettings& evidence = identity.evidence;
    EvidencePolicy out;
    for (const auto& provider : evidence.providers)
        out.providers.push_back({provider.issuer, provider.key_id, provider.public_key_pem});
    out.max_age = evidence.max_age;
    out.clock_skew = evidence.clock_skew;
    out.max_token_bytes = evidence.max_token_bytes;
    out.audience = evidence.audience;
    // std::map: in increasing order, as EvidencePolicy::levels wants them.
    for (const auto& [number, level] : evidence.levels)
        out.levels.push_back({std::to_string(number), level.methods, level.min_face_match_score,
                              level.min_liveness_score});
    return out;
}

OtpPolicy otp_policy(const policy::OtpSettings& otp) {
    OtpPolicy out;
    out.digits = static_cast<int>(otp.digits);
    out.lifetime = otp.lifetime;
    out.max_attempts = static_cast<int>(otp.max_attempts);
    out.max_failures = static_cast<int>(otp.max_failures);
    out.failure_window = otp.failure_window;
    out.lockout = otp.lockout;
    out.min_send_interval = otp.min_send_interval;
    out.max_sends_per_hour = static_cast<int>(otp.max_sends_per_hour);
    out.max_client_sends_per_minute = static_cast<int>(otp.max_client_sends_per_minute);
    out.message = otp.message;
    out.totp_digits = static_cast<int>(otp.totp.digits);
    out.totp_period = otp.totp.period;
    out.totp_window = static_cast<int>(otp.totp.window);
    out.issuer = otp.totp.issuer;
    validate(out);
    return out;
}

std::optional<SmsGatewaySettings> sms_gateway_settings(const policy::OtpSettings& otp) {
    if (!otp.sms_gateway)
        return std::nullopt;
    const policy::SmsGatewayConfig& gateway = *otp.sms_gateway;
    SmsGatewaySettings out;
    out.url = gateway.url;
    out.body_template = gateway.body_template;
    for (const auto& [name, source] : gateway.headers) {
        try {
            out.headers.emplace_back(name, std::string(read_secret(source).view()));
        } catch (const Error& e) {
            // read_secret's message names the source (a path or a variable), never the value.
            throw Error(e.code(), "'otp.sms_gateway.headers." + name + "': " + e.what());
        }
    }
    out.connect_timeout = gateway.connect_timeout;
    out.timeout = gateway.timeout;
    out.retries = static_cast<int>(gateway.retries);
    out.backoff = gateway.backoff;
    check_sms_gateway_settings(out);
    return out;
}


RegistryDependencies registry_dependencies(const policy::Config& config,
                                           std::shared_ptr<hsm::Token> token,
                                           store::Database& database, audit::AuditLog& audit,
                                           const Clock& clock, RevokeSubjectCertificates revoke) {
    std::map<std::string, unsigned, std::less<>> levels;
    for (const auto& [name, profile] : config.ca.profiles)
        levels.emplace(name, profile.required_assurance);
    return RegistryDependencies{
        database,
        audit,
        clock,
        document_hmac_function(std::move(token), config.identity.hmac_key_label),
        evidence_policy(config.identity),
        [levels = std::move(levels)](const std::string& profile) -> std::optional<unsigned> {
            const auto found = levels.find(profile);
            if (found == levels.end())
                return std::nullopt;
            return found->second;
        },
        config.identity.max_assurance_level,
        std::move(revoke)};
}

std::string missing_ra_keys(const policy::Config& config, hsm::Token& token) {
    std::string missing;
    for (const std::string& label : {config.identity.hmac_key_label, config.otp.hmac_key_label}) {
        if (token.has_hmac_key(label))
            continue;
        missing += (missing.empty() ? "" : "; ") + missing_hmac_key(label);
    }
    return missing;
}

}  // namespace signet::ra
