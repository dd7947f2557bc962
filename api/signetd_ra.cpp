// signetd's registration authority (api/signetd_ra.hpp).
#include "api/signetd_ra.hpp"

#include <optional>

#include "api/ra_routes.hpp"
#include "ra/hsm_keys.hpp"
#include "ra/otp.hpp"
#include "ra/otp_limits.hpp"
#include "ra/registry.hpp"
#include "ra/settings.hpp"
#include "ra/sms_gateway.hpp"
#include "ra/totp.hpp"
#include "store/otp.hpp"

namespace signet::signetd {

struct RaNode::Parts {
    const policy::Config& config;
    std::shared_ptr<hsm::Token> token;
    store::PostgresOtp otp_store;
    ra::HsmOtpCrypto crypto;
    ra::OtpLockouts lockouts;
    ra::OtpChallenges challenges;
    ra::Totp totp;
    ra::Registry registry;
    std::unique_ptr<ra::CurlSmsGateway> sms;

    explicit Parts(const Dependencies& d)
        : config(d.config),
          token(d.token),
          crypto(d.token, d.config.otp.hmac_key_label, d.config.otp.seed_kek_label),
          lockouts(d.database, otp_store, d.audit, d.clock, ra::otp_policy(d.config.otp)),
          challenges(d.database, otp_store, crypto, lockouts, d.clock),
          totp(d.database, otp_store, crypto, lockouts, d.audit, d.clock),
          registry(ra::registry_dependencies(
              d.config, d.token, d.database, d.audit, d.clock,
              ca::subject_revoker(d.authority))) {
        if (auto settings = ra::sms_gateway_settings(d.config.otp))
            sms = std::make_unique<ra::CurlSmsGateway>(std::move(*settings), d.log);
    }
};

RaNode::RaNode(Dependencies dependencies) : parts_(std::make_unique<Parts>(dependencies)) {
    if (const auto missing = ra::missing_ra_keys(dependencies.config, *dependencies.token);
        !missing.empty())
        dependencies.log->error("ra keys missing: its routes answer 503", {{"detail", missing}});
}

RaNode::~RaNode() = default;

void RaNode::add_routes(api::Router& router) {
    api::add_ra_routes(router, {parts_->registry, parts_->challenges, parts_->totp,
                                parts_->lockouts, parts_->sms.get()});
}

ra::Registry& RaNode::registry() { return parts_->registry; }
ra::OtpChallenges& RaNode::challenges() { return parts_->challenges; }
ra::Totp& RaNode::totp() { return parts_->totp; }

ra::OtpTransport RaNode::sms_transport() {
    if (!parts_->sms)
        return {};
    return [sms = parts_->sms.get()](const std::string& destination, const std::string& message) {
        sms->send(destination, message);
    };
}

api::HealthCheck RaNode::health_check() const {
    return {"ra", [parts = parts_.get()] {
                const auto missing = ra::missing_ra_keys(parts->config, *parts->token);
                if (!missing.empty())
                    return api::HealthResult{api::HealthStatus::degraded, missing};
                if (!parts->sms)
                    return api::HealthResult{api::HealthStatus::degraded,
                                             "no SMS gateway configured (otp.sms_gateway): SMS "
                                             "challenges are refused"};
                return api::HealthResult{api::HealthStatus::ok, "keys present, SMS gateway set"};
            }};
}

}  // namespace signet::signetd
