// signetd's OCSP node (api/signetd_ocsp.hpp).
#include "api/signetd_ocsp.hpp"

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "ca/responder_renewal.hpp"
#include "ocsp/health.hpp"
#include "ocsp/hsm_signer.hpp"
#include "ocsp/presigned_cache.hpp"
#include "ocsp/refresher.hpp"
#include "ocsp/responder_keys.hpp"
#include "ocsp/status_responder.hpp"
#include "store/notifications.hpp"
#include "store/ocsp_responses.hpp"

namespace signet::signetd {

namespace {

// The channel the CA notifies on each change of a certificate's status (ca/authority.cpp).
constexpr const char* kStatusChannel = "signet_certificate_status";

// How often the renewal loop looks at the responder certificates and reloads the responder keys.
// Renewal happens responder_renew_before_days ahead, so this is early enough for it; the reload
// is what makes a responder renewed, revoked or replaced through another node (or signetctl)
// take effect here within this interval.
constexpr auto kRenewalCheckInterval = std::chrono::minutes(10);

}  // namespace

struct OcspNode::Parts {
    explicit Parts(Dependencies d)
        : deps(std::move(d)),
          keys(deps.token, deps.certificates, deps.clock),
          signer(keys, deps.config.ocsp.response_validity),
          responses(deps.database),
          refresher({deps.certificates, responses, cache, signer, deps.clock, deps.config.ocsp,
                     deps.log,
                     // The refresher's signing threads: the HSM session pool's width, bounded,
                     // so that a burst of re-signing leaves sessions for the TSA and the CA.
                     std::max(1u, std::min(4u, static_cast<unsigned>(deps.config.hsm.pool_size / 2)))}),
          responder(std::make_shared<ocsp::StatusResponder>(ocsp::StatusResponder::Dependencies{
              deps.certificates, cache, keys, signer, deps.clock, deps.config.ocsp})) {}

    Dependencies deps;
    ocsp::ResponderKeys keys;
    ocsp::HsmResponseSigner signer;
    store::PostgresOcspResponses responses;
    ocsp::PresignedCache cache;
    ocsp::Refresher refresher;
    std::shared_ptr<ocsp::StatusResponder> responder;
    std::unique_ptr<store::NotificationListener> listener;
    std::jthread renewal;
};

OcspNode::OcspNode(Dependencies dependencies)
    : parts_(std::make_unique<Parts>(std::move(dependencies))) {
    auto& p = *parts_;
    p.cache.register_metrics(p.deps.metrics);
    p.refresher.register_metrics(p.deps.metrics);
    p.responder->register_metrics(p.deps.metrics);
}

OcspNode::~OcspNode() { stop(); }

void OcspNode::start() {
    auto& p = *parts_;
    // Listen first, then load: a revocation committed between the two is both in what load()
    // reads and delivered again (re-signing twice is harmless; missing one is not).
    p.listener = std::make_unique<store::NotificationListener>(p.deps.dsn, kStatusChannel,
                                                               p.refresher.listener_callbacks());
    try {
        p.refresher.load();
        p.deps.log->info("ocsp ready", {{"responses", p.cache.size()},
                                        {"certificates", p.cache.certificates()}});
    } catch (const std::exception& e) {
        // The refresher's loop and the listener's reconnect load again; meanwhile misses are
        // signed live.
        p.deps.log->warn("ocsp: pre-signed responses not loaded yet", {{"error", e.what()}});
    }
    p.refresher.start();
    p.renewal = std::jthread([&p](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
            try {
                const auto renewed = ca::renew_ocsp_responders(
                    {*p.deps.token, p.deps.database, p.deps.certificates, p.deps.audit,
                     p.deps.clock, p.deps.config.ocsp});
                for (const auto& ca : renewed)
                    p.deps.log->info("ocsp responder certificate renewed", {{"ca", ca}});
                p.keys.reload();
            } catch (const std::exception& e) {
                p.deps.log->warn("ocsp responder renewal failed", {{"error", e.what()}});
            }
            std::unique_lock lock(mutex);
            wake.wait_for(lock, stop, kRenewalCheckInterval, [] { return false; });
        }
    });
}

void OcspNode::stop() {
    if (!parts_)
        return;
    auto& p = *parts_;
    if (p.renewal.joinable()) {
        p.renewal.request_stop();
        p.renewal.join();
    }
    if (p.listener)
        p.listener->stop();
    p.refresher.stop();
}

std::shared_ptr<ocsp::Responder> OcspNode::responder() const { return parts_->responder; }

api::HealthCheck OcspNode::health_check() const {
    auto* p = parts_.get();
    return {"ocsp", [p] {
                const auto verdict =
                    ocsp::assess_health(p->deps.certificates, p->deps.clock, p->deps.config.ocsp);
                return api::HealthResult{
                    verdict.ok ? api::HealthStatus::ok : api::HealthStatus::degraded,
                    verdict.detail};
            }};
}

}  // namespace signet::signetd
