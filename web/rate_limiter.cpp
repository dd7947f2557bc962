#include "web/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace signet::web {

AddressRateLimiter::AddressRateLimiter(unsigned per_minute, const Clock& clock,
                                       std::size_t max_addresses)
    : capacity_(per_minute),
      per_second_(per_minute / 60.0),
      clock_(clock),
      max_addresses_(std::max<std::size_t>(max_addresses, 1)) {}

void AddressRateLimiter::refill(Bucket& bucket, Clock::time_point now) const {
    // A clock set back gives nothing back, and takes nothing either.
    if (now <= bucket.updated)
        return;
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(capacity_, bucket.tokens + elapsed * per_second_);
    bucket.updated = now;
}

void AddressRateLimiter::make_room(Clock::time_point now) {
    for (auto at = buckets_.begin(); at != buckets_.end();) {
        refill(at->second, now);
        at = at->second.tokens >= capacity_ ? buckets_.erase(at) : std::next(at);
    }
    if (buckets_.size() < max_addresses_)
        return;
    const auto oldest = std::ranges::min_element(
        buckets_, {}, [](const auto& entry) { return entry.second.last_used; });
    buckets_.erase(oldest);
}

std::optional<std::chrono::seconds> AddressRateLimiter::acquire(std::string_view address) {
    const Clock::time_point now = clock_.now();
    std::lock_guard lock(mutex_);
    auto found = buckets_.find(std::string(address));
    if (found == buckets_.end()) {
        if (buckets_.size() >= max_addresses_)
            make_room(now);
        found = buckets_.emplace(std::string(address), Bucket{capacity_, now, now}).first;
    }
    Bucket& bucket = found->second;
    refill(bucket, now);
    bucket.last_used = now;
    if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        return std::nullopt;
    }
    const double wait = std::ceil((1.0 - bucket.tokens) / per_second_);
    return std::chrono::seconds(std::max(1, static_cast<int>(wait)));
}

std::size_t AddressRateLimiter::tracked_addresses() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

}  // namespace signet::web
