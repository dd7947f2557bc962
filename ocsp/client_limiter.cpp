#include "ocsp/client_limiter.hpp"

#include <algorithm>
#include <chrono>

namespace signet::ocsp {

ClientLimiter::ClientLimiter(unsigned per_second, unsigned burst, std::size_t max_clients)
    : per_second_(per_second), burst_(std::max(1u, burst)), max_clients_(std::max<std::size_t>(1, max_clients)) {}

bool ClientLimiter::try_acquire(std::string_view client, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(std::string(client));
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_clients_) {
            buckets_.erase(recent_.back());
            recent_.pop_back();
        }
        recent_.emplace_front(client);
        it = buckets_.emplace(recent_.front(), Bucket{burst_, now, recent_.begin()}).first;
    } else {
        recent_.splice(recent_.begin(), recent_, it->second.recent);
        Bucket& bucket = it->second;
        // A clock that stepped back refills nothing (and does not take tokens away).
        if (now > bucket.refilled) {
            const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
            bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
            bucket.refilled = now;
        }
    }
    Bucket& bucket = it->second;
    if (bucket.tokens < 1.0)
        return false;
    bucket.tokens -= 1.0;
    return true;
}

std::size_t ClientLimiter::clients() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

}  // namespace signet::ocsp
