#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
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
    // Runs on a thread of its own (HealthMonitor) for /healthz; it may block, but past the
    // deadline it is reported down. An exception counts as "down" with its message as the detail.
    std::function<HealthResult()> check{};
};

struct NamedHealth {
    std::string_view name;
    HealthResult result;
};

// {"status":"ok|degraded|down","checks":{"<name>":{"status":"...","detail":"..."},...}}
// The overall status is the worst of the checks (ok with no checks).
Response health_report(std::span<const NamedHealth> results);

// Runs each check in turn on the calling thread, then health_report.
Response health_response(const std::vector<HealthCheck>& checks);

// What the server's /healthz uses: the checks run off the I/O threads, in parallel, each on a
// thread of its own, so that one that hangs (an HSM or a database that stopped answering)
// delays neither the answer past the deadline nor the other checks. A check that has not
// answered by the deadline is reported down, "did not answer within N ms"; while it is still
// running, later requests wait for that same run rather than starting another, so a hung check
// holds one thread, however often /healthz is asked.
class HealthMonitor {
  public:
    HealthMonitor(std::vector<HealthCheck> checks, std::chrono::milliseconds deadline);
    HealthMonitor(const HealthMonitor&) = delete;
    HealthMonitor& operator=(const HealthMonitor&) = delete;
    // A check still running then is left to finish on its own (see api/abandon.hpp).
    ~HealthMonitor();

    // Blocks for at most the deadline.
    Response respond();

    // Waits until no check is running, for at most the deadline. False: a check still runs then
    // (it hangs on a dependency), so whatever it uses must outlive the process's orderly stop,
    // which signetd then skips (it exits at once, as for an abandoned request).
    bool wait_until_idle();

  private:
    struct Shared;
    std::shared_ptr<Shared> shared_;
    std::chrono::milliseconds deadline_;
};

}  // namespace signet::api
