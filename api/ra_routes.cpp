#include "api/ra_routes.hpp"

#include <algorithm>
#include <vector>

#include "api/problem.hpp"
#include "api/ra_requests.hpp"
#include "api/ra_routes_detail.hpp"
#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "ra/evidence_error.hpp"
#include "ra/otp_limits.hpp"

namespace signet::api {

namespace {

using nlohmann::json;

const ProblemType& otp_problem_type(ra::OtpFailure failure) {
    switch (failure) {
        case ra::OtpFailure::wrong_code:
            return problems::otp_wrong_code;
        case ra::OtpFailure::locked:
            return problems::otp_locked;
        case ra::OtpFailure::expired:
            return problems::otp_expired;
        case ra::OtpFailure::already_used:
            return problems::otp_already_used;
        case ra::OtpFailure::voided:
            return problems::otp_voided;
        case ra::OtpFailure::not_found:
            return problems::otp_not_found;
        case ra::OtpFailure::rate_limited:
            return problems::otp_rate_limited;
    }
    return problems::otp_not_found;
}

}  // namespace

// What a client needs to act on the refusal, as extension members (RFC 9457 §3.2).
Response otp_problem(const ra::OtpError& error, std::string_view request_id) {
    json extensions = json::object();
    const auto& details = error.details();
    std::string retry_after;
    switch (error.failure()) {
        case ra::OtpFailure::wrong_code:
            extensions["attempts_left"] = details.attempts_left;
            break;
        case ra::OtpFailure::locked:
            if (details.locked_until)
                extensions["locked_until"] = format_utc(*details.locked_until);
            break;
        case ra::OtpFailure::rate_limited: {
            // RFC 9110 §10.2.3: delay-seconds; at least 1, so a client never retries at once.
            const auto seconds = std::max<std::int64_t>(1, details.retry_after.count());
            extensions["retry_after"] = seconds;
            retry_after = std::to_string(seconds);
            break;
        }
        default:
            break;
    }
    Response response =
        problem_response(otp_problem_type(error.failure()), error.what(), request_id, extensions);
    if (!retry_after.empty())
        response.headers.emplace_back("Retry-After", retry_after);
    return response;
}

namespace {

Response evidence_problem(const ra::EvidenceError& error, std::string_view request_id) {
    return problem_response(problems::evidence_refused, error.what(), request_id,
                            json{{"reason", ra::to_string(error.refusal())}});
}

json optional_time(const std::optional<Clock::time_point>& t) {
    return t ? json(format_utc(*t)) : json(nullptr);
}

}  // namespace

namespace detail {

Route ra_route(http::verb method, std::string path, std::string scope, std::size_t max_body_bytes,
               Handler handler) {
    Route route;
    route.method = method;
    route.match = path.find('{') != std::string::npos ? PathMatch::segments : PathMatch::exact;
    route.path = std::move(path);
    route.scope = std::move(scope);
    route.max_body_bytes = max_body_bytes;
    route.handler = [handler = std::move(handler)](const Request& request) -> Response {
        try {
            return handler(request);
        } catch (const ra::OtpError& e) {
            return otp_problem(e, request.request_id);
        } catch (const ra::EvidenceError& e) {
            return evidence_problem(e, request.request_id);
        }
    };
    return route;
}

std::int64_t path_id(const Request& request, std::size_t index, std::string_view name) {
    std::vector<std::string_view> values;
    if (!match_segments(request.route, request.path, &values) || index >= values.size())
        throw Error(Errc::internal, "the route's pattern does not give the path's ids");
    return parse_id(values[index], name);
}

json subject_json(const store::Subject& s) {
    // null for what a subject does not have, so every member is always present.
    const auto text_or_null = [](const std::string& text) {
        return text.empty() ? json(nullptr) : json(text);
    };
    return json{{"id", s.id},
                {"kind", s.kind},
                {"name", s.name},
                {"organization", text_or_null(s.organization)},
                {"country", s.country},
                {"document_kind", text_or_null(s.document_kind)},
                {"id_masked", text_or_null(s.id_masked)},
                {"assurance_level", s.assurance_level},
                {"status", s.status},
                {"mobile", text_or_null(s.mobile)},
                {"email", text_or_null(s.email)},
                {"legal_representative_id",
                 s.legal_representative_id ? json(*s.legal_representative_id) : json(nullptr)},
                {"verification_method", text_or_null(s.verification_method)},
                {"verified_at", optional_time(s.verified_at)},
                {"created_at", format_utc(s.created_at)},
                {"updated_at", format_utc(s.updated_at)},
                {"deactivated_at", optional_time(s.deactivated_at)}};
}

json changed_json(const ra::Registry::Changed& changed) {
    return json{{"subject", subject_json(changed.subject)},
                {"revoked_certificates", changed.revoked},
                {"reverification_required", changed.reverification_required}};
}

json agent_json(const ra::Agent& a) {
    return json{{"id", a.id},
                {"organization_id", a.organization_id},
                {"person_id", a.person_id},
                {"permissions", a.permissions},
                {"valid_until", format_utc(a.valid_until)},
                {"authorization_reference", a.authorization_reference},
                {"authorization_sha256",
                 a.authorization_sha256 ? json(to_hex(*a.authorization_sha256)) : json(nullptr)},
                {"granted_by", a.granted_by},
                {"granted_at", format_utc(a.granted_at)},
                {"revoked_at", optional_time(a.revoked_at)},
                {"revoked_by", a.revoked_by.empty() ? json(nullptr) : json(a.revoked_by)}};
}

Response json_response(const json& body, http::status status) {
    return Response::json(body.dump() + "\n", status);
}

}  // namespace detail

void add_ra_routes(Router& router, RaServices services) {
    detail::add_subject_routes(router, services);
    detail::add_otp_routes(router, services);
    detail::add_agent_routes(router, services);
}

}  // namespace signet::api
