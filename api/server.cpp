#include "api/server.hpp"

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include "api/problem.hpp"
#include "common/error.hpp"

namespace signet::api {

namespace {

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
using TlsStream = beast::ssl_stream<TcpStream>;

constexpr std::size_t kReadChunk = 16 * 1024;
// How long a closing connection waits for the client to go (close_notify, or the rest of a
// request body it is still sending) before the socket is closed anyway.
constexpr std::chrono::milliseconds kLingerLimit{2'000};
constexpr std::string_view kUnmatchedRoute = "(none)";

// ---------------------------------------------------------------------------------------------
// Small per-thread helpers for the hot path: no locks, no allocation.

// A random (version 4) UUID, from a per-thread xoshiro256** seeded by the OpenSSL DRBG. It only
// has to be unique, not secret: it names a request in logs and problem documents.
class RequestIdGenerator {
  public:
    RequestIdGenerator() {
        if (RAND_bytes(reinterpret_cast<unsigned char*>(state_.data()),
                       static_cast<int>(sizeof state_)) != 1) {
            clear_openssl_errors();
            std::random_device device;
            for (auto& word : state_)
                word = (std::uint64_t{device()} << 32) | device();
        }
        if (state_[0] == 0 && state_[1] == 0 && state_[2] == 0 && state_[3] == 0)
            state_[0] = 1;
    }

    void next(std::array<char, 36>& out) {
        std::array<std::uint8_t, 16> bytes;
        const std::uint64_t a = step();
        const std::uint64_t b = step();
        for (int i = 0; i < 8; ++i) {
            bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(a >> (8 * i));
            bytes[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(b >> (8 * i));
        }
        bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // RFC 9562 §5.4
        bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);
        static constexpr char kHex[] = "0123456789abcdef";
        std::size_t o = 0;
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            if (i == 4 || i == 6 || i == 8 || i == 10)
                out[o++] = '-';
            out[o++] = kHex[bytes[i] >> 4];
            out[o++] = kHex[bytes[i] & 0x0F];
        }
    }

  private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t step() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }
    std::array<std::uint64_t, 4> state_{};
};

void new_request_id(std::array<char, 36>& out) {
    thread_local RequestIdGenerator generator;
    generator.next(out);
}

// The Date header (RFC 9110 §6.6.1, IMF-fixdate), formatted once per second per thread.
std::string_view http_date() {
    struct Cache {
        std::time_t second = -1;
        char text[32] = {};
        std::size_t size = 0;
    };
    thread_local Cache cache;
    const std::time_t now = std::time(nullptr);
    if (now != cache.second) {
        static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        std::tm tm{};
        gmtime_r(&now, &tm);
        const int n =
            std::snprintf(cache.text, sizeof cache.text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                          kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12],
                          tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cache.size = n > 0 ? static_cast<std::size_t>(n) : 0;
        cache.second = now;
    }
    return {cache.text, cache.size};
}

void append_decimal(std::string& out, std::uint64_t value) {
    char text[24];
    const auto result = std::to_chars(text, text + sizeof text, value);
    out.append(text, result.ptr);
}

bool is_token_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
    return beast::iequals(a, b);
}

// Fields the server owns; a handler setting one is a bug.
bool is_reserved_field(std::string_view name) {
    return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
           iequals(name, "connection") || iequals(name, "date") || iequals(name, "x-request-id");
}

bool valid_extra_headers(const Response& response) {
    for (const auto& [name, value] : response.headers) {
        if (name.empty() || is_reserved_field(name) ||
            !std::all_of(name.begin(), name.end(), is_token_char)) {
            return false;
        }
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
            return false;
    }
    if (response.content_type.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        return false;
    }
    return true;
}

// RFC 9110 §15: 1xx, 204 and 304 carry no content.
bool status_has_body(http::status status) {
    const unsigned code = static_cast<unsigned>(status);
    return code >= 200 && code != 204 && code != 304;
}

// RFC 3986 §5.2.4 dot segments: a target naming "." or ".." is refused rather than interpreted,
// so that the path a route matches is the path its handler sees.
bool has_dot_segment(std::string_view path) {
    std::size_t start = 0;
    while (start < path.size()) {
        std::size_t end = path.find('/', start + 1);
        if (end == std::string_view::npos)
            end = path.size();
        const std::string_view segment = path.substr(start + 1, end - start - 1);
        if (segment == "." || segment == "..")
            return true;
        start = end;
    }
    return false;
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    text += ':';
    text += std::to_string(endpoint.port());
    return text;
}

// ---------------------------------------------------------------------------------------------
// State shared by the listeners and the connections; it outlives both.

// Per route: the latency histogram and, per status code, the request counter, looked up once
// and then kept (the family lookup takes a mutex, the counter itself does not).
class RouteStats {
  public:
    RouteStats(MetricsRegistry& registry, std::string label)
        : label_(std::move(label)),
          requests_(registry.counter("signet_http_requests_total",
                                     "HTTP requests answered, by route pattern and status",
                                     {"route", "status"})),
          latency_(registry
                       .histogram("signet_http_request_duration_seconds",
                                  "Time from a request's first byte to its response's last, "
                                  "by route pattern",
                                  {"route"}, MetricsRegistry::default_latency_buckets())
                       .with({label_})) {}

    void record(unsigned status, double seconds) {
        latency_.observe(seconds);
        const std::size_t slot = (status >= 100 && status <= 599) ? status - 100 : 499;
        Counter* counter = by_status_[slot].load(std::memory_order_acquire);
        if (counter == nullptr) {
            counter = &requests_.with({label_, std::to_string(status)});
            by_status_[slot].store(counter, std::memory_order_release);
        }
        counter->inc();
    }

    const std::string& label() const noexcept { return label_; }

  private:
    std::string label_;
    Family<Counter>& requests_;
    Histogram& latency_;
    std::array<std::atomic<Counter*>, 500> by_status_{};
};

class Connection;

struct ServerState {
    LimitOptions limits;
    Router router;
    std::shared_ptr<const ClientDirectory> clients;
    std::shared_ptr<MetricsRegistry> metrics;
    std::shared_ptr<Logger> log;
    std::shared_ptr<Logger> access_log;
    std::optional<ssl::context> tls;
    net::thread_pool* workers = nullptr;  // where handlers run (Server::Impl owns it)

    std::vector<std::unique_ptr<RouteStats>> route_stats;  // by route index
    std::unique_ptr<RouteStats> unmatched_stats;

    std::atomic<std::size_t> open_connections{0};
    std::atomic<bool> stopping{false};
    std::array<Gauge*, 2> open_gauge{};
    std::array<Counter*, 2> rejected{};

    std::mutex connections_mutex;  // taken per connection, never per request
    std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;

    static std::size_t slot(ListenerKind kind) { return kind == ListenerKind::http ? 0 : 1; }

    std::vector<std::shared_ptr<Connection>> live_connections() {
        std::vector<std::shared_ptr<Connection>> live;
        std::lock_guard lock(connections_mutex);
        live.reserve(connections.size());
        for (const auto& [raw, weak] : connections) {
            if (auto connection = weak.lock())
                live.push_back(std::move(connection));
        }
        return live;
    }
};

// The type-erased face of a connection, for shutdown.
class Connection {
  public:
    virtual ~Connection() = default;
    // Both may be called from any thread; they post to the connection's strand.
    virtual void shutdown_gracefully() = 0;
    virtual void close_now() = 0;
};

// Holds one of the max_connections slots; given back when the connection object goes.
class ConnectionSlot {
  public:
    ConnectionSlot(std::shared_ptr<ServerState> state, ListenerKind kind)
        : state_(std::move(state)), kind_(kind) {
        state_->open_gauge[ServerState::slot(kind_)]->inc();
    }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    ~ConnectionSlot() {
        state_->open_gauge[ServerState::slot(kind_)]->dec();
        state_->open_connections.fetch_sub(1, std::memory_order_acq_rel);
    }

  private:
    std::shared_ptr<ServerState> state_;
    ListenerKind kind_;
};

// ---------------------------------------------------------------------------------------------
// A connection: read a request, answer it, repeat (after Beast's advanced server-flex). Every
// member runs on the connection's strand. CRTP over the stream: plain or TLS.

template <class Derived>
class Session : public Connection {
  public:
    void shutdown_gracefully() override {
        net::post(derived().stream().get_executor(),
                  [self = derived().shared_from_this()] { self->on_shutdown_request(); });
    }

    void close_now() override {
        net::post(derived().stream().get_executor(), [self = derived().shared_from_this()] {
            self->phase_ = Phase::closing;
            self->lowest().close();
        });
    }

    ~Session() override {
        std::lock_guard lock(state_->connections_mutex);
        state_->connections.erase(this);
    }

  protected:
    enum class Phase : std::uint8_t { handshake, idle, reading, handling, writing, closing };

    Session(std::shared_ptr<ServerState> state, ListenerKind kind, std::string remote)
        : state_(std::move(state)), slot_(state_, kind), kind_(kind), remote_(std::move(remote)) {}

    Derived& derived() { return static_cast<Derived&>(*this); }
    TcpStream& lowest() { return beast::get_lowest_layer(derived().stream()); }

    // A completion handler calling member f, keeping the connection alive until it runs. Every
    // completion runs on the connection's own I/O thread (its io_context has one thread), so
    // the members need no lock.
    template <class F>
    auto bind_self(F&& f) {
        return [self = derived().shared_from_this(), f = std::forward<F>(f)](auto&&... args) {
            (self.get()->*f)(std::forward<decltype(args)>(args)...);
        };
    }

    void on_shutdown_request() {
        // A connection between requests goes now; one with a request in flight finishes it
        // (the response says Connection: close, because state_->stopping is set).
        if (phase_ == Phase::idle || phase_ == Phase::handshake) {
            phase_ = Phase::closing;
            lowest().close();
        }
    }

    void wait_for_request() {
        if (state_->stopping.load(std::memory_order_acquire)) {
            return close_gracefully();
        }
        if (buffer_.size() > 0) {
            return read_header();  // pipelined: the next request is already here
        }
        phase_ = Phase::idle;
        lowest().expires_after(state_->limits.idle_timeout);
        derived().stream().async_read_some(buffer_.prepare(kReadChunk),
                                           bind_self(&Session::on_first_bytes));
    }

    void on_first_bytes(error_code ec, std::size_t bytes) {
        if (ec)
            return close_quietly();  // the client left, idled out, or we are stopping
        buffer_.commit(bytes);
        read_header();
    }

    void read_header() {
        phase_ = Phase::reading;
        started_ = SteadyClock::now();
        new_request_id(request_id_);
        match_ = Router::Match{};
        client_.reset();
        head_from_get_ = false;
        // The whole request, header and body, must arrive within read_timeout of its first
        // byte: a client sending a byte a second cannot hold the connection.
        lowest().expires_after(state_->limits.read_timeout);
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
            state_->limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
        // The body limit depends on the route, known only after the header; Beast checks a
        // Content-Length against the limit set while the header is parsed, so none is set here
        // and the route's limit is applied in on_header.
        parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
        http::async_read_header(derived().stream(), buffer_, *parser_,
                                bind_self(&Session::on_header));
    }

    void on_header(error_code ec, std::size_t) {
        if (ec)
            return on_read_error(ec);
        const auto& request = parser_->get();
        const std::string_view target = request.target();
        if (target.empty() || target.front() != '/') {
            return send_problem(problems::malformed_request,
                                "the request-target must be a path (origin-form)", true);
        }
        const std::size_t question = target.find('?');
        path_ = target.substr(0, question);
        query_ =
            question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
        if (has_dot_segment(path_)) {
            return send_problem(problems::malformed_request,
                                "the path must not contain '.' or '..' segments", true);
        }
        if (request.version() >= 11 && request.find(http::field::host) == request.end()) {
            return send_problem(problems::malformed_request,
                                "an HTTP/1.1 request needs a Host header", true);
        }

        match_ = state_->router.match(request.method(), path_, kind_);
        if (match_.outcome != Router::Outcome::found) {
            // Answered without reading a body; a connection with an unread body is closed.
            return handle();
        }
        head_from_get_ = match_.head_from_get;
        const std::size_t limit =
            match_.route->max_body_bytes.value_or(state_->limits.max_body_bytes);
        if (const auto length = parser_->content_length(); length && *length > limit) {
            return send_problem(
                problems::body_too_large,
                "the body exceeds this route's limit of " + std::to_string(limit) + " bytes", true);
        }
        parser_->body_limit(limit);  // for chunked bodies
        if (parser_->is_done())
            return handle();

        if (iequals(request[http::field::expect], "100-continue")) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            return net::async_write(derived().stream(),
                                    net::buffer(kContinue.data(), kContinue.size()),
                                    bind_self(&Session::on_continue_sent));
        }
        read_body();
    }

    void on_continue_sent(error_code ec, std::size_t) {
        if (ec)
            return close_quietly();
        read_body();
    }

    void read_body() {
        http::async_read(derived().stream(), buffer_, *parser_, bind_self(&Session::on_body));
    }

    void on_body(error_code ec, std::size_t) {
        if (ec)
            return on_read_error(ec);
        handle();
    }

    void on_read_error(error_code ec) {
        if (ec == http::error::header_limit) {
            return send_problem(problems::header_too_large,
                                "the request header exceeds " +
                                    std::to_string(state_->limits.max_header_bytes) + " bytes",
                                true);
        }
        if (ec == http::error::body_limit) {
            const std::size_t limit =
                match_.route != nullptr
                    ? match_.route->max_body_bytes.value_or(state_->limits.max_body_bytes)
                    : state_->limits.max_body_bytes;
            return send_problem(
                problems::body_too_large,
                "the body exceeds this route's limit of " + std::to_string(limit) + " bytes", true);
        }
        if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
            ec != http::error::end_of_stream && ec != http::error::partial_message) {
            // bad method, target, version, field, chunk, Content-Length...
            return send_problem(problems::malformed_request,
                                "the request is not valid HTTP/1.1: " + ec.message(), true);
        }
        // Timeout (a slow client), a reset, or the client closing mid-request: nobody to answer.
        if (ec == beast::error::timeout) {
            state_->log->debug("connection timed out while reading a request",
                               {{"remote", remote_}, {"listener", to_string(kind_)}});
        }
        close_quietly();
    }

    // Authenticates (when credentials come with the request), checks the route's scope, runs
    // the handler, and turns whatever it throws into a problem document.
    void handle() {
        phase_ = Phase::handling;
        const auto& request = parser_->get();
        const bool body_unread = !parser_->is_done();
        switch (match_.outcome) {
            case Router::Outcome::not_found:
                return send_problem(problems::no_such_route, "no route matches this path",
                                    body_unread);
            case Router::Outcome::not_on_this_listener:
                return send_problem(problems::no_such_route,
                                    kind_ == ListenerKind::http
                                        ? "this path is served over HTTPS only"
                                        : "this path is served over plain HTTP only",
                                    body_unread);
            case Router::Outcome::method_not_allowed: {
                Response response =
                    problem_response(problems::method_not_allowed,
                                     "this path does not take this method", request_id());
                response.headers.emplace_back("Allow", std::string(match_.allow));
                return send(std::move(response), body_unread);
            }
            case Router::Outcome::found:
                break;
        }

        const Route& route = *match_.route;
        const bool presented = authenticate(request);
        if (!route.scope.empty()) {
            if (!client_) {
                Response response = problem_response(
                    problems::unauthenticated,
                    presented ? "the credentials presented are not recognised"
                              : "this route needs a client certificate or a bearer token",
                    request_id());
                response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"signet\"");
                return send(std::move(response), false);
            }
            if (!client_->has_scope(route.scope)) {
                return send_problem(
                    problems::permission_denied,
                    "client '" + client_->name + "' lacks the scope '" + route.scope + "'", false);
            }
        }

        const Request view{
            request.method(),
            request.method_string(),
            request.target(),
            path_,
            query_,
            request,
            request.body(),
            client_.get(),
            request_id(),
            remote_,
            kind_,
            route.path,
        };
        if (route.runs_on_io_thread)
            return finish(route, call_handler(route, view));
        // On the worker pool. Until the response comes back, the connection starts no other
        // operation, so the parser, client and request id the view points into stay as they are.
        net::post(*state_->workers, [self = derived().shared_from_this(), &route, view,
                                     io = lowest().get_executor()] {
            Response response = self->call_handler(route, view);
            net::post(io, [self, &route, response = std::move(response)]() mutable {
                self->finish(route, std::move(response));
            });
        });
    }

    // Runs the handler; whatever it throws becomes a problem document. Runs on an I/O thread or
    // a worker and touches no connection state.
    Response call_handler(const Route& route, const Request& view) const {
        Response response;
        try {
            response = route.handler(view);
        } catch (const Error& e) {
            response = problem_response(e, request_id());
            if (response.status == http::status::internal_server_error) {
                log_handler_failure(route, to_string(e.code()), e.what());
            }
        } catch (const std::exception& e) {
            log_handler_failure(route, "exception", e.what());
            response = problem_response(Error(Errc::internal, e.what()), request_id());
        } catch (...) {
            log_handler_failure(route, "exception", "unknown exception");
            response = problem_response(Error(Errc::internal, "unknown"), request_id());
        }
        return response;
    }

    void finish(const Route& route, Response response) {
        if (!valid_extra_headers(response)) {
            log_handler_failure(route, "internal",
                                "the handler set an invalid or reserved header field");
            response = problem_response(Error(Errc::internal, "bad header"), request_id());
        }
        send(std::move(response), false);
    }

    // Bearer token (Authorization, HTTPS only) first, else the client certificate. Returns
    // whether any credential came with the request.
    bool authenticate(const http::request<http::string_body>& request) {
        const auto authorization = request.find(http::field::authorization);
        if (authorization != request.end()) {
            const std::string_view value = authorization->value();
            // RFC 9110 §11.1: the scheme is case-insensitive; RFC 6750 §2.1: "Bearer" SP token.
            if (kind_ == ListenerKind::https && state_->clients && value.size() > 7 &&
                iequals(value.substr(0, 7), "bearer ")) {
                std::string_view token = value.substr(7);
                while (!token.empty() && token.front() == ' ')
                    token.remove_prefix(1);
                while (!token.empty() && token.back() == ' ')
                    token.remove_suffix(1);
                if (!token.empty())
                    client_ = state_->clients->find_by_token(sha256_of(token));
            }
            return true;
        }
        if (peer_certificate_ && state_->clients) {
            client_ = state_->clients->find_by_certificate(*peer_certificate_);
            return true;
        }
        return peer_certificate_.has_value();
    }

    void log_handler_failure(const Route& route, std::string_view code,
                             std::string_view what) const {
        state_->log->error("request failed", {{"request_id", request_id()},
                                              {"route", route.path},
                                              {"error", code},
                                              {"detail", what}});
    }

    void send_problem(const ProblemType& type, std::string_view detail, bool close) {
        send(problem_response(type, detail, request_id()), close);
    }

    void send(Response response, bool close) {
        phase_ = Phase::writing;
        const bool keep_alive = parser_ && parser_->is_header_done() && parser_->keep_alive();
        close_ = close || !keep_alive || state_->stopping.load(std::memory_order_acquire);
        status_ = static_cast<unsigned>(response.status);
        body_ = std::move(response.body);
        const bool has_body = status_has_body(response.status);
        if (!has_body)
            body_.clear();

        head_.clear();
        head_ += "HTTP/1.1 ";
        append_decimal(head_, status_);
        head_ += ' ';
        head_ += http::obsolete_reason(response.status);
        head_ += "\r\nDate: ";
        head_ += http_date();
        if (!response.content_type.empty()) {
            head_ += "\r\nContent-Type: ";
            head_ += response.content_type;
        }
        if (has_body) {
            head_ += "\r\nContent-Length: ";
            append_decimal(head_, body_.size());
        }
        head_ += "\r\nX-Request-Id: ";
        head_ += request_id();
        for (const auto& [name, value] : response.headers) {
            head_ += "\r\n";
            head_ += name;
            head_ += ": ";
            head_ += value;
        }
        if (close_) {
            head_ += "\r\nConnection: close";
        } else if (parser_->get().version() < 11) {
            head_ += "\r\nConnection: keep-alive";
        }
        head_ += "\r\n\r\n";

        // A HEAD answered by the GET route: the GET's headers, no body (RFC 9110 §9.3.2).
        const bool omit_body = head_from_get_ || (parser_ && parser_->is_header_done() &&
                                                  parser_->get().method() == http::verb::head);
        body_bytes_ = omit_body ? 0 : body_.size();
        const std::array<net::const_buffer, 2> buffers{net::buffer(head_),
                                                       net::buffer(body_.data(), body_bytes_)};
        lowest().expires_after(state_->limits.read_timeout);
        net::async_write(derived().stream(), buffers, bind_self(&Session::on_write));
    }

    void on_write(error_code ec, std::size_t) {
        record_request();
        body_ = std::string();  // a large body is not kept while the connection idles
        if (ec)
            return close_quietly();
        if (close_)
            return close_gracefully();
        wait_for_request();
    }

    void record_request() {
        const double seconds = std::chrono::duration<double>(SteadyClock::now() - started_).count();
        RouteStats& stats = match_.outcome == Router::Outcome::found
                                ? *state_->route_stats[match_.route_index]
                                : *state_->unmatched_stats;
        stats.record(status_, seconds);
        Logger* access = state_->access_log.get();
        if (access == nullptr || !access->enabled(LogLevel::info))
            return;
        // Never the target (its query may carry secrets), headers or bodies: the route pattern
        // names what was called.
        const bool have_request = parser_ && parser_->is_header_done();
        const double latency_ms = std::round(seconds * 1e6) / 1e3;
        access->info(
            "request",
            {{"request_id", request_id()},
             {"remote", remote_},
             {"listener", to_string(kind_)},
             {"method", have_request ? std::string_view(parser_->get().method_string())
                                     : std::string_view("-")},
             {"route", match_.outcome == Router::Outcome::found
                           ? std::string_view(match_.route->path)
                           : kUnmatchedRoute},
             {"status", status_},
             {"bytes", body_bytes_},
             {"latency_ms", latency_ms},
             {"client", client_ ? std::string_view(client_->name) : std::string_view("-")}});
    }

    // Half-close, then wait (bounded) for the client to finish, so that a response the client
    // has not read yet is not destroyed by a reset (as with an unread request body).
    void close_gracefully() {
        phase_ = Phase::closing;
        lowest().expires_after(
            std::min<std::chrono::milliseconds>(kLingerLimit, state_->limits.read_timeout));
        derived().shutdown_transport();
    }

    void linger() {
        buffer_.clear();
        derived().stream().async_read_some(buffer_.prepare(kReadChunk),
                                           bind_self(&Session::on_linger));
    }

    void on_linger(error_code ec, std::size_t) {
        if (ec)
            return close_quietly();
        linger();
    }

    void close_quietly() {
        phase_ = Phase::closing;
        error_code ignored;
        lowest().socket().shutdown(Socket::shutdown_both, ignored);
        lowest().close();
    }

    std::string_view request_id() const { return {request_id_.data(), request_id_.size()}; }

    std::shared_ptr<ServerState> state_;
    ConnectionSlot slot_;
    ListenerKind kind_;
    std::string remote_;
    Phase phase_ = Phase::handshake;
    std::optional<Sha256Digest> peer_certificate_;  // a verified client certificate (HTTPS)

    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::array<char, 36> request_id_{};
    SteadyClock::time_point started_{};
    std::string_view path_;
    std::string_view query_;
    Router::Match match_;
    bool head_from_get_ = false;
    std::shared_ptr<const ApiClient> client_;

    std::string head_;  // the response header, reused across requests
    std::string body_;
    std::size_t body_bytes_ = 0;
    unsigned status_ = 0;
    bool close_ = false;
};

class PlainSession final : public Session<PlainSession>,
                           public std::enable_shared_from_this<PlainSession> {
  public:
    PlainSession(std::shared_ptr<ServerState> state, Socket&& socket, std::string remote)
        : Session(std::move(state), ListenerKind::http, std::move(remote)),
          stream_(std::move(socket)) {}

    TcpStream& stream() { return stream_; }

    void start() {
        net::dispatch(stream_.get_executor(),
                      [self = shared_from_this()] { self->wait_for_request(); });
    }

    void shutdown_transport() {
        error_code ignored;
        stream_.socket().shutdown(Socket::shutdown_send, ignored);
        linger();
    }

  private:
    friend class Session<PlainSession>;
    TcpStream stream_;
};

class TlsSession final : public Session<TlsSession>,
                         public std::enable_shared_from_this<TlsSession> {
  public:
    TlsSession(std::shared_ptr<ServerState> state, Socket&& socket, std::string remote)
        : Session(std::move(state), ListenerKind::https, std::move(remote)),
          stream_(std::move(socket), *state_->tls) {}

    TlsStream& stream() { return stream_; }

    void start() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            self->phase_ = Phase::handshake;
            self->lowest().expires_after(self->state_->limits.read_timeout);
            self->stream_.async_handshake(ssl::stream_base::server,
                                          [self](error_code ec) { self->on_handshake(ec); });
        });
    }

    void shutdown_transport() {
        // close_notify, then whatever the client does, the socket goes.
        stream_.async_shutdown([self = shared_from_this()](error_code) { self->close_quietly(); });
    }

  private:
    friend class Session<TlsSession>;

    void on_handshake(error_code ec) {
        if (ec) {
            // e.g. a client offering only TLS 1.1, or a certificate the client CA did not issue.
            state_->log->debug("TLS handshake failed",
                               {{"remote", remote_}, {"error", ec.message()}});
            return close_quietly();
        }
        SSL* ssl = stream_.native_handle();
        if (X509* certificate = SSL_get0_peer_certificate(ssl);
            certificate != nullptr && SSL_get_verify_result(ssl) == X509_V_OK) {
            try {
                peer_certificate_ = certificate_sha256(certificate);
            } catch (const Error&) {
                peer_certificate_.reset();
            }
        }
        wait_for_request();
    }

    TlsStream stream_;
};

// A connection beyond max_connections on plain HTTP gets a 503 problem and is closed; it holds
// no slot and reads no request.
class Rejection : public std::enable_shared_from_this<Rejection> {
  public:
    Rejection(Socket&& socket, std::string response)
        : stream_(std::move(socket)), response_(std::move(response)) {}

    void start() {
        stream_.expires_after(std::chrono::seconds(1));
        net::async_write(stream_, net::buffer(response_),
                         [self = shared_from_this()](error_code ec, std::size_t) {
                             if (ec)
                                 return self->stream_.close();
                             error_code ignored;
                             self->stream_.socket().shutdown(Socket::shutdown_send, ignored);
                             self->drain();
                         });
    }

  private:
    void drain() {
        stream_.async_read_some(net::buffer(scratch_),
                                [self = shared_from_this()](error_code ec, std::size_t) {
                                    if (ec)
                                        return self->stream_.close();
                                    self->drain();
                                });
    }

    TcpStream stream_;
    std::string response_;
    std::array<char, 1024> scratch_{};
};

// ---------------------------------------------------------------------------------------------

// The I/O threads' event loops, one per thread. Each is told it has one thread (concurrency hint
// 1), which spares Asio's scheduler most of its locking; other threads may still post to it.
class IoContexts {
  public:
    explicit IoContexts(unsigned count) {
        contexts_.reserve(count);
        for (unsigned i = 0; i < count; ++i)
            contexts_.push_back(std::make_unique<net::io_context>(1));
    }

    std::size_t size() const noexcept { return contexts_.size(); }
    net::io_context& operator[](std::size_t i) { return *contexts_[i]; }

    // New connections are dealt to the loops in turn.
    IoExecutor next_executor() {
        const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size();
        return contexts_[i]->get_executor();
    }

  private:
    std::vector<std::unique_ptr<net::io_context>> contexts_;
    std::atomic<std::size_t> next_{0};
};

class Listener : public std::enable_shared_from_this<Listener> {
  public:
    Listener(std::shared_ptr<ServerState> state, IoContexts& contexts, ListenerKind kind,
             const ListenerOptions& options)
        : state_(std::move(state)),
          contexts_(contexts),
          kind_(kind),
          acceptor_(contexts[0].get_executor()),
          retry_timer_(acceptor_.get_executor()) {
        error_code ec;
        const auto address = net::ip::make_address(options.address, ec);
        if (ec) {
            throw Error(Errc::invalid_argument, std::string(to_string(kind)) +
                                                    " listener: invalid address '" +
                                                    options.address + "'");
        }
        const tcp::endpoint endpoint(address, options.port);
        const std::string where =
            std::string(to_string(kind)) + " listener on " + endpoint_text(endpoint);
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec)
            acceptor_.set_option(net::socket_base::reuse_address(true), ec);
        if (!ec)
            acceptor_.bind(endpoint, ec);
        if (!ec)
            acceptor_.listen(net::socket_base::max_listen_connections, ec);
        if (ec)
            throw Error(Errc::io, "cannot open the " + where + ": " + ec.message());
        port_ = acceptor_.local_endpoint().port();
    }

    std::uint16_t port() const noexcept { return port_; }

    void start() {
        net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
    }

    void close() {
        net::post(acceptor_.get_executor(), [self = shared_from_this()] {
            error_code ignored;
            self->acceptor_.close(ignored);
            self->retry_timer_.cancel();
        });
    }

  private:
    void accept() {
        acceptor_.async_accept(contexts_.next_executor(),
                               [self = shared_from_this()](error_code ec, Socket socket) {
                                   self->on_accept(ec, std::move(socket));
                               });
    }

    void on_accept(error_code ec, Socket socket) {
        if (!acceptor_.is_open() || ec == net::error::operation_aborted)
            return;
        if (ec) {
            // Out of file descriptors, typically: back off instead of spinning.
            state_->log->warn("accept failed",
                              {{"listener", to_string(kind_)}, {"error", ec.message()}});
            retry_timer_.expires_after(std::chrono::milliseconds(100));
            retry_timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
                if (!wait_ec)
                    self->accept();
            });
            return;
        }
        admit(std::move(socket));
        accept();
    }

    void admit(Socket socket) {
        if (state_->stopping.load(std::memory_order_acquire))
            return;  // socket closes here
        const std::size_t before = state_->open_connections.fetch_add(1, std::memory_order_acq_rel);
        if (before >= state_->limits.max_connections) {
            state_->open_connections.fetch_sub(1, std::memory_order_acq_rel);
            return reject(std::move(socket));
        }
        error_code ec;
        socket.set_option(tcp::no_delay(true), ec);
        const auto peer = socket.remote_endpoint(ec);
        std::string remote = ec ? std::string("-") : endpoint_text(peer);
        try {
            if (kind_ == ListenerKind::http) {
                start(std::make_shared<PlainSession>(state_, std::move(socket), std::move(remote)));
            } else {
                start(std::make_shared<TlsSession>(state_, std::move(socket), std::move(remote)));
            }
        } catch (const std::exception& e) {
            // The session's ConnectionSlot gives the slot back if it was built; only an
            // allocation failure before it could leak one, which is not worth more code.
            state_->log->error("cannot start a connection", {{"error", e.what()}});
        }
    }

    template <class S>
    void start(std::shared_ptr<S> session) {
        {
            std::lock_guard lock(state_->connections_mutex);
            state_->connections.emplace(session.get(), session);
        }
        session->start();
    }

    void reject(Socket socket) {
        state_->rejected[ServerState::slot(kind_)]->inc();
        state_->log->debug("connection refused: too many connections",
                           {{"listener", to_string(kind_)}});
        if (kind_ == ListenerKind::https)
            return;  // no handshake spent on it: just closed
        std::array<char, 36> id{};
        new_request_id(id);
        const std::string body =
            problem_json(problems::overloaded, "the server has too many open connections",
                         std::string_view(id.data(), id.size()));
        std::string response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: ";
        response += kProblemContentType;
        response += "\r\nContent-Length: " + std::to_string(body.size());
        response += "\r\nX-Request-Id: ";
        response.append(id.data(), id.size());
        response += "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";
        response += body;
        std::make_shared<Rejection>(std::move(socket), std::move(response))->start();
    }

    std::shared_ptr<ServerState> state_;
    IoContexts& contexts_;
    ListenerKind kind_;
    Acceptor acceptor_;
    net::steady_timer retry_timer_;
    std::uint16_t port_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

struct Server::Impl {
    // Destroyed last: the connections, which the io_contexts' pending handlers own, use it.
    std::shared_ptr<ServerState> state;
    std::chrono::milliseconds default_grace;
    IoContexts contexts;
    // Threads without connections would leave run() at once: these keep every loop running
    // until shutdown has closed the last connection.
    std::vector<net::executor_work_guard<IoExecutor>> keep_running;
    // Declared after the contexts, so joined before them: a handler still running owns a
    // connection whose socket belongs to one of them.
    net::thread_pool workers;
    // io objects: declared after the contexts, so destroyed before them.
    std::shared_ptr<Listener> http_listener;
    std::shared_ptr<Listener> https_listener;
    net::strand<IoExecutor> control{net::make_strand(contexts[0])};
    net::steady_timer shutdown_timer{control};
    std::optional<net::signal_set> signals;
    SteadyClock::time_point deadline{};
    bool forced = false;
    bool started = false;

    Impl(ServerOptions options, Router router, ServerContext context)
        : state(std::make_shared<ServerState>()),
          default_grace(options.limits.shutdown_grace),
          contexts(options.threads != 0 ? options.threads : cores()),
          workers(options.worker_threads != 0 ? options.worker_threads
                                              : ServerOptions::kDefaultWorkersPerCore * cores()) {
        for (std::size_t i = 0; i < contexts.size(); ++i)
            keep_running.push_back(net::make_work_guard(contexts[i]));
        ServerState& s = *state;
        s.workers = &workers;
        s.limits = options.limits;
        s.clients = std::move(context.clients);
        s.metrics =
            context.metrics ? std::move(context.metrics) : std::make_shared<MetricsRegistry>();
        s.log = context.log ? std::move(context.log)
                            : std::make_shared<Logger>(LogDestination::standard_error());
        s.access_log = std::move(context.access_log);

        add_builtin_routes(router, options, std::move(context.health_checks));
        s.router = std::move(router);
        register_metrics();

        if (options.https.enabled) {
            SslCtxPtr ctx = make_server_tls_context(options.tls);
            s.tls.emplace(ctx.release());  // asio's context takes the SSL_CTX over
        }
        options.tls.private_key.reset();  // the SSL_CTX holds its own reference

        if (options.http.enabled) {
            http_listener =
                std::make_shared<Listener>(state, contexts, ListenerKind::http, options.http);
        }
        if (options.https.enabled) {
            https_listener =
                std::make_shared<Listener>(state, contexts, ListenerKind::https, options.https);
        }
    }

    void add_builtin_routes(Router& router, const ServerOptions& options,
                            std::vector<HealthCheck> checks) {
        if (!options.healthz_listeners.empty()) {
            Route healthz;
            healthz.path = "/healthz";
            healthz.listeners = options.healthz_listeners;
            healthz.handler = [checks = std::move(checks)](const Request&) {
                return health_response(checks);
            };
            router.add(std::move(healthz));
        }
        if (!options.metrics_listeners.empty()) {
            Route metrics;
            metrics.path = "/metrics";
            metrics.listeners = options.metrics_listeners;
            metrics.scope = options.metrics_scope;
            metrics.handler = [registry = state->metrics](const Request&) {
                return Response::bytes(registry->render(),
                                       "text/plain; version=0.0.4; charset=utf-8");
            };
            router.add(std::move(metrics));
        }
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
        net::post(control, [this, grace] {
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
            for (const auto& connection : state->live_connections()) {
                connection->shutdown_gracefully();
            }
            deadline = SteadyClock::now() + grace;
            watch_shutdown();
        });
    }

    // Polls (on the control strand) until every connection is gone; at the deadline, closes
    // what is left. A handler that never returns is beyond help: after a further margin the
    // event loop is stopped.
    void watch_shutdown() {
        if (state->open_connections.load(std::memory_order_acquire) == 0) {
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
        }
        if (now >= deadline + std::chrono::seconds(5)) {
            state->log->error("connections still open after the grace period; stopping anyway");
            for (std::size_t i = 0; i < contexts.size(); ++i)
                contexts[i].stop();
            return;
        }
        shutdown_timer.expires_after(std::chrono::milliseconds(10));
        shutdown_timer.async_wait([this](error_code ec) {
            if (!ec)
                watch_shutdown();
        });
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
        impl.state->log->info("listening",
                              {{"listener", listener == impl.http_listener ? "http" : "https"},
                               {"port", listener->port()}});
    }
    std::vector<std::thread> pool;
    pool.reserve(impl.contexts.size() - 1);
    for (std::size_t i = 1; i < impl.contexts.size(); ++i) {
        pool.emplace_back([&impl, i] { impl.run_loop(impl.contexts[i]); });
    }
    impl.run_loop(impl.contexts[0]);
    for (auto& thread : pool)
        thread.join();
    impl.workers.join();
    impl.state->log->info("stopped");
    impl.state->log->flush();
    if (impl.state->access_log)
        impl.state->access_log->flush();
}

void Server::stop(std::chrono::milliseconds grace) {
    impl_->stop(grace);
}

void Server::stop() {
    impl_->stop(impl_->default_grace);
}

void Server::stop_on_signals(std::initializer_list<int> signals) {
    Impl& impl = *impl_;
    impl.signals.emplace(impl.control);
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
