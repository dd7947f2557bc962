#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.hpp"

namespace signet::ocsp {

// A token bucket per client (its address) for live signing: `per_second` tokens a second, at most
// `burst` saved up; a client that has none left is refused (the responder answers tryLater), so
// requests with fresh nonces cannot keep the HSM busy for everyone (issue 11). The table holds at
// most `max_clients` buckets: a flood of addresses evicts the least recently seen, so memory is
// bounded whatever arrives. Time comes from the caller (the injected clock). Thread-safe.
class ClientLimiter {
  public:
    static constexpr std::size_t kDefaultMaxClients = 4096;

    ClientLimiter(unsigned per_second, unsigned burst,
                  std::size_t max_clients = kDefaultMaxClients);

    // Takes one token of `client`'s bucket at `now`; false when it is empty.
    bool try_acquire(std::string_view client, Clock::time_point now);

    std::size_t clients() const;  // buckets held now (for tests)

  private:
    struct Bucket {
        double tokens = 0;
        Clock::time_point refilled{};
        std::list<std::string>::iterator recent;  // its place in recent_
    };

    double per_second_;
    double burst_;
    std::size_t max_clients_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
    std::list<std::string> recent_;  // most recently seen first
};

}  // namespace signet::ocsp
