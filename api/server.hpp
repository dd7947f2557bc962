#pragma once

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "api/auth.hpp"
#include "api/health.hpp"
#include "api/http.hpp"
#include "api/router.hpp"
#include "api/session_credentials.hpp"
#include "api/tls.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

namespace signet::api {

struct ListenerOptions {
    bool enabled = false;
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: an ephemeral port (see Server::http_port())
};

struct LimitOptions {
    std::size_t max_header_bytes = 8 * 1024;   // beyond: 431 (chunk extensions and trailer
                                               // fields count against it too)
    std::size_t max_body_bytes = 1024 * 1024;  // default per route; beyond: 413
    // For a request's head to be complete: from its first byte, or for a connection's first
    // request from the accept (the TLS handshake included). Beyond: closed without an answer.
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds read_timeout{10'000};  // to receive one whole request from its
                                                     // first byte (beyond, with the head
                                                     // received: 408), or to send one response
    std::chrono::milliseconds idle_timeout{60'000};  // between requests on a kept-alive
                                                     // connection
    // Open at once, both listeners. Beyond, the connection idle the longest (one that has sent
    // nothing yet, or a kept-alive one between requests) is closed to make room; when none is
    // idle, 503 and close on HTTP, close on HTTPS.
    std::size_t max_connections = 1024;
    std::chrono::milliseconds shutdown_grace{10'000};  // for in-flight requests on stop()
};

// Everything the HTTP shell needs, as plain values; signetd maps signet.yaml onto it.
struct ServerOptions {
    ListenerOptions http{};
    ListenerOptions https{};
    TlsOptions tls{};  // used when https.enabled
    LimitOptions limits{};
    unsigned threads = 0;         // I/O threads; 0: one per core
    unsigned worker_threads = 0;  // for handlers that wait (Route::runs_on_io_thread false);
                                  // 0: kDefaultWorkersPerCore per core
    static constexpr unsigned kDefaultWorkersPerCore = 16;

    // Where the server's own routes are served (DESIGN.md: HTTPS), and the scope /metrics
    // needs (empty: anonymous; a scope requires HTTPS only).
    ListenerSet healthz_listeners = ListenerSet::https_only();
    ListenerSet metrics_listeners = ListenerSet::https_only();
    std::string metrics_scope{};
    // How long /healthz waits for each check (they run in parallel); one that has not answered
    // by then is reported down.
    std::chrono::milliseconds health_check_deadline{2'000};
};

// What the server works with besides its options. Loggers may be the same object.
struct ServerContext {
    std::shared_ptr<const ClientDirectory> clients{};  // nullptr: nobody authenticates
    std::shared_ptr<MetricsRegistry> metrics{};        // nullptr: a private registry
    std::shared_ptr<Logger> log{};                     // server events; nullptr: stderr
    std::shared_ptr<Logger> access_log{};              // one line per request; nullptr: none
    std::vector<HealthCheck> health_checks{};
    // Browser sessions accepted on scoped routes (the operator console); nullptr: none.
    std::shared_ptr<const SessionCredentials> sessions{};
};

// The HTTP/1.1 server (after Beast's advanced server-flex): a plain-HTTP and an HTTPS listener,
// keep-alive and pipelining (requests on a connection are answered in order, one at a time).
//
// Threads: `threads` I/O threads, each running its own event loop (io_context) and owning the
// connections accepted onto it, so a connection's steps never need a lock or a strand and
// never move between cores. Handlers run on a separate pool of `worker_threads`, where they
// may block, and the response goes back to the connection's I/O thread; only routes marked
// runs_on_io_thread run in place. Size worker_threads for the requests that wait at once.
//
// Lifecycle: the constructor binds the listeners (Errc::io if an address is taken);
// run() serves until stop(), from the calling thread plus threads-1 more; stop() may be
// called from any thread, once or more. run() returns within the grace (plus half a second)
// even when a handler never returns: such a request is abandoned (logged with its request id)
// and its thread left running; every other handler has returned by then.
class Server {
  public:
    Server(ServerOptions options, Router router, ServerContext context);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server();

    // The bound ports (useful with port 0); 0 for a disabled listener.
    std::uint16_t http_port() const noexcept;
    std::uint16_t https_port() const noexcept;

    // Serves until stopped. Call once.
    void run();

    // After run(): how many requests it abandoned, their handlers still running (stuck past the
    // shutdown grace), counting a /healthz check still running then as one. Not 0: those
    // handlers still use whatever they were given (pools, the token, the database), so the
    // caller must not tear those down; signetd exits at once.
    std::size_t abandoned_requests() const noexcept;

    // Graceful shutdown: stop accepting; close idle connections; let requests in flight finish
    // (their response says Connection: close) for up to `grace`, then close what is left.
    // run() returns once every connection is gone, or only those stuck in a handler remain.
    void stop(std::chrono::milliseconds grace);
    void stop();  // with limits.shutdown_grace

    // SIGTERM/SIGINT (or the given signals) call stop(). Call before run().
    void stop_on_signals(std::initializer_list<int> signals = {SIGTERM, SIGINT});

    MetricsRegistry& metrics() noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace signet::api
