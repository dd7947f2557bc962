#include "api/problem.hpp"

#include "common/log.hpp"

namespace signet::api {

const ProblemType& problem_type_for(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument:
            return problems::invalid_argument;
        case Errc::not_found:
            return problems::not_found;
        case Errc::already_exists:
            return problems::already_exists;
        case Errc::permission_denied:
            return problems::permission_denied;
        case Errc::failed_precondition:
            // 409 rather than 422: the request is fine, the state of the system is not
            // (RFC 9110 §15.5.10: "conflict with the current state of the target resource").
            return problems::failed_precondition;
        case Errc::unavailable:
            return problems::unavailable;
        case Errc::hsm:
        case Errc::crypto:
        case Errc::io:
        case Errc::internal:
            return problems::internal_error;
    }
    return problems::internal_error;
}

std::string problem_type_uri(const ProblemType& type) {
    std::string uri(kProblemTypeBase);
    uri += type.slug;
    return uri;
}

namespace {

// `detail` cut to kMaxProblemDetailBytes, never inside a UTF-8 sequence.
std::string capped(std::string_view detail) {
    if (detail.size() <= kMaxProblemDetailBytes)
        return std::string(detail);
    std::size_t end = kMaxProblemDetailBytes - 8;
    while (end > 0 && (static_cast<unsigned char>(detail[end]) & 0xc0) == 0x80)
        --end;
    return std::string(detail.substr(0, end)) + "...(cut)";
}

}  // namespace

std::string problem_json(const ProblemType& type, std::string_view full_detail,
                         std::string_view request_id) {
    const std::string detail = capped(full_detail);
    std::string body;
    body.reserve(192 + detail.size());
    body += "{\"type\":\"";
    body += kProblemTypeBase;
    body += type.slug;
    body += "\",\"title\":\"";
    append_json_escaped(body, type.title);
    body += "\",\"status\":";
    body += std::to_string(static_cast<unsigned>(type.status));
    body += ",\"detail\":\"";
    append_json_escaped(body, detail);
    body += "\",\"instance\":\"urn:uuid:";
    append_json_escaped(body, request_id);
    body += "\",\"request_id\":\"";
    append_json_escaped(body, request_id);
    body += "\"}";
    return body;
}

Response problem_response(const ProblemType& type, std::string_view detail,
                          std::string_view request_id) {
    Response response;
    response.status = type.status;
    response.content_type = kProblemContentType;
    response.body = problem_json(type, detail, request_id);
    return response;
}

Response problem_response(const Error& error, std::string_view request_id) {
    const ProblemType& type = problem_type_for(error.code());
    if (&type == &problems::internal_error) {
        return problem_response(type, "the server failed; quote the request id to the operator",
                                request_id);
    }
    return problem_response(type, error.what(), request_id);
}

}  // namespace signet::api
