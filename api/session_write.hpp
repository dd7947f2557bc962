#pragma once

// A connection's response writing (part of api/session.hpp, which includes it: include that):
// the head and body in one write (a streamed body: session_stream.hpp), keep-alive or close, the
// route's statistics and the access log line, and closing: gracefully (half-close, then linger,
// bounded) or at once.

#include "api/session.hpp"

namespace signet::api::detail {

template <class Derived>
inline void Session<Derived>::send_problem(const ProblemType& type, std::string_view detail,
                                           bool close) {
    send(problem_response(type, detail, request_id()), close);
}

template <class Derived>
inline void Session<Derived>::send(Response response, bool close) {
    stop_body_timer();
    phase_ = Phase::writing;
    const auto& parser = reader_.parser();
    const bool have_head = parser.is_header_done();
    close_ = close || !have_head || !parser.keep_alive() ||
             state_->stopping.load(std::memory_order_acquire);
    status_ = static_cast<unsigned>(response.status);
    if (!status_has_body(response.status)) {
        response.body.clear();
        response.streamed.reset();
    }
    // A HEAD answered by the GET route: the GET's headers, no body (RFC 9110 §9.3.2).
    const bool omit_body =
        head_from_get_ || (have_head && parser.get().method() == http::verb::head);
    const bool http10 = have_head && parser.get().version() < 11;
    const BodyFraming framing = framing_of(response, !http10);
    if (framing == BodyFraming::until_close && !omit_body)
        close_ = true;
    write_response_head(head_, response, request_id(),
                        close_   ? ConnectionField::close
                        : http10 ? ConnectionField::keep_alive
                                 : ConnectionField::none,
                        framing);
    if (response.streamed && !omit_body)
        return start_stream(std::move(response), framing);
    body_ = std::move(response.body);
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

template <class Derived>
inline void Session<Derived>::on_write(error_code ec, std::size_t) {
    record_request();
    ++served_;
    body_ = std::string();  // a large body is not kept while the connection idles
    if (ec)
        return close_quietly();
    if (close_)
        return close_gracefully();
    wait_for_request();
}

template <class Derived>
inline void Session<Derived>::record_request() {
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
         {"route", match_.outcome == Router::Outcome::found ? std::string_view(match_.route->path)
                                                            : kUnmatchedRoute},
         {"status", status_},
         {"bytes", body_bytes_},
         {"latency_ms", std::round(seconds * 1e6) / 1e3},
         {"client", client_ ? std::string_view(client_->name) : std::string_view("-")}});
}

// Half-close, then wait (bounded) for the client to finish, so that a response the client
// has not read yet is not destroyed by a reset (as with an unread request body).
template <class Derived>
inline void Session<Derived>::close_gracefully() {
    phase_ = Phase::closing;
    lowest().expires_after(
        std::min<std::chrono::milliseconds>(kLingerLimit, state_->limits.read_timeout));
    derived().shutdown_transport();
}

template <class Derived>
inline void Session<Derived>::linger() {
    buffer_.clear();
    derived().stream().async_read_some(buffer_.prepare(kReadChunk), bind_self(&Session::on_linger));
}

template <class Derived>
inline void Session<Derived>::on_linger(error_code ec, std::size_t) {
    if (ec)
        return close_quietly();
    linger();
}

template <class Derived>
inline void Session<Derived>::close_quietly() {
    phase_ = Phase::closing;
    stop_body_timer();
    error_code ignored;
    lowest().socket().shutdown(Socket::shutdown_both, ignored);
    lowest().close();
}

}  // namespace signet::api::detail
