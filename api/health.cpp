#include "api/health.hpp"

#include <algorithm>
#include <exception>

#include "common/log.hpp"

namespace signet::api {

std::string_view to_string(HealthStatus status) noexcept {
    switch (status) {
        case HealthStatus::ok:
            return "ok";
        case HealthStatus::degraded:
            return "degraded";
        case HealthStatus::down:
            return "down";
    }
    return "down";
}

Response health_response(const std::vector<HealthCheck>& checks) {
    HealthStatus overall = HealthStatus::ok;
    std::string entries;
    for (const HealthCheck& check : checks) {
        HealthResult result;
        try {
            result = check.check();
        } catch (const std::exception& e) {
            result = {HealthStatus::down, e.what()};
        } catch (...) {
            result = {HealthStatus::down, "the check failed"};
        }
        overall = std::max(overall, result.status);
        if (!entries.empty())
            entries += ',';
        entries += '"';
        append_json_escaped(entries, check.name);
        entries += "\":{\"status\":\"";
        entries += to_string(result.status);
        entries += "\",\"detail\":\"";
        append_json_escaped(entries, result.detail);
        entries += "\"}";
    }
    std::string body = "{\"status\":\"";
    body += to_string(overall);
    body += "\",\"checks\":{";
    body += entries;
    body += "}}";
    // Degraded still serves (e.g. an unsynchronised clock: the TSA refuses with timeNotAvailable,
    // OCSP and CRLs go on), so only "down" takes the node out of a load balancer.
    Response response = Response::json(std::move(body), overall == HealthStatus::down
                                                            ? http::status::service_unavailable
                                                            : http::status::ok);
    // A load balancer must see the current state, never a cached one.
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

}  // namespace signet::api
