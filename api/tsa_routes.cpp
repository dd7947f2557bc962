#include "api/tsa_routes.hpp"

#include "api/problem.hpp"
#include "tsa/health.hpp"

namespace signet::api {

namespace {

constexpr std::string_view kQueryType = "application/timestamp-query";
constexpr const char* kReplyType = "application/timestamp-reply";

}  // namespace

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
        if (!has_media_type(request.header(http::field::content_type), kQueryType)) {
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
