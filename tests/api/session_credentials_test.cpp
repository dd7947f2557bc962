// A browser session as a credential (api/session_credentials.hpp, the operator console): the
// server asks the sessions on scoped routes over HTTPS only, never when an Authorization header
// is present; a session's refusal is 403 csrf-refused; a cookie naming no live session leaves a
// client certificate to decide. A stub stands in for web::ConsoleSessions.
#include <atomic>

#include "api/session_credentials.hpp"
#include "tests/api/server_kit.hpp"

namespace {

// "s=live": the session of client "console-reader" (scope contracts:read); "s=forged": a live
// session this request may not use; "s=dead": no live session; no cookie: nullopt.
class StubSessions final : public SessionCredentials {
  public:
    std::optional<Outcome> authenticate(http::verb, const http::fields& headers) const override {
        ++asked;
        const auto cookie = headers.find(http::field::cookie);
        if (cookie == headers.end())
            return std::nullopt;
        const std::string_view value = cookie->value();
        if (value == "s=live")
            return Outcome{client, {}};
        if (value == "s=forged")
            return Outcome{nullptr, "X-CSRF-Token is missing"};
        return Outcome{};
    }

    std::shared_ptr<const ApiClient> client =
        std::make_shared<const ApiClient>(ApiClient{"console-reader", {"contracts:read"}});
    mutable std::atomic<int> asked{0};
};

struct SessionServer {
    SessionServer()
        : sessions(std::make_shared<StubSessions>()),
          server(test_options(), test_router(std::make_shared<Probe>()),
                 ServerContext{test_clients(), nullptr, quiet_log(), nullptr, {}, sessions}) {}

    HttpResponse get(const std::string& target, const std::string& cookie,
                     const std::string& authorization = "", const ClientIdentity* certificate = nullptr) {
        TlsClient client(server.https_port(),
                         {TLS1_2_VERSION, TLS1_3_VERSION, certificate, false});
        BOOST_REQUIRE(!client.handshake());
        auto request = make_request(http::verb::get, target);
        if (!cookie.empty())
            request.set(http::field::cookie, cookie);
        if (!authorization.empty())
            request.set(http::field::authorization, authorization);
        return client.request(request);
    }

    std::shared_ptr<StubSessions> sessions;
    RunningServer server;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(api_session_credentials)

BOOST_AUTO_TEST_CASE(a_live_session_is_its_client_on_scoped_routes_only) {
    SessionServer s;
    BOOST_CHECK_EQUAL(s.get("/v1/contracts", "s=live").body(), "{\"reader\":\"console-reader\"}");
    BOOST_CHECK_EQUAL(s.sessions->asked.load(), 1);
    // An unscoped route never asks.
    BOOST_CHECK_EQUAL(s.get("/echo", "s=live").result_int(), 200u);
    BOOST_CHECK_EQUAL(s.sessions->asked.load(), 1);
}

BOOST_AUTO_TEST_CASE(an_authorization_header_decides_and_the_cookie_is_not_asked) {
    SessionServer s;
    expect_problem(s.get("/v1/contracts", "s=live", "Bearer not-a-token"), 401, "unauthenticated");
    BOOST_CHECK_EQUAL(
        s.get("/v1/contracts", "s=live", "Bearer " + std::string(kSignerToken)).body(),
        "{\"reader\":\"signer\"}");
    BOOST_CHECK_EQUAL(s.sessions->asked.load(), 0);
}

BOOST_AUTO_TEST_CASE(a_refused_session_is_403_and_a_dead_one_leaves_the_certificate_to_decide) {
    SessionServer s;
    expect_problem(s.get("/v1/contracts", "s=forged"), 403, "csrf-refused");
    // With the reader's certificate, a forged use of a live session is still refused.
    const TestPki& pki = TestPki::instance();
    expect_problem(s.get("/v1/contracts", "s=forged", "", &pki.reader), 403, "csrf-refused");
    expect_problem(s.get("/v1/contracts", "s=dead"), 401, "unauthenticated");
    BOOST_CHECK_EQUAL(s.get("/v1/contracts", "s=dead", "", &pki.reader).body(),
                      "{\"reader\":\"reader\"}");
}

BOOST_AUTO_TEST_SUITE_END()
