#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "ocsp/presigned_cache.hpp"
#include "ocsp/signer.hpp"
#include "policy/config.hpp"
#include "store/certificates.hpp"
#include "store/notifications.hpp"
#include "store/ocsp_responses.hpp"

namespace signet::ocsp {

// Keeps every certificate's pre-signed responses (RFC 5019 §2.2: nonce-free, one certificate
// each) current, in PostgreSQL and in this node's PresignedCache:
// - the queue (ocsp_pending, filled by a trigger when a certificate is issued or revoked) is
//   signed first;
// - a response is re-signed once ocsp.refresh_after_percent of its validity has passed, each
//   certificate's point moved earlier by up to a tenth of that (a stable jitter from its serial),
//   so responses signed together are not all due in the same second;
// - a NOTIFY on signet_certificate_status (a revocation, any node) re-signs that certificate at
//   once (certificate_changed), unless the store already holds a response that says so;
// - what other nodes signed is pulled from the store (changed_after) on every pass, so every
//   node serves every node's work.
// Every pass survives a store or HSM outage: the background thread logs, backs off and retries.
class Refresher {
  public:
    struct Dependencies {
        store::CertificateReader& certificates;
        store::OcspResponseStore& responses;
        PresignedCache& cache;
        ResponseSigner& signer;
        const Clock& clock;
        policy::OcspSettings settings;
        std::shared_ptr<Logger> log{};  // nullptr: no log
        // Threads refresh_once signs with (the HSM's sessions sign in parallel).
        unsigned signing_threads = 1;
    };

    explicit Refresher(Dependencies dependencies);
    Refresher(const Refresher&) = delete;
    Refresher& operator=(const Refresher&) = delete;
    ~Refresher();  // stop()

    // Fills the cache from the store (at start, before serving). Throws what the store throws.
    void load();
    // Signs up to `max` certificates that are due (in every pre-signed hash), stores them and puts
    // them in the cache; returns how many responses were signed. Throws when the store or the
    // signer is unavailable, after keeping what was signed before.
    std::size_t refresh_once(std::size_t max);
    // Pulls what other nodes stored since the last pull into the cache; returns how many rows.
    std::size_t pull();
    // A certificate's status changed (a NOTIFY): its responses, taken from the store when one
    // there already says the new status, otherwise signed now; stored and cached. Returns how
    // many were signed.
    std::size_t certificate_changed(ByteView serial);
    // For the listener on signet_certificate_status ("{issuer_ca}:{serial hex}", ca/authority.cpp):
    // a payload calls certificate_changed; a lost connection, once back, re-checks every
    // certificate revoked since it was lost and pulls (NOTIFYs sent meanwhile are gone).
    store::NotificationListener::Callbacks listener_callbacks();

    // The background loop: first queues what lacks a response in a pre-signed hash (a hash just
    // turned on), then pull, refresh_once, and a short sleep when nothing is due.
    void start();
    void stop() noexcept;

    // Certificates due (queued or aged past their refresh point) and not yet signed, as of the
    // loop's last look.
    std::size_t backlog() const noexcept { return backlog_.load(std::memory_order_relaxed); }
    // signet_ocsp_refresh_backlog, signet_ocsp_presigned_total, signet_ocsp_refresh_failures_total.
    void register_metrics(MetricsRegistry& metrics);

    // The loop's batch and its sleep when idle (tests shorten it).
    static constexpr std::size_t kBatch = 500;
    void set_idle_sleep(std::chrono::milliseconds sleep) noexcept { idle_sleep_ = sleep; }

  private:
    struct Signed;
    std::chrono::system_clock::duration refresh_point() const;
    bool hash_enabled(CertIdHash hash) const noexcept;
    void sign_into(const store::CertificateRecord& certificate, Clock::time_point now, Signed& out);
    void sign_due(const store::DueCertificate& due, Clock::time_point now, Signed& out);
    void commit(Signed& batch);
    void update_backlog();
    void run();
    void warn(std::string_view message, std::string_view detail) noexcept;

    Dependencies deps_;
    std::atomic<std::int64_t> pulled_up_to_{0};
    std::atomic<std::size_t> backlog_{0};
    std::atomic<std::uint64_t> signed_{0};
    std::atomic<std::uint64_t> failures_{0};
    std::mutex lost_mutex_;
    std::optional<Clock::time_point> lost_at_;  // guarded by lost_mutex_
    std::chrono::milliseconds idle_sleep_{1000};

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by mutex_
    std::thread thread_;
};

}  // namespace signet::ocsp
