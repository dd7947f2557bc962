#include "api/health.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <exception>
#include <mutex>

#include "api/abandon.hpp"
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

namespace {

HealthResult run_check(const HealthCheck& check) {
    try {
        return check.check();
    } catch (const std::exception& e) {
        return {HealthStatus::down, e.what()};
    } catch (...) {
        return {HealthStatus::down, "the check failed"};
    }
}

}  // namespace

Response health_report(std::span<const NamedHealth> results) {
    HealthStatus overall = HealthStatus::ok;
    std::string entries;
    for (const NamedHealth& named : results) {
        overall = std::max(overall, named.result.status);
        if (!entries.empty())
            entries += ',';
        entries += '"';
        append_json_escaped(entries, named.name);
        entries += "\":{\"status\":\"";
        entries += to_string(named.result.status);
        entries += "\",\"detail\":\"";
        append_json_escaped(entries, named.result.detail);
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

Response health_response(const std::vector<HealthCheck>& checks) {
    std::vector<NamedHealth> results;
    results.reserve(checks.size());
    for (const HealthCheck& check : checks)
        results.push_back({check.name, run_check(check)});
    return health_report(results);
}

// One run of one check; whoever asks while it runs waits for it.
struct Run {
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;
    HealthResult result;
};

struct HealthMonitor::Shared {
    explicit Shared(std::vector<HealthCheck> list)
        : checks(std::move(list)),
          running(checks.size()),
          pool(
              std::make_unique<boost::asio::thread_pool>(std::max<std::size_t>(1, checks.size()))) {
    }

    const std::vector<HealthCheck> checks;
    std::mutex mutex;
    std::condition_variable idle;  // a run finished (under `mutex`)
    std::vector<std::shared_ptr<Run>> running;  // by check: the run in progress, if any
    std::unique_ptr<boost::asio::thread_pool> pool;
};

HealthMonitor::HealthMonitor(std::vector<HealthCheck> checks, std::chrono::milliseconds deadline)
    : shared_(std::make_shared<Shared>(std::move(checks))), deadline_(deadline) {}

HealthMonitor::~HealthMonitor() {
    bool stuck = false;
    {
        std::lock_guard lock(shared_->mutex);
        for (const auto& run : shared_->running)
            stuck = stuck || run != nullptr;
    }
    if (stuck) {
        detail::keep_until_exit(std::move(shared_->pool));  // not joined: a check hangs
    } else {
        // Joined here, so that the last reference to shared_ is never a task's, on a thread of
        // the pool it would destroy.
        shared_->pool->join();
    }
}

bool HealthMonitor::wait_until_idle() {
    std::unique_lock lock(shared_->mutex);
    return shared_->idle.wait_for(lock, deadline_, [&] {
        return std::ranges::all_of(shared_->running, [](const auto& run) { return run == nullptr; });
    });
}

Response HealthMonitor::respond() {
    const auto deadline = std::chrono::steady_clock::now() + deadline_;
    const std::size_t count = shared_->checks.size();
    std::vector<std::shared_ptr<Run>> runs(count);
    {
        std::lock_guard lock(shared_->mutex);
        for (std::size_t i = 0; i < count; ++i) {
            if (!shared_->running[i]) {
                auto run = std::make_shared<Run>();
                shared_->running[i] = run;
                boost::asio::post(*shared_->pool, [shared = shared_, i, run] {
                    HealthResult result = run_check(shared->checks[i]);
                    {
                        std::lock_guard running_lock(shared->mutex);
                        shared->running[i].reset();
                    }
                    shared->idle.notify_all();
                    std::lock_guard run_lock(run->mutex);
                    run->result = std::move(result);
                    run->done = true;
                    run->finished.notify_all();
                });
            }
            runs[i] = shared_->running[i];
        }
    }
    std::vector<NamedHealth> results;
    results.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        Run& run = *runs[i];
        std::unique_lock lock(run.mutex);
        if (run.finished.wait_until(lock, deadline, [&] { return run.done; })) {
            results.push_back({shared_->checks[i].name, run.result});
        } else {
            results.push_back(
                {shared_->checks[i].name,
                 {HealthStatus::down,
                  "did not answer within " + std::to_string(deadline_.count()) + " ms"}});
        }
    }
    return health_report(results);
}

}  // namespace signet::api
