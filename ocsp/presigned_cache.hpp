#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/metrics.hpp"
#include "ocsp/response_cache.hpp"

namespace signet::ocsp {

// The pre-signed responses in memory: every certificate's response in each pre-signed CertID
// hash, filled from PostgreSQL at start and kept fresh by the Refresher (ocsp/refresher.hpp).
// find() is the hot path of every OCSP request on every thread, so the map is split into 64
// shards, each with its own mutex: two requests contend only when their serials land in one
// shard. An entry is one certificate (its serial inline, up to RFC 5280's 20 octets) with a slot
// per hash, so the memory beyond the DER bytes is a few hundred bytes per certificate (measured
// by `ops/bench ocsp-presign`, docs/ocsp.md). Thread-safe.
class PresignedCache final : public ResponseCache {
  public:
    PresignedCache();
    ~PresignedCache() override;

    // Never a response whose nextUpdate is at or before `now` (RFC 5019 §4: a client must not
    // be given a response past its nextUpdate).
    std::optional<SignedResponse> find(const ResponseKey& key, Clock::time_point now) override;
    // put() under the same rule.
    void offer(const ResponseKey& key, const SignedResponse& response) override;

    // Keeps `response` unless the one held is revoked and this one is not (revocation is final,
    // and a good response signed from a status read before the revocation may arrive late), or
    // both agree and the one held is at least as recent (thisUpdate). `revoked`: what the response
    // says (nullopt: read from the DER). Returns whether it was kept. A serial longer than 20
    // octets (RFC 5280 §4.1.2.2) is Errc::invalid_argument.
    bool put(const ResponseKey& key, const SignedResponse& response,
             std::optional<bool> revoked = std::nullopt);

    std::size_t size() const noexcept { return responses_.load(std::memory_order_relaxed); }
    // DER bytes held.
    std::size_t bytes() const noexcept { return der_bytes_.load(std::memory_order_relaxed); }
    std::size_t certificates() const noexcept {
        return certificates_.load(std::memory_order_relaxed);
    }
    // What the structures cost beyond the DER bytes, estimated from the sizes of entries, map
    // nodes, buckets and allocator headers (the bench measures the real figure from RSS).
    std::size_t overhead_bytes() const noexcept;

    // signet_ocsp_cache_responses, signet_ocsp_cache_bytes, signet_ocsp_cache_certificates and
    // signet_ocsp_cache_overhead_bytes_per_certificate. The cache must outlive the registry's use.
    void register_metrics(MetricsRegistry& metrics);

  private:
    struct Shard;
    Shard& shard_for(const ResponseKey& key) const;

    static constexpr std::size_t kShards = 64;
    std::unique_ptr<Shard[]> shards_;
    std::atomic<std::size_t> responses_{0};
    std::atomic<std::size_t> certificates_{0};
    std::atomic<std::size_t> der_bytes_{0};
};

}  // namespace signet::ocsp
