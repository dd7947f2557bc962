#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api/auth.hpp"
#include "api/session_credentials.hpp"
#include "common/clock.hpp"
#include "common/digest.hpp"

// The operator console's sessions (issue 15): an API client's bearer token or client
// certificate, presented once to POST /console/session, is traded for a session cookie the
// browser keeps HttpOnly (page scripts never see it). Held in this process's memory only: a
// restart, or another node behind the same name, logs the operator out (docs/web.md).
namespace signet::web {

// The cookie. The __Host- prefix makes the browser refuse it unless it is Secure, Path=/ and
// without Domain (RFC 6265bis §4.1.3.2), so no other host or plain-HTTP page can set or shadow it.
inline constexpr std::string_view kSessionCookie = "__Host-signet-console";

struct ConsoleSessionSettings {
    // A session ends after this long without a request (web.console.idle_minutes)...
    std::chrono::seconds idle_timeout{std::chrono::minutes(30)};
    // ...and this long after login whatever happens (web.console.absolute_hours): OWASP Session
    // Management Cheat Sheet, "Session Expiration".
    std::chrono::seconds absolute_timeout{std::chrono::hours(12)};
    // At most this many at once (web.console.max_sessions); a login past it ends the session
    // nearest its absolute end.
    std::size_t max_sessions = 1000;
};

struct OpenedSession {
    std::string cookie_value;      // 32 random bytes as 64 hex digits: the credential, given once
    std::string csrf_token;        // 32 random bytes as 64 hex digits: for the page's X-CSRF-Token
    Clock::time_point expires_at;  // the absolute end
};

struct LiveSession {
    std::shared_ptr<const api::ApiClient> client;
    std::string csrf_token;
    Clock::time_point expires_at;  // the absolute end
};

class ConsoleSessions final : public api::SessionCredentials {
  public:
    ConsoleSessions(ConsoleSessionSettings settings, const Clock& clock);

    const ConsoleSessionSettings& settings() const noexcept { return settings_; }

    // A new session for `client`. Errc::internal when the random generator fails.
    OpenedSession open(std::shared_ptr<const api::ApiClient> client);
    // The live session the cookie value names, or nullopt: unknown, idle too long, past its
    // absolute end, or logged out. Its idle time starts again when `used` (a request the session
    // serves), not for one that is about to be refused.
    std::optional<LiveSession> find(std::string_view cookie_value, bool used = true) const;
    // Ends the session; whether there was one.
    bool close(std::string_view cookie_value);
    std::size_t size() const;

    // api::SessionCredentials: the session the request's cookie names, checked against CSRF
    // (web/csrf.hpp) before its client is handed out.
    std::optional<Outcome> authenticate(api::http::verb method,
                                        const api::http::fields& headers) const override;

  private:
    struct Entry {
        std::shared_ptr<const api::ApiClient> client;
        std::string csrf_token;
        Clock::time_point last_used;
        Clock::time_point expires_at;
    };
    bool live(const Entry& entry, Clock::time_point now) const;
    void make_room(const api::ApiClient& client, Clock::time_point now);

    ConsoleSessionSettings settings_;
    const Clock& clock_;
    mutable std::mutex mutex_;
    // Keyed by the SHA-256 of the cookie value: the value itself is never kept, so a memory
    // dump does not hand out working cookies.
    mutable std::map<Sha256Digest, Entry> sessions_;
};

// The value of cookie `name` in a Cookie field ("a=1; b=2", RFC 6265 §5.4), or nullopt.
// Bounded: the first 8 KiB.
std::optional<std::string_view> cookie_value(std::string_view cookie_field, std::string_view name);

}  // namespace signet::web
