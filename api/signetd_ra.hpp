#pragma once
// signetd's registration authority (issue 12): the registry, the one-time passwords (challenges
// sent through the SMS gateway, TOTP) and their HSM keys, built from signet.yaml and put on the
// router. Part of the signetd executable, like signetd_wiring: it wires, it decides nothing.

#include <memory>

#include "api/health.hpp"
#include "api/router.hpp"
#include "audit/log.hpp"
#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "hsm/token.hpp"
#include "policy/config.hpp"
#include "ra/otp.hpp"
#include "ra/registry.hpp"
#include "ra/totp.hpp"
#include "store/database.hpp"

namespace signet::signetd {

class RaNode {
  public:
    struct Dependencies {
        const policy::Config& config;
        std::shared_ptr<hsm::Token> token;
        store::Database& database;
        audit::AuditLog& audit;
        const Clock& clock;
        ca::Authority& authority;  // revokes a subject's certificates
        std::shared_ptr<Logger> log;
    };
    // Reads the SMS gateway's header secrets (once: an env: variable is unset when read).
    explicit RaNode(Dependencies dependencies);
    ~RaNode();
    RaNode(const RaNode&) = delete;
    RaNode& operator=(const RaNode&) = delete;

    void add_routes(api::Router& router);
    // The registry, for the contracts (their signers are checked against it).
    ra::Registry& registry();
    // The one-time passwords, for the contract signing (sole control): the challenges, TOTP,
    // and the SMS gateway as a transport (empty when none is configured).
    ra::OtpChallenges& challenges();
    ra::Totp& totp();
    ra::OtpTransport sms_transport();
    // /healthz's "ra" check: degraded while the HSM lacks one of the RA's HMAC keys (its routes
    // answer 503 naming the key meanwhile) or no SMS gateway is configured.
    api::HealthCheck health_check() const;

  private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

}  // namespace signet::signetd
