#pragma once

#include <optional>

#include "ocsp/types.hpp"

namespace signet::ocsp {

// Where pre-signed responses are kept (the response source under the responder, as in Boulder's
// stack of sources). The real one (ocsp/presigned_cache.*) keeps them in memory and in
// PostgreSQL and refreshes them; tests may use a plain map. Thread-safe.
class ResponseCache {
  public:
    virtual ~ResponseCache() = default;
    // The response to serve for `key` at `now`, if one is held whose nextUpdate is after `now`.
    virtual std::optional<SignedResponse> find(const ResponseKey& key, Clock::time_point now) = 0;
    // A response just signed live for a miss (a certificate issued a moment ago, or a cache that
    // is still loading): kept so the next request is a hit.
    virtual void offer(const ResponseKey& key, const SignedResponse& response) = 0;
};

}  // namespace signet::ocsp
