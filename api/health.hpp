#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.hpp"

// /healthz: named checks (HSM session, database, clock — registered by signetd), each with a
// status; the answer is 503 when a check is down, 200 otherwise (ok or degraded: the node serves).
namespace signet::api {

enum class HealthStatus : std::uint8_t { ok, degraded, down };

std::string_view to_string(HealthStatus status) noexcept;

struct HealthResult {
    HealthStatus status = HealthStatus::ok;
    std::string detail{};  // shown to whoever may read /healthz: no secrets
};

struct HealthCheck {
    std::string name{};
    // Runs on a server thread for every /healthz request, so it should be quick; an exception
    // counts as "down" with the exception's message as the detail.
    std::function<HealthResult()> check{};
};

// {"status":"ok|degraded|down","checks":{"<name>":{"status":"...","detail":"..."},...}}
// The overall status is the worst of the checks (ok with no checks).
Response health_response(const std::vector<HealthCheck>& checks);

}  // namespace signet::api
