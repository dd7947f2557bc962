#pragma once

// signetd's OCSP node (issue 11): the responder (ocsp::StatusResponder) over the pre-signed
// source (ocsp::PresignedCache, filled from PostgreSQL and kept fresh by ocsp::Refresher), the
// revocations of every node delivered by LISTEN signet_certificate_status, and the responder
// certificates renewed before they expire (ca::renew_ocsp_responders, one node at a time).
// Part of the signetd executable, like signetd_wiring: it wires, it decides nothing.
#include <memory>
#include <string>

#include "api/health.hpp"
#include "audit/log.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "hsm/token.hpp"
#include "ocsp/responder.hpp"
#include "policy/config.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"

namespace signet::signetd {

class OcspNode {
  public:
    struct Dependencies {
        const policy::Config& config;
        std::shared_ptr<hsm::Token> token;
        store::Database& database;
        std::string dsn;  // for the listener's own connection (not from the pool)
        store::CertificateRepository& certificates;
        audit::AuditLog& audit;
        const Clock& clock;
        std::shared_ptr<Logger> log;
        MetricsRegistry& metrics;
    };
    explicit OcspNode(Dependencies dependencies);
    OcspNode(const OcspNode&) = delete;
    OcspNode& operator=(const OcspNode&) = delete;
    // Stops the listener, the refresher and the renewal loop (joined).
    ~OcspNode();

    // Loads the pre-signed responses and starts the background work.
    void start();
    void stop();

    std::shared_ptr<ocsp::Responder> responder() const;
    // /healthz's "ocsp" check: degraded when a CA's responder certificate is missing or expired.
    api::HealthCheck health_check() const;

  private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

}  // namespace signet::signetd
