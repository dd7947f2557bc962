#pragma once

// A connection's streamed response body (part of api/session.hpp, which includes it: include
// that): the head goes out with the first piece, then each piece is written before the next is
// produced, so a body of any size costs one piece of memory. The producer runs where the route's
// handler runs (the worker pool unless the route runs on the I/O thread), never blocking the
// event loop with a database read. Each write must finish within read_timeout (a client that
// stops reading is closed). The body ends with an empty piece; a producer that throws, a body
// shorter or longer than its declared length, or a client that goes closes the connection
// without finishing the framing, so the client cannot take a truncated body for a whole one:
// with Content-Length it receives fewer bytes, chunked it sees no last chunk (RFC 9112 §7.1).

#include "api/session.hpp"

namespace signet::api::detail {

// The first piece is produced with the handler, where it runs: a producer failing at once (the
// database is down, the document's key is gone) is still answered with a problem document, and
// the head goes out together with the first piece. A HEAD request, or a status without content,
// never calls the producer. The piece travels in the response's body, which a streamed response
// leaves empty.
inline void produce_first_piece(Response& response, http::verb method) {
    if (!response.streamed)
        return;
    if (!response.body.empty())
        throw Error(Errc::internal, "a streamed response has a body as well");
    if (!response.streamed->next)
        throw Error(Errc::internal, "a streamed response has no producer");
    if (method == http::verb::head || !status_has_body(response.status))
        return;
    response.body = response.streamed->next();
}

template <class Derived>
inline void Session<Derived>::start_stream(Response response, BodyFraming framing) {
    producer_ = std::move(response.streamed->next);
    stream_length_ = response.streamed->length;
    chunked_ = framing == BodyFraming::chunked;
    body_ = std::move(response.body);  // the first piece (produce_first_piece)
    body_bytes_ = 0;
    write_piece();
}

template <class Derived>
inline void Session<Derived>::write_piece() {
    if (body_.empty())
        return end_stream();
    if (stream_length_ && body_bytes_ + body_.size() > *stream_length_) {
        // Written, the client would hold exactly the declared bytes of a wrong body.
        log_handler_failure(*match_.route, "internal",
                            "the streamed body is longer than its declared length");
        return abort_stream();
    }
    static constexpr std::string_view kCrlf = "\r\n";
    chunk_head_.clear();
    if (chunked_) {
        char digits[16];
        const auto end = std::to_chars(digits, digits + sizeof digits, body_.size(), 16).ptr;
        chunk_head_.append(digits, end).append(kCrlf);
    }
    phase_ = Phase::writing;
    lowest().expires_after(state_->limits.read_timeout);
    net::async_write(derived().stream(),
                     beast::buffers_cat(net::buffer(head_), net::buffer(chunk_head_),
                                        net::const_buffer(body_.data(), body_.size()),
                                        net::buffer(kCrlf.data(), chunked_ ? kCrlf.size() : 0)),
                     bind_self(&Session::on_piece_written));
}

template <class Derived>
inline void Session<Derived>::on_piece_written(error_code ec, std::size_t) {
    if (ec) {
        // The client went (or stopped reading for read_timeout): the producer stops here.
        state_->log->debug("the client left during a streamed response",
                           {{"request_id", request_id()}, {"error", ec.message()}});
        return abort_stream();
    }
    head_.clear();
    body_bytes_ += body_.size();
    body_.clear();
    produce_next();
}

template <class Derived>
inline void Session<Derived>::produce_next() {
    phase_ = Phase::handling;
    const Placement placement = state_->placement[match_.route_index];
    if (placement == Placement::io_thread)
        return on_piece(produce());
    state_->handlers_running.fetch_add(1, std::memory_order_relaxed);
    net::post(placement == Placement::control ? *state_->control : *state_->workers,
              [self = derived().shared_from_this()] {
                  std::optional<std::string> piece = self->produce();
                  self->state_->handlers_running.fetch_sub(1, std::memory_order_relaxed);
                  net::post(self->executor_, [self, piece = std::move(piece)]() mutable {
                      self->on_piece(std::move(piece));
                  });
              });
}

// The next piece, or nullopt when the producer failed (logged). Runs where the handler runs;
// meanwhile the connection's thread starts nothing that touches the producer.
template <class Derived>
inline std::optional<std::string> Session<Derived>::produce() const {
    try {
        return producer_();
    } catch (const Error& e) {
        log_handler_failure(*match_.route, to_string(e.code()), e.what());
    } catch (const std::exception& e) {
        log_handler_failure(*match_.route, "exception", e.what());
    } catch (...) {
        log_handler_failure(*match_.route, "exception", "unknown exception");
    }
    return std::nullopt;
}

template <class Derived>
inline void Session<Derived>::on_piece(std::optional<std::string> piece) {
    if (phase_ == Phase::closing || !piece)
        return abort_stream();  // closed meanwhile (the shutdown grace ran out), or it failed
    body_ = std::move(*piece);
    write_piece();
}

template <class Derived>
inline void Session<Derived>::end_stream() {
    producer_ = BodyProducer();
    if (stream_length_ && body_bytes_ != *stream_length_) {
        log_handler_failure(*match_.route, "internal",
                            "the streamed body is shorter than its declared length");
        return abort_stream();
    }
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    if (!chunked_ && head_.empty())
        return on_write(error_code(), 0);
    phase_ = Phase::writing;
    lowest().expires_after(state_->limits.read_timeout);
    net::async_write(
        derived().stream(),
        beast::buffers_cat(net::buffer(head_),
                           net::buffer(kLastChunk.data(), chunked_ ? kLastChunk.size() : 0)),
        bind_self(&Session::on_write));
}

// Closes the connection without ending the body's framing (no close_notify either, for TLS).
template <class Derived>
inline void Session<Derived>::abort_stream() {
    producer_ = BodyProducer();
    record_request();
    ++served_;
    body_ = std::string();
    close_quietly();
}

}  // namespace signet::api::detail
