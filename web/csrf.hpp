#pragma once

#include <string>
#include <string_view>

#include "api/http.hpp"

// The operator console's defences against cross-site request forgery, for requests that a
// session cookie authenticates (OWASP Cross-Site Request Forgery Prevention Cheat Sheet:
// "Synchronizer Token Pattern" and "Verifying Origin With Standard Headers"; W3C Fetch Metadata
// Request Headers, the "resource isolation policy" of web.dev/fetch-metadata). The cookie is
// SameSite=Strict as well; these checks do not rely on it.
namespace signet::web {

// The header a console page sends its session's CSRF token in.
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

// Why a request may not use the session, or "" when it may:
//  - Sec-Fetch-Site, when sent, must be "same-origin"; "none" (the operator typed the address
//    or followed a bookmark) only for a safe method. A browser sends it on every request
//    (Fetch Metadata §2.1), so a cross-site page cannot hide where it calls from.
//  - A state-changing method (anything but GET, HEAD, OPTIONS: RFC 9110 §9.2.1) must prove it
//    comes from this origin: an Origin equal to "https://" + Host, or, without Origin,
//    Sec-Fetch-Site: same-origin (OWASP: refuse when neither header is there).
//  - and must carry the session's token in X-CSRF-Token, compared in constant time (a token
//    the page got at login: a cross-site page can neither read nor guess it).
// Headers are compared exactly; every refusal names the header at fault.
std::string cross_site_refusal(api::http::verb method, const api::http::fields& headers);
std::string csrf_refusal(api::http::verb method, const api::http::fields& headers,
                         std::string_view session_token);

// Whether `method` changes state (RFC 9110 §9.2.1: not GET, HEAD, OPTIONS or TRACE).
bool is_unsafe(api::http::verb method) noexcept;

}  // namespace signet::web
