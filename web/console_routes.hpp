#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "api/router.hpp"
#include "web/console_sessions.hpp"

// The operator console (issue 15): one page whose scripts call the /v1 routes with a session
// cookie (api/session_credentials.hpp), so each screen's action needs the scope its /v1 route
// needs and is recorded as that route records it. Routes, all HTTPS only:
//   GET    /console          the page (login form, then the screens)
//   POST   /console/session  login: the request's API client (a bearer token in Authorization,
//                            or the TLS client certificate) gets a session: 201 with the
//                            client's name and scopes and the session's CSRF token, and the
//                            cookie (HttpOnly; Secure; SameSite=Strict; Path=/)
//   GET    /console/session  the session the cookie names (a reloaded page's CSRF token), or 401
//   DELETE /console/session  logout: the session ends and the cookie is cleared (CSRF-checked)
// Every answer carries the security headers and Cache-Control: no-store.
namespace signet::web {

// Told of each login and logout ("console.login" / "console.logout", the API client, the peer
// address), before the answer goes out: signetd records them as audit events (DESIGN.md
// invariant 3: an operator action). It may throw; the request then fails and, for a login, no
// session is handed out. Empty: not told.
using SessionEvents = std::function<void(std::string_view event, const api::ApiClient& client,
                                         std::string_view peer)>;

void add_console_routes(api::Router& router, std::shared_ptr<ConsoleSessions> sessions,
                        SessionEvents events = {});

}  // namespace signet::web
