#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.hpp"

namespace signet::web {

// A token bucket per client address (the public verification page's limit, web.verify
// .requests_per_minute): each address may spend `per_minute` at once, and gets them back evenly
// over a minute. Thread-safe. Memory is bounded: at most `max_addresses` buckets; when a new
// address comes and they are all taken, the buckets already full again are dropped (they hold
// nothing a fresh bucket would not), and if none is, the one unused longest.
class AddressRateLimiter {
  public:
    AddressRateLimiter(unsigned per_minute, const Clock& clock, std::size_t max_addresses = 16384);

    // Takes one request from `address`'s bucket: nullopt when allowed, otherwise how long until
    // the next one would be (at least one second, for Retry-After).
    std::optional<std::chrono::seconds> acquire(std::string_view address);

    std::size_t tracked_addresses() const;

  private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;    // when `tokens` was last refilled
        Clock::time_point last_used;  // when the address last asked
    };
    void refill(Bucket& bucket, Clock::time_point now) const;
    void make_room(Clock::time_point now);

    const double capacity_;
    const double per_second_;
    const Clock& clock_;
    const std::size_t max_addresses_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace signet::web
