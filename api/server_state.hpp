#pragma once

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "api/route_stats.hpp"
#include "api/router.hpp"
#include "api/server.hpp"

// What the listeners, the connections and the server share. Internal to api/.
namespace signet::api::detail {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

// Each I/O thread runs its own io_context; the concrete executor type (rather than Asio's
// type-erased any_io_executor) keeps the per-operation dispatch cheap.
using IoExecutor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, IoExecutor>;
using Acceptor = net::basic_socket_acceptor<tcp, IoExecutor>;
using TcpStream = beast::basic_stream<tcp, IoExecutor>;

// Where a route's handler runs.
enum class Placement : std::uint8_t {
    workers,    // the worker pool: a handler that may wait (the database, the HSM)
    io_thread,  // in place, on the connection's I/O thread: waits for nothing (/livez, /metrics)
    control,    // the server's own small pool (/healthz): answers while every worker is busy
};

// The type-erased face of a connection, for shutdown and for admission at max_connections.
class Connection {
  public:
    virtual ~Connection() = default;
    // Both may be called from any thread; they post to the connection's I/O thread.
    virtual void shutdown_gracefully() = 0;
    virtual void close_now() = 0;

    // When the connection has been waiting for a request since (its accept, or its last
    // response), or nullopt while a request is being read, handled or answered.
    std::optional<SteadyClock::time_point> idle_since() const noexcept;
    // Claims an idle connection for closing, atomically with its own thread starting to read
    // a request: true when it was still idle (and will be closed), false when it no longer is.
    bool claim_for_eviction() noexcept;

  protected:
    // On the connection's own thread. mark_busy is false when the connection was claimed.
    void mark_idle() noexcept;
    bool mark_busy() noexcept;
    bool claimed() const noexcept;

  private:
    enum : std::uint8_t { kBusy, kIdle, kClaimed };
    std::atomic<std::uint8_t> standing_{kIdle};
    std::atomic<SteadyClock::rep> idle_since_{SteadyClock::now().time_since_epoch().count()};
};

// The I/O threads' event loops, one per thread. Each is told it has one thread (concurrency
// hint 1), which spares Asio's scheduler most of its locking; other threads may still post to it.
class IoContexts {
  public:
    explicit IoContexts(unsigned count);

    std::size_t size() const noexcept { return contexts_.size(); }
    net::io_context& operator[](std::size_t i) { return *contexts_[i]; }

    // New connections are dealt to the loops in turn.
    IoExecutor next_executor();

  private:
    std::vector<std::unique_ptr<net::io_context>> contexts_;
    std::atomic<std::size_t> next_{0};
};

struct ServerState {
    LimitOptions limits;
    Router router;
    std::shared_ptr<const ClientDirectory> clients;
    std::shared_ptr<const SessionCredentials> sessions;
    std::shared_ptr<MetricsRegistry> metrics;
    std::shared_ptr<Logger> log;
    std::shared_ptr<Logger> access_log;
    std::optional<ssl::context> tls;
    net::thread_pool* workers = nullptr;  // Server::Impl owns both pools
    net::thread_pool* control = nullptr;

    std::vector<Placement> placement;                      // by route index
    std::vector<std::unique_ptr<RouteStats>> route_stats;  // by route index
    std::unique_ptr<RouteStats> unmatched_stats;

    std::atomic<std::size_t> open_connections{0};
    std::atomic<std::size_t> handlers_running{0};  // on the worker and control pools
    std::atomic<bool> stopping{false};
    std::array<Gauge*, 2> open_gauge{};
    std::array<Counter*, 2> rejected{};
    Counter* evicted = nullptr;

    std::mutex connections_mutex;  // taken per connection, never per request
    std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;

    static std::size_t slot(ListenerKind kind) { return kind == ListenerKind::http ? 0 : 1; }

    void add_connection(const std::shared_ptr<Connection>& connection);
    void remove_connection(Connection* connection);
    std::vector<std::shared_ptr<Connection>> live_connections();

    // At max_connections: closes the connection idle the longest (one that has sent nothing
    // yet, or a kept-alive one between requests), so that a new client is served rather than
    // turned away by connections doing nothing. False when every connection is busy.
    bool evict_oldest_idle();
};

// Holds one of the max_connections slots; given back when the connection object goes.
class ConnectionSlot {
  public:
    ConnectionSlot(std::shared_ptr<ServerState> state, ListenerKind kind);
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    ~ConnectionSlot();

  private:
    std::shared_ptr<ServerState> state_;
    ListenerKind kind_;
};

}  // namespace signet::api::detail
