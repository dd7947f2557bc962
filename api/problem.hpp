#pragma once

#include <string>
#include <string_view>

#include "api/http.hpp"
#include "common/error.hpp"

// Errors at the edge: application/problem+json (RFC 9457). The server maps every failure — a
// service's signet::Error, or an HTTP-level problem found before a handler runs — to one of
// the problem types below. A type URI is an identifier, stable across releases, not a page:
//     https://signet.example/problems/<slug>
namespace signet::api {

inline constexpr std::string_view kProblemTypeBase = "https://signet.example/problems/";
inline constexpr std::string_view kProblemContentType = "application/problem+json";

struct ProblemType {
    http::status status;
    std::string_view slug;   // the last segment of the type URI
    std::string_view title;  // RFC 9457 §3.1.3: the same for every occurrence of the type
};

namespace problems {
// HTTP-level problems, found by the server.
inline constexpr ProblemType malformed_request{http::status::bad_request, "malformed-request",
                                               "Malformed request"};
inline constexpr ProblemType unauthenticated{http::status::unauthorized, "unauthenticated",
                                             "Authentication required"};
inline constexpr ProblemType no_such_route{http::status::not_found, "no-such-route",
                                           "No such route"};
inline constexpr ProblemType method_not_allowed{http::status::method_not_allowed,
                                                "method-not-allowed", "Method not allowed"};
inline constexpr ProblemType body_too_large{http::status::payload_too_large, "body-too-large",
                                            "Request body too large"};
// A route that takes one media type only (POST /tsa: application/timestamp-query).
inline constexpr ProblemType unsupported_media_type{
    http::status::unsupported_media_type, "unsupported-media-type", "Unsupported media type"};
inline constexpr ProblemType header_too_large{http::status::request_header_fields_too_large,
                                              "header-too-large",
                                              "Request header fields too large"};
// A request whose body stopped arriving before read_timeout (RFC 9110 §15.5.9).
inline constexpr ProblemType request_timeout{http::status::request_timeout, "request-timeout",
                                             "Request timeout"};
inline constexpr ProblemType overloaded{http::status::service_unavailable, "overloaded",
                                        "Too many connections"};
// signet::Errc, thrown by a service (permission_denied is also the server's wrong-scope answer).
inline constexpr ProblemType invalid_argument{http::status::bad_request, "invalid-argument",
                                              "Invalid argument"};
inline constexpr ProblemType permission_denied{http::status::forbidden, "permission-denied",
                                               "Permission denied"};
inline constexpr ProblemType not_found{http::status::not_found, "not-found", "Not found"};
inline constexpr ProblemType already_exists{http::status::conflict, "already-exists",
                                            "Already exists"};
inline constexpr ProblemType failed_precondition{http::status::conflict, "failed-precondition",
                                                 "Failed precondition"};
inline constexpr ProblemType unavailable{http::status::service_unavailable, "unavailable",
                                         "Service unavailable"};
// Errc::hsm, crypto, io and internal: the server's own failure. The client cannot act on the
// difference, and the detail could reveal internals, so they share one type and a generic
// detail; the log has the real message under the same request id.
inline constexpr ProblemType internal_error{http::status::internal_server_error, "internal-error",
                                            "Internal error"};
}  // namespace problems

const ProblemType& problem_type_for(Errc code) noexcept;

std::string problem_type_uri(const ProblemType& type);

// A problem's detail is cut to this many bytes (at a character boundary, "...(cut)" added): a
// safety net under the services' quoting of client input (common/text.hpp quote_input), so no
// error echoes a large input whole.
inline constexpr std::size_t kMaxProblemDetailBytes = 1024;

// The problem+json body: {"type","title","status","detail","instance","request_id"}.
// `instance` is "urn:uuid:<request id>", which names this occurrence (and the log lines about
// it); `request_id` repeats the bare id for convenience.
std::string problem_json(const ProblemType& type, std::string_view detail,
                         std::string_view request_id);

Response problem_response(const ProblemType& type, std::string_view detail,
                          std::string_view request_id);

// A service's error as the client sees it. For the internal types the detail is generic.
Response problem_response(const Error& error, std::string_view request_id);

}  // namespace signet::api
