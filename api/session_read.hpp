#pragma once

// A connection's request reading (part of api/session.hpp, which includes it: include that):
// waiting for a request, the head within header_timeout and the whole request within
// read_timeout, the reader fed from a bounded buffer, 100-continue, and the body timer that
// answers a stalled upload 408.

#include "api/session.hpp"

namespace signet::api::detail {

template <class Derived>
inline void Session<Derived>::wait_for_request() {
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

template <class Derived>
inline void Session<Derived>::on_first_bytes(error_code ec, std::size_t bytes) {
    // The client left, idled out, we are stopping, or the connection was claimed.
    if (ec || !mark_busy())
        return close_quietly();
    buffer_.commit(bytes);
    start_request();
}

template <class Derived>
inline void Session<Derived>::start_request() {
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

template <class Derived>
inline void Session<Derived>::parse_request() {
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

template <class Derived>
inline void Session<Derived>::read_more() {
    // The reader leaves at most max_header_bytes and a line unparsed, so there is room.
    const std::size_t room = std::min(kReadChunk, buffer_.max_size() - buffer_.size());
    if (room == 0) {
        return send_problem(problems::header_too_large, "the request's framing is too large", true);
    }
    derived().stream().async_read_some(buffer_.prepare(room),
                                       bind_self(&Session::on_request_bytes));
}

template <class Derived>
inline void Session<Derived>::on_request_bytes(error_code ec, std::size_t bytes) {
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

template <class Derived>
inline void Session<Derived>::on_head() {
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
        return net::async_write(derived().stream(), net::buffer(kContinue.data(), kContinue.size()),
                                bind_self(&Session::on_continue_sent));
    }
    parse_request();  // whatever of the body came with the head
}

template <class Derived>
inline void Session<Derived>::on_continue_sent(error_code ec, std::size_t) {
    if (body_timed_out_ || ec)
        return on_request_bytes(ec, 0);
    parse_request();
}

// The body must arrive within read_timeout of the request's first byte. The stream's own
// expiry would close the socket, leaving no way to answer, so a timer of the session's
// cancels the read instead, and the client is told 408 (RFC 9110 §15.5.9).
template <class Derived>
inline void Session<Derived>::start_body_timer() {
    lowest().expires_never();
    body_timer_armed_ = true;
    body_timer_.expires_at(started_ + state_->limits.read_timeout);
    body_timer_.async_wait([self = derived().shared_from_this(), serial = serial_](error_code ec) {
        if (ec || serial != self->serial_ || self->phase_ != Phase::reading)
            return;
        self->body_timed_out_ = true;
        error_code ignored;
        self->lowest().socket().cancel(ignored);
    });
}

template <class Derived>
inline void Session<Derived>::stop_body_timer() {
    if (body_timer_armed_) {
        body_timer_armed_ = false;
        body_timer_.cancel();
    }
}

}  // namespace signet::api::detail
