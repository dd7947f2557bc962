#include "api/problem.hpp"

#include <nlohmann/json.hpp>

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

std::string problem_json(const ProblemType& type, std::string_view detail,
                         std::string_view request_id, const nlohmann::json& extensions) {
    std::string body = problem_json(type, detail, request_id);
    if (!extensions.is_object() || extensions.empty())
        return body;
    // The standard members' object, its closing brace replaced by the extension members.
    body.pop_back();
    for (const auto& [name, value] : extensions.items()) {
        body += ',';
        body += nlohmann::json(name).dump();
        body += ':';
        body += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    body += '}';
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

Response problem_response(const ProblemType& type, std::string_view detail,
                          std::string_view request_id, const nlohmann::json& extensions) {
    Response response = problem_response(type, detail, request_id);
    response.body = problem_json(type, detail, request_id, extensions);
    return response;
}

namespace {

// A member name as the decoders write it: "document.number", "permissions[2]".
bool is_member_path(std::string_view name) {
    if (name.empty() || name.size() > 128)
        return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' || c == '[' ||
                        c == ']';
        if (!ok)
            return false;
    }
    return true;
}

// "'name' rest" -> {name, rest}, when `text` starts with a quoted member path.
std::optional<std::pair<std::string_view, std::string_view>> quoted_member(std::string_view text) {
    if (text.size() < 3 || text.front() != '\'')
        return std::nullopt;
    const auto close = text.find('\'', 1);
    if (close == std::string_view::npos || !is_member_path(text.substr(1, close - 1)))
        return std::nullopt;
    return std::pair{text.substr(1, close - 1), text.substr(close + 1)};
}

}  // namespace

std::optional<InvalidParam> invalid_param_of(std::string_view message) {
    for (const std::string_view lead : {"unknown member ", "duplicate member "}) {
        if (message.starts_with(lead)) {
            const auto member = quoted_member(message.substr(lead.size()));
            if (!member)
                return std::nullopt;
            return InvalidParam{std::string(member->first),
                                std::string(lead.substr(0, lead.size() - 1))};
        }
    }
    const auto member = quoted_member(message);
    if (!member)
        return std::nullopt;
    std::string_view reason = member->second;
    while (!reason.empty() && (reason.front() == ':' || reason.front() == ' '))
        reason.remove_prefix(1);
    if (reason.empty())
        return std::nullopt;
    return InvalidParam{std::string(member->first), capped(reason)};
}

Response problem_response(const Error& error, std::string_view request_id) {
    const ProblemType& type = problem_type_for(error.code());
    if (&type == &problems::internal_error) {
        return problem_response(type, "the server failed; quote the request id to the operator",
                                request_id);
    }
    if (error.code() == Errc::invalid_argument) {
        if (auto param = invalid_param_of(error.what())) {
            // RFC 9457 §3: the example "invalid-params" extension, named here as JSON members
            // are elsewhere in this API (snake case).
            const nlohmann::json extensions{
                {"invalid_params",
                 nlohmann::json::array(
                     {{{"name", std::move(param->name)}, {"reason", std::move(param->reason)}}})}};
            return problem_response(type, error.what(), request_id, extensions);
        }
    }
    return problem_response(type, error.what(), request_id);
}

}  // namespace signet::api
