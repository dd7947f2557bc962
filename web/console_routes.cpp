#include "web/console_routes.hpp"

#include <nlohmann/json.hpp>
#include <string>

#include "api/problem.hpp"
#include "common/clock.hpp"
#include "web/csrf.hpp"
#include "web/web_routes.hpp"

namespace signet::web {

namespace {

using nlohmann::json;

constexpr std::string_view kSessionPath = "/console/session";

// A session's answer and any refusal about it may not be kept by a cache (RFC 9111 §5.2.2.5).
api::Response no_store(api::Response response) {
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

api::Response refused(const api::ProblemType& type, std::string_view detail,
                      const api::Request& request) {
    api::Response response = api::problem_response(type, detail, request.request_id);
    if (type.status == api::http::status::unauthorized)
        response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"signet\"");
    return no_store(std::move(response));
}

// RFC 6265 §4.1: the cookie. Max-Age bounds it in the browser to the session's absolute end;
// the server ends it sooner when it is idle.
std::string set_cookie(std::string_view value, std::chrono::seconds max_age) {
    return std::string(kSessionCookie) + "=" + std::string(value) +
           "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" +
           std::to_string(max_age.count());
}

json session_json(const api::ApiClient& client, std::string_view csrf_token,
                  Clock::time_point expires_at, const ConsoleSessionSettings& settings) {
    return json{{"client", client.name},
                {"scopes", client.scopes},
                {"csrf_token", csrf_token},
                {"expires_at", format_utc(expires_at)},
                {"idle_timeout_seconds", settings.idle_timeout.count()}};
}

std::optional<std::string_view> request_cookie(const api::Request& request) {
    const std::string_view field = request.header(api::http::field::cookie);
    return field.empty() ? std::nullopt : cookie_value(field, kSessionCookie);
}

api::Response login(ConsoleSessions& sessions, const SessionEvents& events,
                    const api::Request& request) {
    if (std::string refusal = cross_site_refusal(request.method, request.headers); !refusal.empty())
        return refused(api::problems::csrf_refused, refusal, request);
    if (request.client == nullptr)
        return refused(api::problems::unauthenticated,
                       "log in with an API client's bearer token (Authorization: Bearer) or its "
                       "client certificate; the one presented, if any, is not recognised",
                       request);
    auto client = std::make_shared<const api::ApiClient>(*request.client);
    if (events)
        events("console.login", *client, api::peer_address(request.remote));
    const OpenedSession opened = sessions.open(client);
    api::Response response = api::Response::json(
        session_json(*client, opened.csrf_token, opened.expires_at, sessions.settings()).dump(),
        api::http::status::created);
    response.headers.emplace_back(
        "Set-Cookie", set_cookie(opened.cookie_value, sessions.settings().absolute_timeout));
    return no_store(std::move(response));
}

api::Response current(const ConsoleSessions& sessions, const api::Request& request) {
    if (std::string refusal = cross_site_refusal(request.method, request.headers); !refusal.empty())
        return refused(api::problems::csrf_refused, refusal, request);
    const auto value = request_cookie(request);
    const auto session = value ? sessions.find(*value) : std::nullopt;
    if (!session)
        return refused(api::problems::unauthenticated,
                       "no console session: it ended, or this browser never logged in", request);
    return no_store(api::Response::json(session_json(*session->client, session->csrf_token,
                                                     session->expires_at, sessions.settings())
                                            .dump()));
}

api::Response logout(ConsoleSessions& sessions, const SessionEvents& events,
                     const api::Request& request) {
    const auto value = request_cookie(request);
    const auto session = value ? sessions.find(*value) : std::nullopt;
    if (!session) {
        // Ended already (expired, or a restart): the browser's cookie is cleared all the same.
        api::Response gone =
            refused(api::problems::unauthenticated, "no console session to end", request);
        gone.headers.emplace_back("Set-Cookie", set_cookie("", std::chrono::seconds(0)));
        return gone;
    }
    if (std::string refusal = csrf_refusal(request.method, request.headers, session->csrf_token);
        !refusal.empty())
        return refused(api::problems::csrf_refused, refusal, request);
    // Closed before it is recorded: a logout the audit log fails to record still ends the
    // session (the error then reaches the operator, who sees the logout was not confirmed).
    sessions.close(*value);
    if (events)
        events("console.logout", *session->client, api::peer_address(request.remote));
    api::Response response;
    response.status = api::http::status::no_content;
    response.headers.emplace_back("Set-Cookie", set_cookie("", std::chrono::seconds(0)));
    return no_store(std::move(response));
}

api::Route session_route(api::http::verb method, api::Handler handler) {
    api::Route route;
    route.method = method;
    route.path = std::string(kSessionPath);
    route.max_body_bytes = 1024;
    // A lookup in memory never waits; a login or logout records an audit event, which does.
    route.runs_on_io_thread = method == api::http::verb::get;
    route.handler = with_security_headers(std::move(handler));
    return route;
}

}  // namespace

void add_console_routes(api::Router& router, std::shared_ptr<ConsoleSessions> sessions,
                        SessionEvents events) {
    api::Route page;
    page.path = "/console";
    page.runs_on_io_thread = true;
    page.handler = with_security_headers(
        [](const api::Request& request) { return serve_page(request, "console.html"); });
    router.add(std::move(page));

    router.add(
        session_route(api::http::verb::post, [sessions, events](const api::Request& request) {
            return login(*sessions, events, request);
        }));
    router.add(session_route(api::http::verb::get, [sessions](const api::Request& request) {
        return current(*sessions, request);
    }));
    router.add(
        session_route(api::http::verb::delete_, [sessions, events](const api::Request& request) {
            return logout(*sessions, events, request);
        }));
}

}  // namespace signet::web
