#include "api/tsa_routes.hpp"

#include <cctype>

#include "api/problem.hpp"
#include "tsa/health.hpp"

namespace signet::api {

namespace {

constexpr std::string_view kQueryType = "application/timestamp-query";
constexpr const char* kReplyType = "application/timestamp-reply";

// RFC 9110 §8.3.1: type and subtype are case-insensitive; parameters (none are defined for
// application/timestamp-query) and whitespace around them are ignored.
bool is_timestamp_query(std::string_view content_type) {
    const auto semicolon = content_type.find(';');
    std::string_view media = content_type.substr(0, semicolon);
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
        media.remove_suffix(1);
    while (!media.empty() && (media.front() == ' ' || media.front() == '\t'))
        media.remove_prefix(1);
    if (media.size() != kQueryType.size())
        return false;
    for (std::size_t i = 0; i < media.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(media[i])) != kQueryType[i])
            return false;
    }
    return true;
}

}  // namespace

std::string peer_address(std::string_view remote) {
    if (remote.starts_with('[')) {
        const auto close = remote.find(']');
        return std::string(
            remote.substr(1, close == std::string_view::npos ? remote.size() - 1 : close - 1));
    }
    const auto colon = remote.rfind(':');
    return std::string(colon == std::string_view::npos ? remote : remote.substr(0, colon));
}

HealthCheck tsa_health_check(std::shared_ptr<const tsa::Responder> responder, const Clock& clock,
                             std::string unavailable_reason) {
    return {"tsa",
            [responder = std::move(responder), &clock, reason = std::move(unavailable_reason)] {
                tsa::TsaHealth health = tsa::assess_health(responder.get(), clock.now(), reason);
                return HealthResult{health.degraded ? HealthStatus::degraded : HealthStatus::ok,
                                    std::move(health.detail)};
            }};
}

void add_tsa_routes(Router& router, std::shared_ptr<tsa::Responder> responder,
                    std::string unavailable_reason) {
    Route route;
    route.method = http::verb::post;
    route.path = "/tsa";
    route.listeners = ListenerSet::both();
    route.max_body_bytes = tsa::kMaxRequestBytes;
    route.handler = [responder = std::move(responder),
                     reason = std::move(unavailable_reason)](const Request& request) {
        if (!is_timestamp_query(request.header(http::field::content_type))) {
            return problem_response(problems::unsupported_media_type,
                                    "the body must be application/timestamp-query (RFC 3161 §3.4)",
                                    request.request_id);
        }
        if (!responder) {
            const Bytes refusal = tsa::rejection_response({tsa::Failure::system_failure, reason});
            return Response::bytes(std::string(refusal.begin(), refusal.end()), kReplyType);
        }
        tsa::Requester requester;
        if (request.client != nullptr)
            requester.client = request.client->name;
        requester.remote = peer_address(request.remote);
        const tsa::Reply reply = responder->respond(as_bytes(request.body), requester);
        return Response::bytes(std::string(reply.der.begin(), reply.der.end()), kReplyType);
    };
    router.add(std::move(route));
}

}  // namespace signet::api
