#include "ocsp/presigned_cache.hpp"

#include <functional>
#include <string_view>

#include "common/error.hpp"
#include "ocsp/response_summary.hpp"

namespace signet::ocsp {

namespace {

constexpr std::size_t kMaxSerial = 20;  // RFC 5280 §4.1.2.2: at most 20 octets

// A serial inline: no allocation of its own.
struct SerialKey {
    std::array<std::uint8_t, kMaxSerial> bytes{};
    std::uint8_t size = 0;
    std::string_view view() const noexcept {
        return {reinterpret_cast<const char*>(bytes.data()), size};
    }
    friend bool operator==(const SerialKey& a, const SerialKey& b) noexcept {
        return a.view() == b.view();
    }
};

struct SerialHash {
    std::size_t operator()(const SerialKey& key) const noexcept {
        return std::hash<std::string_view>{}(key.view());
    }
};

SerialKey key_of(ByteView serial) {
    if (serial.empty() || serial.size() > kMaxSerial)
        throw Error(Errc::invalid_argument, "a certificate serial is 1 to 20 octets");
    SerialKey key;
    std::copy(serial.begin(), serial.end(), key.bytes.begin());
    key.size = static_cast<std::uint8_t>(serial.size());
    return key;
}

struct Slot {
    Bytes der;  // empty: none held
    Sha256Digest der_sha256{};
    Clock::time_point this_update{}, next_update{}, produced_at{};
    bool revoked = false;
};

struct Entry {
    std::array<Slot, 2> slots;  // by CertIdHash
};

std::size_t index_of(CertIdHash hash) noexcept {
    return hash == CertIdHash::sha1 ? 0 : 1;
}

// glibc's malloc: a 16-byte header per chunk, chunks in 16-byte steps.
constexpr std::size_t allocated(std::size_t n) noexcept {
    return (n + 8 + 15) / 16 * 16;
}

}  // namespace

struct alignas(64) PresignedCache::Shard {
    std::mutex mutex;
    std::unordered_map<SerialKey, Entry, SerialHash> map;
};

PresignedCache::PresignedCache() : shards_(std::make_unique<Shard[]>(kShards)) {}

PresignedCache::~PresignedCache() = default;

PresignedCache::Shard& PresignedCache::shard_for(const ResponseKey& key) const {
    // The top bits: the map inside the shard buckets by the low ones.
    const std::string_view serial(reinterpret_cast<const char*>(key.serial.data()),
                                  key.serial.size());
    return shards_[(std::hash<std::string_view>{}(serial) >> 58) % kShards];
}

std::optional<SignedResponse> PresignedCache::find(const ResponseKey& key, Clock::time_point now) {
    if (key.serial.empty() || key.serial.size() > kMaxSerial)
        return std::nullopt;
    const SerialKey serial = key_of(key.serial);
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.map.find(serial);
    if (it == shard.map.end())
        return std::nullopt;
    const Slot& slot = it->second.slots[index_of(key.hash)];
    if (slot.der.empty() || slot.next_update <= now)
        return std::nullopt;
    return SignedResponse{slot.der, slot.this_update, slot.next_update, slot.produced_at,
                          slot.der_sha256};
}

void PresignedCache::offer(const ResponseKey& key, const SignedResponse& response) {
    put(key, response);
}

bool PresignedCache::put(const ResponseKey& key, const SignedResponse& response,
                         std::optional<bool> revoked) {
    const SerialKey serial = key_of(key.serial);
    if (response.der.empty())
        throw Error(Errc::invalid_argument, "an empty OCSP response");
    const bool is_revoked =
        revoked ? *revoked
                : summarize_response(response.der).status == ResponseSummary::Status::revoked;
    // Hashed once here rather than on every GET that serves it (its ETag), outside the lock.
    const Sha256Digest der_sha256 =
        response.der_sha256 ? *response.der_sha256 : sha256_of(ByteView(response.der));
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    auto [it, inserted] = shard.map.try_emplace(serial);
    if (inserted)
        certificates_.fetch_add(1, std::memory_order_relaxed);
    Slot& slot = it->second.slots[index_of(key.hash)];
    if (!slot.der.empty()) {
        const bool keep_held =
            (slot.revoked && !is_revoked) ||
            (slot.revoked == is_revoked && slot.this_update >= response.this_update);
        if (keep_held)
            return false;
        der_bytes_.fetch_sub(slot.der.size(), std::memory_order_relaxed);
    } else {
        responses_.fetch_add(1, std::memory_order_relaxed);
    }
    slot.der.assign(response.der.begin(), response.der.end());
    slot.der.shrink_to_fit();
    slot.der_sha256 = der_sha256;
    slot.this_update = response.this_update;
    slot.next_update = response.next_update;
    slot.produced_at = response.produced_at;
    slot.revoked = is_revoked;
    der_bytes_.fetch_add(slot.der.size(), std::memory_order_relaxed);
    return true;
}

std::size_t PresignedCache::overhead_bytes() const noexcept {
    using Node = std::pair<const SerialKey, Entry>;
    // An unordered_map node: the value, the next pointer and the cached hash; a bucket pointer
    // per certificate at a load factor of 1; each DER a chunk of its own, rounded up.
    const std::size_t per_certificate = allocated(sizeof(Node) + 2 * sizeof(void*)) + sizeof(void*);
    std::size_t total = certificates() * per_certificate;
    // Each DER's chunk header, and on average half a 16-byte step of rounding.
    total += size() * 16;
    return total + sizeof(Shard) * kShards;
}

void PresignedCache::register_metrics(MetricsRegistry& metrics) {
    metrics.gauge_callback("signet_ocsp_cache_responses",
                           "Pre-signed OCSP responses held in memory (one per certificate and "
                           "CertID hash).",
                           [this] { return static_cast<double>(size()); });
    metrics.gauge_callback("signet_ocsp_cache_bytes",
                           "DER bytes of the pre-signed OCSP responses held in memory.",
                           [this] { return static_cast<double>(bytes()); });
    metrics.gauge_callback("signet_ocsp_cache_certificates",
                           "Certificates with at least one pre-signed OCSP response in memory.",
                           [this] { return static_cast<double>(certificates()); });
    metrics.gauge_callback(
        "signet_ocsp_cache_overhead_bytes_per_certificate",
        "Estimated memory of the OCSP cache per certificate beyond the response bytes.", [this] {
            const auto n = certificates();
            return n == 0 ? 0.0 : static_cast<double>(overhead_bytes()) / static_cast<double>(n);
        });
}

}  // namespace signet::ocsp
