#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
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
// A request made with the operator console's session cookie that is cross-site, or
// state-changing without the session's CSRF token (web/csrf.hpp).
inline constexpr ProblemType csrf_refused{http::status::forbidden, "csrf-refused",
                                          "Cross-site request refused"};
inline constexpr ProblemType permission_denied{http::status::forbidden, "permission-denied",
                                               "Permission denied"};
inline constexpr ProblemType not_found{http::status::not_found, "not-found", "Not found"};
// RFC 9110 §15.5.11: gone for good, on purpose — a contract's documents crypto-shredded after
// their retention period (docs/signing.md "Retention").
inline constexpr ProblemType document_shredded{http::status::gone, "document-shredded",
                                               "Document shredded"};
// A signing link (sign/signing_links.hpp) that was issued but opens nothing any more: used once
// already, or past its expiry (410: RFC 9110 §15.5.11, gone on purpose). Told apart for the
// page, which says which; an unknown token stays a plain 404.
inline constexpr ProblemType signing_link_used{http::status::gone, "signing-link-used",
                                               "Signing link used"};
inline constexpr ProblemType signing_link_expired{http::status::gone, "signing-link-expired",
                                                  "Signing link expired"};
inline constexpr ProblemType already_exists{http::status::conflict, "already-exists",
                                            "Already exists"};
inline constexpr ProblemType failed_precondition{http::status::conflict, "failed-precondition",
                                                 "Failed precondition"};
inline constexpr ProblemType unavailable{http::status::service_unavailable, "unavailable",
                                         "Service unavailable"};
// The registration authority's own refusals (api/ra_routes.hpp), each a type of its own so a
// client can act on it without parsing the detail.
// The SMS gateway did not take a one-time password (RFC 9110 §15.6.3: an upstream failed).
inline constexpr ProblemType sms_gateway_failed{http::status::bad_gateway, "sms-gateway-failed",
                                                "SMS gateway failed"};
// A provider's identity statement refused ("reason": ra::EvidenceRefusal's stable code). 422:
// the request is well-formed JSON, the statement in it cannot be accepted (RFC 9110 §15.5.21).
inline constexpr ProblemType evidence_refused{http::status::unprocessable_entity,
                                              "evidence-refused", "Identity evidence refused"};
// One-time passwords (ra::OtpFailure).
inline constexpr ProblemType otp_wrong_code{http::status::forbidden, "otp-wrong-code",
                                            "Wrong one-time password"};
inline constexpr ProblemType otp_locked{http::status::forbidden, "otp-locked",
                                        "One-time passwords locked"};
inline constexpr ProblemType otp_expired{http::status::conflict, "otp-expired",
                                         "One-time password expired"};
inline constexpr ProblemType otp_already_used{http::status::conflict, "otp-already-used",
                                              "One-time password already used"};
inline constexpr ProblemType otp_voided{http::status::conflict, "otp-voided",
                                        "One-time password voided"};
inline constexpr ProblemType otp_not_found{http::status::not_found, "otp-not-found",
                                           "No such one-time password"};
inline constexpr ProblemType otp_rate_limited{http::status::too_many_requests, "otp-rate-limited",
                                              "Too many one-time passwords"};
// The public verification page (web/): an address asked more often than web.verify allows.
inline constexpr ProblemType rate_limited{http::status::too_many_requests, "rate-limited",
                                          "Too many requests"};
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
// it); `request_id` repeats the bare id for convenience. `extensions`, when given, is a JSON
// object whose members are added (RFC 9457 §3.2 extension members: "attempts_left",
// "invalid_params"...); it must not repeat a standard member.
std::string problem_json(const ProblemType& type, std::string_view detail,
                         std::string_view request_id);
std::string problem_json(const ProblemType& type, std::string_view detail,
                         std::string_view request_id, const nlohmann::json& extensions);

Response problem_response(const ProblemType& type, std::string_view detail,
                          std::string_view request_id);
Response problem_response(const ProblemType& type, std::string_view detail,
                          std::string_view request_id, const nlohmann::json& extensions);

// The member an invalid_argument message names, when it starts with one quoted ("'name' is
// required", "'document.number': not 18 characters") or says "unknown member 'x'" /
// "duplicate member 'x'": {name, reason}, for RFC 9457 §3's "invalid_params" example extension.
struct InvalidParam {
    std::string name;
    std::string reason;
};
std::optional<InvalidParam> invalid_param_of(std::string_view message);

// A service's error as the client sees it. For the internal types the detail is generic; an
// invalid_argument naming its member adds "invalid_params": [{"name", "reason"}].
Response problem_response(const Error& error, std::string_view request_id);

}  // namespace signet::api
