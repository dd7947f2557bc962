#pragma once

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <charconv>
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
// repeat. CRTP over the stream (PlainSession, TlsSession in listener.cpp). Every member runs on
// the connection's own I/O thread (its io_context has one thread), so none needs a lock. This
// file holds the class, its state and its lifecycle; its steps are defined (inline, as in the
// class) in session_read.hpp, session_dispatch.hpp, session_write.hpp and session_stream.hpp,
// included at the end.
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

    // Reading a request (session_read.hpp).
    void wait_for_request();
    void on_first_bytes(error_code ec, std::size_t bytes);
    void start_request();
    void parse_request();
    void read_more();
    void on_request_bytes(error_code ec, std::size_t bytes);
    void on_head();
    void on_continue_sent(error_code ec, std::size_t);
    void start_body_timer();
    void stop_body_timer();

    // Routing, authenticating and running the handler (session_dispatch.hpp).
    void handle();
    Response call_handler(const Route& route, const Request& view) const;
    void finish(const Route& route, Response response);
    bool authenticate(const http::request<http::string_body>& request);
    void log_handler_failure(const Route& route, std::string_view code,
                             std::string_view what) const;
    void log_abandoned() const;

    // Writing the response, the access log, closing (session_write.hpp).
    void send_problem(const ProblemType& type, std::string_view detail, bool close);
    void send(Response response, bool close);
    void on_write(error_code ec, std::size_t);
    void record_request();
    void close_gracefully();
    void linger();
    void on_linger(error_code ec, std::size_t);
    void close_quietly();

    // Writing a streamed body piece by piece (session_stream.hpp).
    void start_stream(Response response, BodyFraming framing);
    void write_piece();
    void on_piece_written(error_code ec, std::size_t);
    void produce_next();
    std::optional<std::string> produce() const;
    void on_piece(std::optional<std::string> piece);
    void end_stream();
    void abort_stream();

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

    std::string head_;  // the response header, reused across requests; cleared once written
    std::string body_;  // the whole body, or a stream's piece being written
    std::size_t body_bytes_ = 0;  // of the body, written (a stream: so far)
    BodyProducer producer_;       // a streamed body's, until it ends or the client goes
    std::optional<std::uint64_t> stream_length_;
    bool chunked_ = false;
    std::string chunk_head_;  // a chunk's size line
    unsigned status_ = 0;
    bool close_ = false;
};

}  // namespace signet::api::detail

// The members defined out of the class, by what they do.
// session_stream.hpp first: the dispatch uses its produce_first_piece.
#include "api/session_stream.hpp"
// (keep the order)
#include "api/session_dispatch.hpp"
#include "api/session_read.hpp"
#include "api/session_write.hpp"
