#pragma once

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>

#include "api/problem.hpp"
#include "api/request_head.hpp"
#include "api/request_id.hpp"
#include "api/server_state.hpp"
#include "api/wire.hpp"

// A connection's state machine (after Beast's advanced server-flex): read a request, answer it,
// repeat. CRTP over the stream (PlainSession, TlsSession in sessions.hpp). Every member runs on
// the connection's own I/O thread (its io_context has one thread), so none needs a lock.
namespace signet::api::detail {

inline constexpr std::size_t kReadChunk = 16 * 1024;
// How long a closing connection waits for the client to go (close_notify, or the rest of a
// request body it is still sending) before the socket is closed anyway.
inline constexpr std::chrono::milliseconds kLingerLimit{2'000};
inline constexpr std::string_view kUnmatchedRoute = "(none)";

template <class Derived>
class Session : public Connection {
  public:
    void shutdown_gracefully() override {
        net::post(executor_,
                  [self = derived().shared_from_this()] { self->on_shutdown_request(); });
    }

    void close_now() override {
        net::post(executor_, [self = derived().shared_from_this()] {
            if (self->phase_ == Phase::handling && self->state_->stopping.load())
                self->log_abandoned();
            self->phase_ = Phase::closing;
            self->body_timer_.cancel();
            self->lowest().close();
        });
    }

    ~Session() override { state_->remove_connection(this); }

  protected:
    enum class Phase : std::uint8_t { handshake, idle, reading, handling, writing, closing };

    Session(std::shared_ptr<ServerState> state, ListenerKind kind, std::string remote,
            IoExecutor executor)
        : state_(std::move(state)),
          slot_(state_, kind),
          kind_(kind),
          remote_(std::move(remote)),
          executor_(executor),
          accepted_(SteadyClock::now()),
          buffer_(state_->limits.max_header_bytes + RequestReader::kChunkLineAllowance +
                  kReadChunk),
          reader_(state_->limits.max_header_bytes),
          body_timer_(executor) {}

    Derived& derived() { return static_cast<Derived&>(*this); }
    TcpStream& lowest() { return beast::get_lowest_layer(derived().stream()); }

    // A completion handler calling member f, keeping the connection alive until it runs.
    template <class F>
    auto bind_self(F&& f) {
        return [self = derived().shared_from_this(), f = std::forward<F>(f)](auto&&... args) {
            (self.get()->*f)(std::forward<decltype(args)>(args)...);
        };
    }

    // Until its first request head is complete, a connection lives on header_timeout from
    // its accept, the TLS handshake included: one that sends nothing cannot hold a slot for
    // the idle timeout.
    SteadyClock::time_point first_head_deadline() const {
        return accepted_ + state_->limits.header_timeout;
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
        if (state_->stopping.load(std::memory_order_acquire))
            return close_gracefully();
        if (buffer_.size() > 0)
            return start_request();  // pipelined: the next request is already here
        phase_ = Phase::idle;
        mark_idle();  // from here the connection may be closed for a newcomer at max_connections
        if (served_ == 0) {
            lowest().expires_at(first_head_deadline());
        } else {
            lowest().expires_after(state_->limits.idle_timeout);
        }
        derived().stream().async_read_some(buffer_.prepare(kReadChunk),
                                           bind_self(&Session::on_first_bytes));
    }

    void on_first_bytes(error_code ec, std::size_t bytes) {
        // The client left, idled out, we are stopping, or the connection was claimed.
        if (ec || !mark_busy())
            return close_quietly();
        buffer_.commit(bytes);
        start_request();
    }

    void start_request() {
        phase_ = Phase::reading;
        started_ = SteadyClock::now();
        ++serial_;
        new_request_id(request_id_);
        match_ = Router::Match{};
        client_.reset();
        head_from_get_ = false;
        body_timed_out_ = false;
        reader_.start();
        // The head within header_timeout of its first byte (of the accept, for a connection's
        // first request), the whole request within read_timeout: a client sending a byte a
        // second cannot hold the connection.
        const auto head_start = served_ == 0 ? accepted_ : started_;
        lowest().expires_at(std::min(head_start + state_->limits.header_timeout,
                                     started_ + state_->limits.read_timeout));
        parse_request();
    }

    void parse_request() {
        std::size_t consumed = 0;
        const auto data = buffer_.data();
        const auto step = reader_.feed(
            std::string_view(static_cast<const char*>(data.data()), data.size()), consumed);
        buffer_.consume(consumed);
        switch (step) {
            case RequestReader::Step::need_more:
                return read_more();
            case RequestReader::Step::head:
                return on_head();
            case RequestReader::Step::complete:
                return handle();
            case RequestReader::Step::failed:
                break;
        }
        send_problem(*reader_.problem().type, reader_.problem().detail, true);
    }

    void read_more() {
        // The reader leaves at most max_header_bytes and a line unparsed, so there is room.
        const std::size_t room = std::min(kReadChunk, buffer_.max_size() - buffer_.size());
        if (room == 0) {
            return send_problem(problems::header_too_large, "the request's framing is too large",
                                true);
        }
        derived().stream().async_read_some(buffer_.prepare(room),
                                           bind_self(&Session::on_request_bytes));
    }

    void on_request_bytes(error_code ec, std::size_t bytes) {
        if (body_timed_out_) {
            return send_problem(problems::request_timeout,
                                "the request did not arrive within " +
                                    std::to_string(state_->limits.read_timeout.count()) + " ms",
                                true);
        }
        if (ec) {
            // A slow client (header_timeout), a reset, or the client closing mid-request:
            // nobody to answer.
            if (ec == beast::error::timeout) {
                state_->log->debug("connection timed out while reading a request",
                                   {{"remote", remote_}, {"listener", to_string(kind_)}});
            }
            return close_quietly();
        }
        buffer_.commit(bytes);
        parse_request();
    }

    void on_head() {
        const auto& request = reader_.parser().get();
        match_ = state_->router.match(request.method(), reader_.path(), kind_);
        if (match_.outcome != Router::Outcome::found) {
            // Answered without reading a body; a connection with an unread body is closed.
            return handle();
        }
        head_from_get_ = match_.head_from_get;
        if (!reader_.set_body_limit(
                match_.route->max_body_bytes.value_or(state_->limits.max_body_bytes))) {
            return send_problem(*reader_.problem().type, reader_.problem().detail, true);
        }
        if (reader_.parser().is_done())
            return handle();
        start_body_timer();
        if (beast::iequals(request[http::field::expect], "100-continue")) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            return net::async_write(derived().stream(),
                                    net::buffer(kContinue.data(), kContinue.size()),
                                    bind_self(&Session::on_continue_sent));
        }
        parse_request();  // whatever of the body came with the head
    }

    void on_continue_sent(error_code ec, std::size_t) {
        if (body_timed_out_ || ec)
            return on_request_bytes(ec, 0);
        parse_request();
    }

    // The body must arrive within read_timeout of the request's first byte. The stream's own
    // expiry would close the socket, leaving no way to answer, so a timer of the session's
    // cancels the read instead, and the client is told 408 (RFC 9110 §15.5.9).
    void start_body_timer() {
        lowest().expires_never();
        body_timer_armed_ = true;
        body_timer_.expires_at(started_ + state_->limits.read_timeout);
        body_timer_.async_wait(
            [self = derived().shared_from_this(), serial = serial_](error_code ec) {
                if (ec || serial != self->serial_ || self->phase_ != Phase::reading)
                    return;
                self->body_timed_out_ = true;
                error_code ignored;
                self->lowest().socket().cancel(ignored);
            });
    }

    void stop_body_timer() {
        if (body_timer_armed_) {
            body_timer_armed_ = false;
            body_timer_.cancel();
        }
    }

    // Authenticates (when credentials come with the request), checks the route's scope, and
    // runs the handler where its route says.
    void handle() {
        stop_body_timer();
        phase_ = Phase::handling;
        const auto& request = reader_.parser().get();
        const bool body_unread = !reader_.parser().is_done();
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
            reader_.path(),
            reader_.query(),
            request,
            request.body(),
            client_.get(),
            request_id(),
            remote_,
            kind_,
            route.path,
        };
        const Placement placement = state_->placement[match_.route_index];
        if (placement == Placement::io_thread)
            return finish(route, call_handler(route, view));
        // On a pool. Until the response comes back, the connection starts no other operation,
        // so the parser, client and request id the view points into stay as they are.
        state_->handlers_running.fetch_add(1, std::memory_order_relaxed);
        net::post(placement == Placement::control ? *state_->control : *state_->workers,
                  [self = derived().shared_from_this(), &route, view] {
                      Response response = self->call_handler(route, view);
                      self->state_->handlers_running.fetch_sub(1, std::memory_order_relaxed);
                      net::post(self->executor_,
                                [self, &route, response = std::move(response)]() mutable {
                                    self->finish(route, std::move(response));
                                });
                  });
    }

    // Runs the handler; whatever it throws becomes a problem document. Runs on an I/O thread or
    // a pool and touches no connection state.
    Response call_handler(const Route& route, const Request& view) const {
        try {
            return route.handler(view);
        } catch (const Error& e) {
            Response response = problem_response(e, request_id());
            if (response.status == http::status::internal_server_error)
                log_handler_failure(route, to_string(e.code()), e.what());
            return response;
        } catch (const std::exception& e) {
            log_handler_failure(route, "exception", e.what());
            return problem_response(Error(Errc::internal, e.what()), request_id());
        } catch (...) {
            log_handler_failure(route, "exception", "unknown exception");
            return problem_response(Error(Errc::internal, "unknown"), request_id());
        }
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
                beast::iequals(value.substr(0, 7), "bearer ")) {
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

    void log_abandoned() const {
        const double seconds = std::chrono::duration<double>(SteadyClock::now() - started_).count();
        state_->log->error("abandoning a request still in its handler after the shutdown grace",
                           {{"request_id", request_id()},
                            {"route", match_.route != nullptr ? std::string_view(match_.route->path)
                                                              : kUnmatchedRoute},
                            {"remote", remote_},
                            {"running_ms", std::round(seconds * 1e3)}});
    }

    void send_problem(const ProblemType& type, std::string_view detail, bool close) {
        send(problem_response(type, detail, request_id()), close);
    }

    void send(Response response, bool close) {
        stop_body_timer();
        phase_ = Phase::writing;
        const auto& parser = reader_.parser();
        const bool have_head = parser.is_header_done();
        close_ = close || !have_head || !parser.keep_alive() ||
                 state_->stopping.load(std::memory_order_acquire);
        status_ = static_cast<unsigned>(response.status);
        if (!status_has_body(response.status))
            response.body.clear();
        write_response_head(head_, response, request_id(),
                            close_                                     ? ConnectionField::close
                            : have_head && parser.get().version() < 11 ? ConnectionField::keep_alive
                                                                       : ConnectionField::none);
        body_ = std::move(response.body);
        // A HEAD answered by the GET route: the GET's headers, no body (RFC 9110 §9.3.2).
        const bool omit_body =
            head_from_get_ || (have_head && parser.get().method() == http::verb::head);
        body_bytes_ = omit_body ? 0 : body_.size();
        lowest().expires_after(state_->limits.read_timeout);
        // Not a std::array of two buffers: Asio 1.74's async_write special-cases that type and,
        // once the head is out, hands the stream an empty first buffer and then the body;
        // Beast's flat_stream (inside ssl_stream) then writes a prefix of 0 bytes for a body over
        // 16 KiB, which async_write takes for the end: the body never left over HTTPS.
        // buffers_cat goes through Asio's generic path, which skips empty buffers.
        net::async_write(
            derived().stream(),
            beast::buffers_cat(net::buffer(head_), net::const_buffer(body_.data(), body_bytes_)),
            bind_self(&Session::on_write));
    }

    void on_write(error_code ec, std::size_t) {
        record_request();
        ++served_;
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
        const auto& parser = reader_.parser();
        const bool have_head = parser.is_header_done();
        access->info(
            "request",
            {{"request_id", request_id()},
             {"remote", remote_},
             {"listener", to_string(kind_)},
             {"method",
              have_head ? std::string_view(parser.get().method_string()) : std::string_view("-")},
             {"route", match_.outcome == Router::Outcome::found
                           ? std::string_view(match_.route->path)
                           : kUnmatchedRoute},
             {"status", status_},
             {"bytes", body_bytes_},
             {"latency_ms", std::round(seconds * 1e6) / 1e3},
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
        stop_body_timer();
        error_code ignored;
        lowest().socket().shutdown(Socket::shutdown_both, ignored);
        lowest().close();
    }

    std::string_view request_id() const { return {request_id_.data(), request_id_.size()}; }

    std::shared_ptr<ServerState> state_;
    ConnectionSlot slot_;
    ListenerKind kind_;
    std::string remote_;
    IoExecutor executor_;
    SteadyClock::time_point accepted_;
    Phase phase_ = Phase::handshake;
    std::optional<Sha256Digest> peer_certificate_;  // a verified client certificate (HTTPS)

    beast::flat_buffer buffer_;  // bounded: see RequestReader
    RequestReader reader_;
    net::steady_timer body_timer_;
    bool body_timer_armed_ = false;
    bool body_timed_out_ = false;
    std::uint64_t serial_ = 0;  // requests started on this connection
    std::uint64_t served_ = 0;  // responses written
    RequestId request_id_{};
    SteadyClock::time_point started_{};
    Router::Match match_;
    bool head_from_get_ = false;
    std::shared_ptr<const ApiClient> client_;

    std::string head_;  // the response header, reused across requests
    std::string body_;
    std::size_t body_bytes_ = 0;
    unsigned status_ = 0;
    bool close_ = false;
};

}  // namespace signet::api::detail
