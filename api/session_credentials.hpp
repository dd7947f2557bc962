#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/http.hpp"

// A browser's session as a credential: the operator console (web/console_sessions.hpp) trades an
// API client's bearer token or client certificate for a session cookie, and the console's pages
// then call the /v1 routes with that cookie. The server asks these credentials on a route with a
// scope when the request has no Authorization header (a bearer token decides when present), so
// every scope check, audit event and access-log line of /v1 applies unchanged and names the
// session's API client.
namespace signet::api {

class SessionCredentials {
  public:
    struct Outcome {
        // The session's API client; nullptr when the cookie names no live session.
        std::shared_ptr<const ApiClient> client{};
        // Not empty: the session is live but this request may not use it (a cross-site request,
        // or a state-changing one without the session's CSRF token); why, for the problem's
        // detail. The request is then refused with 403 `csrf-refused`.
        std::string refusal{};
    };

    virtual ~SessionCredentials() = default;
    // nullopt when the request carries no session cookie. Thread-safe; never blocks for long.
    virtual std::optional<Outcome> authenticate(http::verb method,
                                                const http::fields& headers) const = 0;
};

}  // namespace signet::api
