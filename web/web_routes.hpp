#pragma once

#include "api/router.hpp"
#include "api/verify_routes.hpp"

// The routes of the pages people see (issue 15): the public verification page and the signer's
// page:
//   GET  /verify          the page (HTML), in the language Accept-Language prefers
//   GET  /assets/{file}   its CSS, ES modules and string tables (web/assets/, embedded)
//   POST /verify/report   the verification POST /v1/verify runs (api::verify_request), for
//                         anyone: no credential, a body limit and a rate limit per address
//   GET  /sign/{token}    the signer's page (the e-mailed signing link): the same HTML for every
//                         token, `Cache-Control: no-store`; its script reads and signs through
//                         /v1/signing/{token} (api/signing_link_routes.hpp, signing_routes.hpp)
// All on HTTPS only (Route's default): a visitor's document travels encrypted. Every answer
// carries the security headers below.
namespace signet::web {

struct WebServices {
    // The verification's trust anchors and clock, and web.verify.max_document_bytes.
    api::VerifyServices verify;
    unsigned verify_requests_per_minute = 20;  // web.verify.requests_per_minute
};

// What a form adds around the document (boundaries, part headers) and what signing adds to it
// is not the visitor's document size: allowed on top of max_document_bytes.
inline constexpr std::size_t kFormOverhead = 64 * 1024;

// The security headers on every page and asset:
//   Content-Security-Policy: no inline script or style, no eval, nothing from elsewhere
//     (W3C CSP Level 3); frame-ancestors 'none' and X-Frame-Options: DENY against framing
//     (clickjacking; RFC 7034 for the browsers that predate CSP's directive);
//   X-Content-Type-Options: nosniff (a JSON report or a string table is never run as script);
//   Referrer-Policy: no-referrer (W3C Referrer Policy: nothing of the URL leaves with a link).
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
void add_security_headers(api::Response& response);

// The page `asset_name` (an embedded .html) with its <html lang> set to the language
// Accept-Language prefers, its ETag per language (every page's GET route).
api::Response serve_page(const api::Request& request, std::string_view asset_name);
// `handler` with the security headers on every answer, refusals included.
api::Handler with_security_headers(api::Handler handler);

void add_web_routes(api::Router& router, WebServices services);

}  // namespace signet::web
