#include "web/console_sessions.hpp"

#include <openssl/rand.h>

#include <algorithm>

#include "common/bytes.hpp"
#include "common/error.hpp"
#include "web/csrf.hpp"

namespace signet::web {

namespace {

constexpr std::size_t kRandomBytes = 32;
constexpr std::size_t kMaxCookieField = 8 * 1024;

// 32 bytes from the private generator (RAND_priv_bytes(3): "for values that should remain
// private"), as 64 hex digits.
std::string random_secret() {
    Bytes random(kRandomBytes);
    if (RAND_priv_bytes(random.data(), static_cast<int>(random.size())) != 1)
        throw Error(Errc::internal, "the random generator failed");
    std::string text = to_hex(random);
    std::ranges::fill(random, 0);
    return text;
}

}  // namespace

std::optional<std::string_view> cookie_value(std::string_view cookie_field, std::string_view name) {
    cookie_field = cookie_field.substr(0, kMaxCookieField);
    while (!cookie_field.empty()) {
        const std::size_t end = cookie_field.find(';');
        std::string_view pair = cookie_field.substr(0, end);
        cookie_field =
            end == std::string_view::npos ? std::string_view() : cookie_field.substr(end + 1);
        while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t'))
            pair.remove_prefix(1);
        const std::size_t equals = pair.find('=');
        if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
            std::string_view value = pair.substr(equals + 1);
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
                value.remove_suffix(1);
            return value;
        }
    }
    return std::nullopt;
}

ConsoleSessions::ConsoleSessions(ConsoleSessionSettings settings, const Clock& clock)
    : settings_(settings), clock_(clock) {
    if (settings_.idle_timeout <= std::chrono::seconds::zero() ||
        settings_.absolute_timeout <= std::chrono::seconds::zero() || settings_.max_sessions == 0)
        throw Error(Errc::invalid_argument, "console sessions need positive timeouts and room");
}

bool ConsoleSessions::live(const Entry& entry, Clock::time_point now) const {
    return now < entry.expires_at && now - entry.last_used < settings_.idle_timeout;
}

// Expired sessions go first; if every one is live, the logging-in client's own session nearest
// its absolute end, so that one client logging in again and again ends its own sessions rather
// than other operators'; only a client without a session takes the one nearest its end.
void ConsoleSessions::make_room(const api::ApiClient& client, Clock::time_point now) {
    std::erase_if(sessions_, [&](const auto& item) { return !live(item.second, now); });
    while (sessions_.size() >= settings_.max_sessions) {
        const auto by_end = [](const auto& item) { return item.second.expires_at; };
        auto victim = sessions_.end();
        for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
            if (it->second.client->name == client.name &&
                (victim == sessions_.end() || by_end(*it) < by_end(*victim)))
                victim = it;
        if (victim == sessions_.end())
            victim = std::ranges::min_element(sessions_, {}, by_end);
        sessions_.erase(victim);
    }
}

OpenedSession ConsoleSessions::open(std::shared_ptr<const api::ApiClient> client) {
    if (!client)
        throw Error(Errc::internal, "a console session without an API client");
    OpenedSession opened{random_secret(), random_secret(), {}};
    const Clock::time_point now = clock_.now();
    opened.expires_at = now + settings_.absolute_timeout;
    std::lock_guard lock(mutex_);
    make_room(*client, now);
    sessions_[sha256_of(opened.cookie_value)] =
        Entry{std::move(client), opened.csrf_token, now, opened.expires_at};
    return opened;
}

std::optional<LiveSession> ConsoleSessions::find(std::string_view cookie_value, bool used) const {
    if (cookie_value.size() != 2 * kRandomBytes)
        return std::nullopt;
    const Sha256Digest key = sha256_of(cookie_value);
    const Clock::time_point now = clock_.now();
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(key);
    if (it == sessions_.end())
        return std::nullopt;
    if (!live(it->second, now)) {
        sessions_.erase(it);
        return std::nullopt;
    }
    if (used)
        it->second.last_used = now;
    return LiveSession{it->second.client, it->second.csrf_token, it->second.expires_at};
}

bool ConsoleSessions::close(std::string_view cookie_value) {
    const Sha256Digest key = sha256_of(cookie_value);
    std::lock_guard lock(mutex_);
    return sessions_.erase(key) == 1;
}

std::size_t ConsoleSessions::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

std::optional<api::SessionCredentials::Outcome> ConsoleSessions::authenticate(
    api::http::verb method, const api::http::fields& headers) const {
    const auto field = headers.find(api::http::field::cookie);
    if (field == headers.end())
        return std::nullopt;
    const auto value = cookie_value(field->value(), kSessionCookie);
    if (!value)
        return std::nullopt;
    // A refused request changes nothing, not even the session's idle time.
    const auto session = find(*value, false);
    if (!session)
        return Outcome{};
    std::string refusal = csrf_refusal(method, headers, session->csrf_token);
    if (!refusal.empty())
        return Outcome{nullptr, std::move(refusal)};
    static_cast<void>(find(*value));
    return Outcome{session->client, {}};
}

}  // namespace signet::web
