#include "api/server.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <limits>
#include <thread>

#include "api/abandon.hpp"
#include "api/listener.hpp"
#include "api/server_state.hpp"
#include "api/session.hpp"
#include "common/error.hpp"

// The server's lifecycle: building the shared state and the built-in routes, run(), and the
// shutdown (grace, then closing, then abandoning handlers that never return).
namespace signet::api {

using namespace detail;

struct Server::Impl {
    // Destroyed last: the connections, which the io_contexts' pending handlers own, use it.
    std::shared_ptr<ServerState> state;
    std::chrono::milliseconds default_grace;
    std::unique_ptr<IoContexts> contexts;
    // Threads without connections would leave run() at once: these keep every loop running
    // until shutdown has closed the last connection.
    std::vector<net::executor_work_guard<IoExecutor>> keep_running;
    // Declared after the contexts, so joined before them: a handler still running owns a
    // connection whose socket belongs to one of them.
    std::unique_ptr<net::thread_pool> workers;
    std::unique_ptr<net::thread_pool> control;  // the server's own routes (/healthz)
    // io objects: declared after the contexts, so destroyed before them.
    std::shared_ptr<Listener> http_listener;
    std::shared_ptr<Listener> https_listener;
    net::strand<IoExecutor> lifecycle;
    net::steady_timer shutdown_timer;
    std::optional<net::signal_set> signals;
    SteadyClock::time_point deadline{};
    bool forced = false;
    bool started = false;
    std::size_t abandoned = 0;  // handlers (and health checks) still running when run() returned
    std::shared_ptr<HealthMonitor> health_monitor;  // /healthz's, when it is served

    // The margin after the grace for closed connections to go, and for run() to return.
    static constexpr std::chrono::milliseconds kCloseMargin{500};
    static constexpr unsigned kControlThreads = 2;

    Impl(ServerOptions options, Router router, ServerContext context)
        : state(std::make_shared<ServerState>()),
          default_grace(options.limits.shutdown_grace),
          contexts(std::make_unique<IoContexts>(options.threads != 0 ? options.threads : cores())),
          workers(std::make_unique<net::thread_pool>(
              options.worker_threads != 0 ? options.worker_threads
                                          : ServerOptions::kDefaultWorkersPerCore * cores())),
          control(std::make_unique<net::thread_pool>(kControlThreads)),
          lifecycle(net::make_strand((*contexts)[0])),
          shutdown_timer(lifecycle) {
        for (std::size_t i = 0; i < contexts->size(); ++i)
            keep_running.push_back(net::make_work_guard((*contexts)[i]));
        ServerState& s = *state;
        s.workers = workers.get();
        s.control = control.get();
        s.limits = options.limits;
        s.clients = std::move(context.clients);
        s.sessions = std::move(context.sessions);
        s.metrics =
            context.metrics ? std::move(context.metrics) : std::make_shared<MetricsRegistry>();
        s.log = context.log ? std::move(context.log)
                            : std::make_shared<Logger>(LogDestination::standard_error());
        s.access_log = std::move(context.access_log);

        const std::size_t healthz = add_builtin_routes(router, options, std::move(context));
        s.router = std::move(router);
        for (std::size_t i = 0; i < s.router.routes().size(); ++i) {
            s.placement.push_back(i == healthz                             ? Placement::control
                                  : s.router.routes()[i].runs_on_io_thread ? Placement::io_thread
                                                                           : Placement::workers);
        }
        register_metrics();

        if (options.https.enabled) {
            SslCtxPtr ctx = make_server_tls_context(options.tls);
            s.tls.emplace(ctx.release());  // asio's context takes the SSL_CTX over
        }
        options.tls.private_key.reset();  // the SSL_CTX holds its own reference

        if (options.http.enabled) {
            http_listener =
                std::make_shared<Listener>(state, *contexts, ListenerKind::http, options.http);
        }
        if (options.https.enabled) {
            https_listener =
                std::make_shared<Listener>(state, *contexts, ListenerKind::https, options.https);
        }
    }

    // /healthz and /metrics answer while every worker is busy: /metrics renders in memory on
    // the I/O thread, /healthz runs on the control pool, its checks on the HealthMonitor's
    // threads, each bounded by the deadline. Returns the /healthz route's index (or SIZE_MAX).
    std::size_t add_builtin_routes(Router& router, const ServerOptions& options,
                                   ServerContext context) {
        std::size_t healthz_index = std::numeric_limits<std::size_t>::max();
        if (!options.healthz_listeners.empty()) {
            Route healthz;
            healthz.path = "/healthz";
            healthz.listeners = options.healthz_listeners;
            health_monitor = std::make_shared<HealthMonitor>(std::move(context.health_checks),
                                                             options.health_check_deadline);
            healthz.handler = [monitor = health_monitor](const Request&) {
                return monitor->respond();
            };
            healthz_index = router.routes().size();
            router.add(std::move(healthz));
        }
        if (!options.metrics_listeners.empty()) {
            Route metrics;
            metrics.path = "/metrics";
            metrics.listeners = options.metrics_listeners;
            metrics.scope = options.metrics_scope;
            metrics.runs_on_io_thread = true;
            metrics.handler = [registry = state->metrics](const Request&) {
                return Response::bytes(registry->render(),
                                       "text/plain; version=0.0.4; charset=utf-8");
            };
            router.add(std::move(metrics));
        }
        return healthz_index;
    }

    void register_metrics() {
        ServerState& s = *state;
        MetricsRegistry& registry = *s.metrics;
        auto& open = registry.gauge("signet_http_open_connections",
                                    "Connections open now, by listener", {"listener"});
        auto& rejected =
            registry.counter("signet_http_rejected_connections_total",
                             "Connections refused at max_connections, by listener", {"listener"});
        for (const ListenerKind kind : {ListenerKind::http, ListenerKind::https}) {
            s.open_gauge[ServerState::slot(kind)] = &open.with({to_string(kind)});
            s.rejected[ServerState::slot(kind)] = &rejected.with({to_string(kind)});
        }
        s.evicted =
            &registry
                 .counter("signet_http_evicted_connections_total",
                          "Idle connections closed at max_connections to admit a new one", {})
                 .with({});
        for (const Route& route : s.router.routes()) {
            s.route_stats.push_back(std::make_unique<RouteStats>(registry, route.path));
        }
        s.unmatched_stats = std::make_unique<RouteStats>(registry, std::string(kUnmatchedRoute));
        std::weak_ptr<Logger> log = s.log;
        std::weak_ptr<Logger> access = s.access_log;
        try {
            registry.callback("signet_log_dropped_lines_total",
                              "Log lines dropped because the writer fell behind",
                              MetricType::counter, {"log"}, [log, access] {
                                  std::vector<Sample> samples;
                                  if (auto l = log.lock()) {
                                      samples.push_back({{"server"}, double(l->dropped_lines())});
                                  }
                                  if (auto a = access.lock()) {
                                      samples.push_back({{"access"}, double(a->dropped_lines())});
                                  }
                                  return samples;
                              });
        } catch (const Error& e) {
            // A registry shared with an earlier Server keeps that server's callback.
            if (e.code() != Errc::already_exists)
                throw;
        }
    }

    static unsigned cores() { return std::max(1u, std::thread::hardware_concurrency()); }

    void run_loop(net::io_context& ioc) {
        for (;;) {
            try {
                ioc.run();
                return;
            } catch (const std::exception& e) {
                // A bug escaped a handler; the server keeps serving the other connections.
                state->log->error("unexpected exception in the event loop", {{"error", e.what()}});
            }
        }
    }

    void stop(std::chrono::milliseconds grace) {
        if (state->stopping.exchange(true, std::memory_order_acq_rel))
            return;
        net::post(lifecycle, [this, grace] {
            state->log->info("stopping", {{"grace_ms", static_cast<std::int64_t>(grace.count())},
                                          {"open_connections", state->open_connections.load()}});
            if (http_listener)
                http_listener->close();
            if (https_listener)
                https_listener->close();
            if (signals) {
                error_code ignored;
                signals->cancel(ignored);
            }
            for (const auto& connection : state->live_connections())
                connection->shutdown_gracefully();
            deadline = SteadyClock::now() + grace;
            watch_shutdown();
        });
    }

    // Polls (on the lifecycle strand) until every connection is gone. At the deadline, closes
    // what is left; a connection whose handler does not return cannot go, so once only those
    // remain (or kCloseMargin later) the event loops stop, and run() abandons those requests.
    void watch_shutdown() {
        const std::size_t open = state->open_connections.load(std::memory_order_acquire);
        if (open == 0) {
            for (auto& guard : keep_running)
                guard.reset();
            return;
        }
        const auto now = SteadyClock::now();
        if (now >= deadline && !forced) {
            forced = true;
            const auto live = state->live_connections();
            state->log->warn("shutdown grace expired; closing connections",
                             {{"connections", live.size()}});
            for (const auto& connection : live)
                connection->close_now();
        } else if (forced && (open <= state->handlers_running.load(std::memory_order_acquire) ||
                              now >= deadline + kCloseMargin)) {
            for (std::size_t i = 0; i < contexts->size(); ++i)
                (*contexts)[i].stop();
            return;
        }
        shutdown_timer.expires_after(std::chrono::milliseconds(10));
        shutdown_timer.async_wait([this](error_code ec) {
            if (!ec)
                watch_shutdown();
        });
    }

    // After the loops: join the pools, unless a handler is still running (stuck past the
    // grace), in which case the pools and the loops its response would be posted to are kept
    // for the process's lifetime and the handler is left to its thread.
    void release_pools() {
        const std::size_t stuck = state->handlers_running.load(std::memory_order_acquire);
        abandoned = stuck;
        // A health check still running (past its own deadline: it hangs inside the HSM module or
        // libpq) uses the token and the database the caller would close after run() returns:
        // counted as abandoned, so the caller does not close them under it.
        if (health_monitor && !health_monitor->wait_until_idle()) {
            state->log->error("a health check did not return by the end of the shutdown; "
                              "abandoning it",
                              {});
            ++abandoned;
        }
        if (stuck == 0) {
            workers->join();
            control->join();
            return;
        }
        state->log->error(
            "handlers did not return by the end of the shutdown grace; "
            "abandoning their requests",
            {{"handlers", stuck}});
        keep_running.clear();
        keep_until_exit(std::move(workers));
        keep_until_exit(std::move(control));
        keep_until_exit(std::move(contexts));
    }
};

Server::Server(ServerOptions options, Router router, ServerContext context)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router), std::move(context))) {}

Server::~Server() {
    if (impl_)
        impl_->state->log->flush();
}

std::uint16_t Server::http_port() const noexcept {
    return impl_->http_listener ? impl_->http_listener->port() : 0;
}

std::uint16_t Server::https_port() const noexcept {
    return impl_->https_listener ? impl_->https_listener->port() : 0;
}

MetricsRegistry& Server::metrics() noexcept {
    return *impl_->state->metrics;
}

void Server::run() {
    Impl& impl = *impl_;
    if (impl.started)
        throw Error(Errc::failed_precondition, "Server::run called twice");
    impl.started = true;
    for (const auto& listener : {impl.http_listener, impl.https_listener}) {
        if (!listener)
            continue;
        listener->start();
        impl.state->log->info(
            "listening", {{"listener", to_string(listener->kind())}, {"port", listener->port()}});
    }
    IoContexts& contexts = *impl.contexts;
    std::vector<std::thread> loops;
    loops.reserve(contexts.size() - 1);
    for (std::size_t i = 1; i < contexts.size(); ++i)
        loops.emplace_back([&impl, &contexts, i] { impl.run_loop(contexts[i]); });
    impl.run_loop(contexts[0]);
    for (auto& thread : loops)
        thread.join();
    impl.release_pools();
    impl.state->log->info("stopped");
    impl.state->log->flush();
    if (impl.state->access_log)
        impl.state->access_log->flush();
}

std::size_t Server::abandoned_requests() const noexcept {
    return impl_->abandoned;
}

void Server::stop(std::chrono::milliseconds grace) {
    impl_->stop(grace);
}

void Server::stop() {
    impl_->stop(impl_->default_grace);
}

void Server::stop_on_signals(std::initializer_list<int> signals) {
    Impl& impl = *impl_;
    impl.signals.emplace(impl.lifecycle);
    for (const int signal : signals)
        impl.signals->add(signal);
    impl.signals->async_wait([&impl](error_code ec, int signal) {
        if (ec)
            return;
        impl.state->log->info("signal received", {{"signal", signal}});
        impl.stop(impl.default_grace);
    });
}

}  // namespace signet::api
