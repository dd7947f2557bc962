#include "ocsp/refresher.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <thread>

#include "common/error.hpp"

namespace signet::ocsp {

namespace {

using namespace std::chrono_literals;

constexpr CertIdHash kHashes[] = {CertIdHash::sha1, CertIdHash::sha256};
// A refresh point moves earlier by up to this share of it (see refresher.hpp).
constexpr int kJitterDivisor = 10;
constexpr auto kMaxBackoff = 30s;
constexpr auto kBacklogEvery = 5s;

bool has_status(const store::CertificateRecord& c) {
    return c.status == "issued" || c.status == "revoked";
}

SignedResponse signed_from(const store::StoredOcspResponse& r) {
    return {r.der, r.this_update, r.next_update, r.produced_at};
}

}  // namespace

struct Refresher::Signed {
    std::vector<store::StoredOcspResponse> rows;
    std::vector<store::SettledEntry> settle;
};

Refresher::Refresher(Dependencies dependencies) : deps_(std::move(dependencies)) {}

Refresher::~Refresher() {
    stop();
}

std::chrono::system_clock::duration Refresher::refresh_point() const {
    return std::chrono::duration_cast<std::chrono::system_clock::duration>(
        deps_.settings.response_validity * deps_.settings.refresh_after_percent / 100);
}

bool Refresher::hash_enabled(CertIdHash hash) const noexcept {
    return hash == CertIdHash::sha1 ? deps_.settings.presign_sha1 : deps_.settings.presign_sha256;
}

void Refresher::warn(std::string_view message, std::string_view detail) noexcept {
    if (deps_.log)
        deps_.log->warn(message, {{"detail", detail}});
}

void Refresher::load() {
    const std::int64_t highest = deps_.responses.changed_after(0, [&](store::StoredOcspResponse&&
                                                                          r) {
        const ResponseKey key{r.serial, r.hash == "sha1" ? CertIdHash::sha1 : CertIdHash::sha256};
        deps_.cache.put(key, signed_from(r), r.revoked);
    });
    pulled_up_to_.store(highest);
}

std::size_t Refresher::pull() {
    std::size_t rows = 0;
    // Change numbers commit in order (store/ocsp_responses.cpp): nothing below the highest seen
    // can still arrive.
    const std::int64_t after = pulled_up_to_.load();
    const std::int64_t highest = deps_.responses.changed_after(after, [&](store::
                                                                              StoredOcspResponse&&
                                                                                  r) {
        const ResponseKey key{r.serial, r.hash == "sha1" ? CertIdHash::sha1 : CertIdHash::sha256};
        deps_.cache.put(key, signed_from(r), r.revoked);
        ++rows;
    });
    std::int64_t seen = pulled_up_to_.load();
    while (highest > seen && !pulled_up_to_.compare_exchange_weak(seen, highest)) {
    }
    return rows;
}

void Refresher::sign_into(const store::CertificateRecord& certificate, Clock::time_point now,
                          Signed& out) {
    for (const CertIdHash hash : kHashes) {
        if (!hash_enabled(hash))
            continue;
        SignedResponse response = deps_.signer.sign(certificate, hash, now);
        store::StoredOcspResponse row;
        row.serial = certificate.serial;
        row.hash = std::string(to_string(hash));
        row.issuer_ca = certificate.issuer_ca;
        row.der = std::move(response.der);
        row.this_update = response.this_update;
        row.next_update = response.next_update;
        row.produced_at = response.produced_at;
        row.revoked = certificate.status == "revoked";
        out.rows.push_back(std::move(row));
    }
}

void Refresher::commit(Signed& batch) {
    // Memory first: a response signed is served at once, even if the store is down now (it is
    // then signed again, the queue entry not being settled).
    for (const auto& r : batch.rows) {
        deps_.cache.put({r.serial, r.hash == "sha1" ? CertIdHash::sha1 : CertIdHash::sha256},
                        signed_from(r), r.revoked);
    }
    deps_.responses.upsert_many(batch.rows);
    deps_.responses.settle(batch.settle);
    signed_.fetch_add(batch.rows.size(), std::memory_order_relaxed);
    batch.rows.clear();
    batch.settle.clear();
}

void Refresher::sign_due(const store::DueCertificate& due, Clock::time_point now, Signed& out) {
    const auto& certificate = due.certificate;
    if (has_status(certificate)) {
        try {
            sign_into(certificate, now, out);
        } catch (const Error& e) {
            if (e.code() != Errc::not_found)
                throw;
            // No responder for this CA (none made, or expired): the responder signs live on a
            // miss, and the certificate is queued again when its status changes.
            failures_.fetch_add(1, std::memory_order_relaxed);
            warn("ocsp: no responder certificate for a certificate's CA", certificate.issuer_ca);
        }
    }
    if (due.queued_version)
        out.settle.push_back({certificate.serial, *due.queued_version});
}

std::size_t Refresher::refresh_once(std::size_t max) {
    const Clock::time_point now = deps_.clock.now();
    const auto point = refresh_point();
    const auto jitter = point / kJitterDivisor;
    // The earliest any certificate's refresh point can be: the query's bound.
    const auto due = deps_.responses.due(
        now - point + jitter, max, std::chrono::duration_cast<std::chrono::microseconds>(jitter));
    std::vector<const store::DueCertificate*> chosen;
    for (const auto& d : due) {
        if (!d.queued_version && d.oldest) {
            // This certificate's own point: earlier by a share of the jitter taken from its
            // serial's last octet (random, RFC 5280 §4.1.2.2 and ca/x509 make_serial).
            const auto own = jitter * d.certificate.serial.back() / 256;
            if (*d.oldest >= now - point + own)
                continue;
        }
        chosen.push_back(&d);
    }
    // Several threads keep several HSM sessions busy (the HSM signs in parallel; one thread
    // waits for each signature in turn).
    const std::size_t workers =
        std::clamp<std::size_t>(deps_.signing_threads, 1, std::max<std::size_t>(chosen.size(), 1));
    std::vector<Signed> parts(workers);
    std::vector<std::exception_ptr> errors(workers);
    auto work = [&](std::size_t w) {
        try {
            for (std::size_t i = w; i < chosen.size(); i += workers)
                sign_due(*chosen[i], now, parts[w]);
        } catch (...) {
            failures_.fetch_add(1, std::memory_order_relaxed);
            errors[w] = std::current_exception();
        }
    };
    {
        std::vector<std::jthread> threads;
        for (std::size_t w = 1; w < workers; ++w)
            threads.emplace_back(work, w);
        work(0);
    }
    // What was signed is kept even when a worker failed (the HSM or the store went away).
    Signed batch;
    for (auto& part : parts) {
        std::move(part.rows.begin(), part.rows.end(), std::back_inserter(batch.rows));
        std::move(part.settle.begin(), part.settle.end(), std::back_inserter(batch.settle));
    }
    const std::size_t count = batch.rows.size();
    commit(batch);
    for (const auto& error : errors) {
        if (error)
            std::rethrow_exception(error);
    }
    return count;
}

std::size_t Refresher::certificate_changed(ByteView serial) {
    // The queue entry before the certificate: an entry made after this read is a later change
    // and stays queued.
    const auto version = deps_.responses.queued_version(serial);
    const auto certificate = deps_.certificates.find_status(serial);
    if (!certificate || !has_status(*certificate))
        return 0;
    const Clock::time_point now = deps_.clock.now();
    const bool revoked = certificate->status == "revoked";
    Signed batch;
    for (const CertIdHash hash : kHashes) {
        if (!hash_enabled(hash))
            continue;
        // Another node may have signed it already (every node hears the NOTIFY).
        const auto stored = deps_.responses.find(serial, to_string(hash));
        if (stored && stored->revoked == revoked && stored->this_update > now - refresh_point() &&
            (!revoked || stored->this_update >= *certificate->revoked_at)) {
            deps_.cache.put({Bytes(serial.begin(), serial.end()), hash}, signed_from(*stored),
                            revoked);
            continue;
        }
        SignedResponse response = deps_.signer.sign(*certificate, hash, now);
        batch.rows.push_back({certificate->serial, std::string(to_string(hash)),
                              certificate->issuer_ca, std::move(response.der), response.this_update,
                              response.next_update, response.produced_at, revoked, 0});
    }
    if (version)
        batch.settle.push_back({certificate->serial, *version});
    const std::size_t count = batch.rows.size();
    commit(batch);
    return count;
}

void Refresher::update_backlog() {
    const auto now = deps_.clock.now();
    const auto queued = deps_.responses.queued();
    const auto aged = deps_.responses.aged(now - refresh_point());
    backlog_.store(static_cast<std::size_t>(std::max<std::int64_t>(0, queued + aged)),
                   std::memory_order_relaxed);
}

void Refresher::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable())
        return;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void Refresher::stop() noexcept {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

void Refresher::run() {
    std::chrono::milliseconds backoff = 1s;
    // Counting the backlog reads the whole queue: not on every pass of a busy loop.
    std::optional<std::chrono::steady_clock::time_point> counted_at;
    try {
        deps_.responses.queue_missing(deps_.settings.presign_sha1, deps_.settings.presign_sha256);
    } catch (const std::exception& e) {
        // Only what the trigger cannot know is left out (see queue_missing); live signing
        // answers those certificates meanwhile.
        failures_.fetch_add(1, std::memory_order_relaxed);
        warn("ocsp: could not queue the certificates without a pre-signed response", e.what());
    }
    for (;;) {
        std::chrono::milliseconds sleep{0};
        std::size_t signed_now = 0;
        try {
            pull();
            signed_now = refresh_once(kBatch);
            backoff = 1s;
            if (signed_now == 0)
                sleep = idle_sleep_;
        } catch (const std::exception& e) {
            failures_.fetch_add(1, std::memory_order_relaxed);
            warn("ocsp: pre-signing paused (store or HSM unavailable), retrying", e.what());
            sleep = backoff;
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
        }
        // Also while signing fails (the HSM away): that is when the backlog grows.
        if (signed_now == 0 || !counted_at ||
            std::chrono::steady_clock::now() - *counted_at >= kBacklogEvery) {
            try {
                update_backlog();
                counted_at = std::chrono::steady_clock::now();
            } catch (const std::exception&) {
                // The store is away: the figure stays as last counted.
            }
        }
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, sleep, [this] { return stopping_; }))
            return;
    }
}

void Refresher::register_metrics(MetricsRegistry& metrics) {
    metrics.gauge_callback("signet_ocsp_refresh_backlog",
                           "Certificates whose OCSP responses are due (queued, or past their "
                           "refresh point) and not yet signed.",
                           [this] { return static_cast<double>(backlog()); });
    metrics.callback("signet_ocsp_presigned_total", "OCSP responses pre-signed by this node.",
                     MetricType::counter, {}, [this] {
                         return std::vector<Sample>{
                             {{}, static_cast<double>(signed_.load(std::memory_order_relaxed))}};
                     });
    metrics.callback("signet_ocsp_refresh_failures_total",
                     "Pre-signing passes or notifications that failed (store or HSM "
                     "unavailable, a CA without a responder).",
                     MetricType::counter, {}, [this] {
                         return std::vector<Sample>{
                             {{}, static_cast<double>(failures_.load(std::memory_order_relaxed))}};
                     });
}

}  // namespace signet::ocsp
