// The operator console's sessions and CSRF checks (web/console_sessions.hpp, web/csrf.hpp) on a
// manual clock, without a server: expiry (idle and absolute), logout, an unknown cookie, each
// CSRF refusal (missing token, wrong token, cross-site Origin or Sec-Fetch-Site), and the
// session routes' login and logout as told to the audit log.
#include "web/console_sessions.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "web/console_routes.hpp"
#include "web/csrf.hpp"

using namespace signet;
using namespace signet::web;
using namespace std::chrono_literals;
namespace http = signet::api::http;

namespace {

std::shared_ptr<const api::ApiClient> operator_client() {
    return std::make_shared<const api::ApiClient>(
        api::ApiClient{"operator", {"contracts", "certificates:revoke"}});
}

ConsoleSessionSettings settings(std::size_t max_sessions = 10) {
    return ConsoleSessionSettings{30min, 8h, max_sessions};
}

std::string cookie(const OpenedSession& session) {
    return std::string(kSessionCookie) + "=" + session.cookie_value;
}

// What a console page's fetch sends to https://console.example:8443.
http::fields same_origin_post(const OpenedSession& session) {
    http::fields headers;
    headers.set(http::field::host, "console.example:8443");
    headers.set(http::field::cookie, "lang=en; " + cookie(session));
    headers.set("Origin", "https://console.example:8443");
    headers.set("Sec-Fetch-Site", "same-origin");
    headers.set(kCsrfHeader, session.csrf_token);
    return headers;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_session_carries_its_client_until_idle_or_absolute_expiry) {
    ManualClock clock;
    ConsoleSessions sessions(settings(), clock);
    const OpenedSession opened = sessions.open(operator_client());
    BOOST_TEST(opened.cookie_value.size() == 64u);
    BOOST_TEST(opened.csrf_token.size() == 64u);
    BOOST_TEST(opened.cookie_value != opened.csrf_token);
    BOOST_TEST((opened.expires_at == clock.now() + 8h));

    const auto found = sessions.find(opened.cookie_value);
    BOOST_REQUIRE(found.has_value());
    BOOST_TEST(found->client->name == "operator");
    BOOST_TEST(found->csrf_token == opened.csrf_token);

    // Used every 29 minutes, it lives until its absolute end, and not a moment past it.
    for (int i = 0; i < 16; ++i) {
        clock.advance(29min);
        BOOST_TEST_REQUIRE(sessions.find(opened.cookie_value).has_value(), "after " << i);
    }
    clock.advance(8h - 16 * 29min);
    BOOST_TEST(!sessions.find(opened.cookie_value).has_value());
    BOOST_TEST(sessions.size() == 0u);

    // Idle for its idle timeout, it is gone.
    const OpenedSession idle = sessions.open(operator_client());
    clock.advance(30min);
    BOOST_TEST(!sessions.find(idle.cookie_value).has_value());
}

BOOST_AUTO_TEST_CASE(logout_ends_a_session_and_unknown_cookies_find_nothing) {
    ManualClock clock;
    ConsoleSessions sessions(settings(), clock);
    const OpenedSession first = sessions.open(operator_client());
    const OpenedSession second = sessions.open(operator_client());
    BOOST_TEST(first.cookie_value != second.cookie_value);
    BOOST_TEST(sessions.close(first.cookie_value));
    BOOST_TEST(!sessions.close(first.cookie_value));
    BOOST_TEST(!sessions.find(first.cookie_value).has_value());
    BOOST_TEST(sessions.find(second.cookie_value).has_value());
    // The CSRF token is not a cookie; nor is a value of another length.
    BOOST_TEST(!sessions.find(second.csrf_token).has_value());
    BOOST_TEST(!sessions.find("").has_value());
    BOOST_TEST(!sessions.find(second.cookie_value.substr(1)).has_value());
}

BOOST_AUTO_TEST_CASE(a_full_store_ends_the_oldest_session) {
    ManualClock clock;
    ConsoleSessions sessions(settings(2), clock);
    const OpenedSession a = sessions.open(operator_client());
    clock.advance(1min);
    const OpenedSession b = sessions.open(operator_client());
    clock.advance(1min);
    const OpenedSession c = sessions.open(operator_client());
    BOOST_TEST(sessions.size() == 2u);
    BOOST_TEST(!sessions.find(a.cookie_value).has_value());
    BOOST_TEST(sessions.find(b.cookie_value).has_value());
    BOOST_TEST(sessions.find(c.cookie_value).has_value());
}

BOOST_AUTO_TEST_CASE(a_client_logging_in_again_and_again_ends_its_own_sessions_only) {
    ManualClock clock;
    ConsoleSessions sessions(settings(3), clock);
    const OpenedSession operator_session = sessions.open(operator_client());
    const auto viewer =
        std::make_shared<const api::ApiClient>(api::ApiClient{"viewer", {"contracts"}});
    for (int i = 0; i < 10; ++i) {
        clock.advance(1min);
        sessions.open(viewer);
    }
    BOOST_TEST(sessions.size() == 3u);
    // The operator's session is the oldest of all, and still there.
    BOOST_TEST(sessions.find(operator_session.cookie_value).has_value());
}

BOOST_AUTO_TEST_CASE(the_cookie_is_read_from_the_cookie_field) {
    BOOST_TEST(cookie_value("a=1; __Host-signet-console=abc; b=2", kSessionCookie).value() ==
               "abc");
    BOOST_TEST(cookie_value("__Host-signet-console=abc", kSessionCookie).value() == "abc");
    BOOST_TEST(!cookie_value("x__Host-signet-console=abc", kSessionCookie).has_value());
    BOOST_TEST(!cookie_value("", kSessionCookie).has_value());
    BOOST_TEST(!cookie_value("__Host-signet-console", kSessionCookie).has_value());
}

BOOST_AUTO_TEST_CASE(a_same_origin_request_with_the_token_authenticates_as_the_client) {
    ManualClock clock;
    ConsoleSessions sessions(settings(), clock);
    const OpenedSession opened = sessions.open(operator_client());
    const auto outcome = sessions.authenticate(http::verb::post, same_origin_post(opened));
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST(outcome->refusal == "");
    BOOST_REQUIRE(outcome->client);
    BOOST_TEST(outcome->client->name == "operator");

    // A GET needs no token: reading changes nothing.
    http::fields get;
    get.set(http::field::cookie, cookie(opened));
    get.set("Sec-Fetch-Site", "same-origin");
    BOOST_TEST(sessions.authenticate(http::verb::get, get)->client != nullptr);

    // No cookie: not a session request at all; an ended session: no client.
    BOOST_TEST(!sessions.authenticate(http::verb::get, http::fields{}).has_value());
    sessions.close(opened.cookie_value);
    const auto ended = sessions.authenticate(http::verb::get, get);
    BOOST_REQUIRE(ended.has_value());
    BOOST_TEST(!ended->client);
    BOOST_TEST(ended->refusal == "");
}

BOOST_AUTO_TEST_CASE(state_changing_requests_without_the_right_token_are_refused) {
    ManualClock clock;
    ConsoleSessions sessions(settings(), clock);
    const OpenedSession opened = sessions.open(operator_client());

    http::fields missing = same_origin_post(opened);
    missing.erase(kCsrfHeader);
    auto outcome = sessions.authenticate(http::verb::post, missing);
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST(!outcome->client);
    BOOST_TEST(outcome->refusal.find("X-CSRF-Token") != std::string::npos, outcome->refusal);

    http::fields wrong = same_origin_post(opened);
    std::string token = opened.csrf_token;
    token[0] = token[0] == 'a' ? 'b' : 'a';
    wrong.set(kCsrfHeader, token);
    outcome = sessions.authenticate(http::verb::delete_, wrong);
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST(!outcome->client);
    BOOST_TEST(outcome->refusal == "X-CSRF-Token is not this session's token");

    http::fields short_token = same_origin_post(opened);
    short_token.set(kCsrfHeader, opened.csrf_token.substr(0, 10));
    outcome = sessions.authenticate(http::verb::post, short_token);
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST(!outcome->client);
}

BOOST_AUTO_TEST_CASE(a_refused_request_does_not_keep_a_session_alive) {
    ManualClock clock;
    ConsoleSessions sessions(settings(), clock);
    const OpenedSession opened = sessions.open(operator_client());
    http::fields forged = same_origin_post(opened);
    forged.erase(kCsrfHeader);
    // Refused every 20 minutes: the session still idles out 30 minutes after its last use.
    clock.advance(20min);
    const auto refused = sessions.authenticate(http::verb::post, forged);
    BOOST_REQUIRE(refused.has_value());
    BOOST_TEST(!refused->client);
    clock.advance(10min);
    BOOST_TEST(!sessions.find(opened.cookie_value).has_value());

    // A request it serves does start the idle time again.
    const OpenedSession used = sessions.open(operator_client());
    clock.advance(20min);
    const auto served = sessions.authenticate(http::verb::post, same_origin_post(used));
    BOOST_REQUIRE(served.has_value());
    BOOST_TEST(served->client != nullptr);
    clock.advance(20min);
    BOOST_TEST(sessions.find(used.cookie_value).has_value());
}

BOOST_AUTO_TEST_CASE(cross_site_requests_are_refused_even_with_the_token) {
    ManualClock clock;
    ConsoleSessions sessions(settings(), clock);
    const OpenedSession opened = sessions.open(operator_client());

    http::fields other_origin = same_origin_post(opened);
    other_origin.set("Origin", "https://attacker.example");
    other_origin.erase("Sec-Fetch-Site");
    auto outcome = sessions.authenticate(http::verb::post, other_origin);
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST(!outcome->client);
    BOOST_TEST(outcome->refusal.find("Origin") != std::string::npos, outcome->refusal);

    // Plain HTTP on the same host is another origin (RFC 6454 §4: the scheme counts).
    http::fields plain = same_origin_post(opened);
    plain.set("Origin", "http://console.example:8443");
    outcome = sessions.authenticate(http::verb::post, plain);
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST(!outcome->client);

    http::fields cross_site = same_origin_post(opened);
    cross_site.set("Sec-Fetch-Site", "cross-site");
    outcome = sessions.authenticate(http::verb::post, cross_site);
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST(outcome->refusal.find("Sec-Fetch-Site") != std::string::npos, outcome->refusal);

    // Fetch Metadata on a GET: same-site (a sibling subdomain) is not the console's origin.
    http::fields sibling;
    sibling.set(http::field::cookie, cookie(opened));
    sibling.set("Sec-Fetch-Site", "same-site");
    BOOST_TEST(!sessions.authenticate(http::verb::get, sibling)->client);
    // "none" (a typed address) may read, not write.
    sibling.set("Sec-Fetch-Site", "none");
    BOOST_TEST(sessions.authenticate(http::verb::get, sibling)->client != nullptr);
    http::fields typed = same_origin_post(opened);
    typed.set("Sec-Fetch-Site", "none");
    BOOST_TEST(!sessions.authenticate(http::verb::post, typed)->client);

    // Neither Origin nor Sec-Fetch-Site: where it comes from is unknown, so it is refused.
    http::fields unknown = same_origin_post(opened);
    unknown.erase("Origin");
    unknown.erase("Sec-Fetch-Site");
    outcome = sessions.authenticate(http::verb::post, unknown);
    BOOST_TEST(outcome->refusal ==
               "neither Origin nor Sec-Fetch-Site says where this request comes from");
}

namespace {

// A request as the server hands it to a route's handler.
api::Response call(const api::Router& router, http::verb method, const http::fields& headers,
                   const api::ApiClient* client) {
    for (const api::Route& route : router.routes())
        if (route.path == "/console/session" && route.method == method)
            return route.handler(api::Request{method, http::to_string(method), "/console/session",
                                              "/console/session", "", headers, "", client, "req-1",
                                              "192.0.2.7:50000", api::ListenerKind::https,
                                              route.path});
    throw std::runtime_error("no such route");
}

}  // namespace

BOOST_AUTO_TEST_CASE(login_and_logout_are_told_with_the_client_and_address) {
    ManualClock clock;
    auto sessions = std::make_shared<ConsoleSessions>(settings(), clock);
    std::vector<std::string> told;
    api::Router router;
    add_console_routes(
        router, sessions,
        [&](std::string_view event, const api::ApiClient& client, std::string_view peer) {
            told.push_back(std::string(event) + " " + client.name + " " + std::string(peer));
        });
    const api::ApiClient client{"operator", {"contracts"}};

    http::fields login;
    login.set(http::field::host, "console.example");
    login.set("Origin", "https://console.example");
    // No client (unknown credentials): 401, nothing told, no session.
    BOOST_TEST(static_cast<int>(call(router, http::verb::post, login, nullptr).status) == 401);
    BOOST_TEST(told.empty());
    // From another origin: refused before anything (login CSRF).
    http::fields elsewhere = login;
    elsewhere.set("Origin", "https://attacker.example");
    BOOST_TEST(static_cast<int>(call(router, http::verb::post, elsewhere, &client).status) == 403);
    BOOST_TEST(told.empty());

    const api::Response opened = call(router, http::verb::post, login, &client);
    BOOST_TEST(static_cast<int>(opened.status) == 201);
    BOOST_REQUIRE_EQUAL(told.size(), 1u);
    BOOST_TEST(told[0] == "console.login operator 192.0.2.7");
    std::string cookie_header;
    for (const auto& [name, value] : opened.headers)
        if (name == "Set-Cookie")
            cookie_header = value;
    BOOST_TEST(cookie_header.find("; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=28800") !=
               std::string::npos);
    BOOST_TEST(opened.body.find("\"csrf_token\"") != std::string::npos);
    BOOST_TEST(sessions->size() == 1u);

    // Logout without the CSRF token is refused and the session stays; with it, it ends.
    http::fields logout = login;
    logout.set(http::field::cookie, cookie_header.substr(0, cookie_header.find(';')));
    BOOST_TEST(static_cast<int>(call(router, http::verb::delete_, logout, nullptr).status) == 403);
    BOOST_TEST(sessions->size() == 1u);
    BOOST_TEST(told.size() == 1u);
    const auto body = nlohmann::json::parse(opened.body);
    logout.set(kCsrfHeader, body["csrf_token"].get<std::string>());
    BOOST_TEST(static_cast<int>(call(router, http::verb::delete_, logout, nullptr).status) == 204);
    BOOST_TEST(sessions->size() == 0u);
    BOOST_REQUIRE_EQUAL(told.size(), 2u);
    BOOST_TEST(told[1] == "console.logout operator 192.0.2.7");
}
