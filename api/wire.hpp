#pragma once

#include <string>
#include <string_view>

#include "api/http.hpp"

// The response side of the wire format: which header fields a handler may set, and the
// serialisation of a response's status line and header section (into a buffer the connection
// reuses, so the hot path does not allocate).
namespace signet::api::detail {

// False when a handler set a field the server owns (Content-Length, Transfer-Encoding,
// Connection, Date, X-Request-Id), a name that is not a token, or a CR, LF or NUL in a value or
// in the content type: written out, such a response could be split in two.
bool valid_extra_headers(const Response& response);

// RFC 9110 §15: 1xx, 204 and 304 carry no content.
bool status_has_body(http::status status);

enum class ConnectionField : std::uint8_t {
    none,        // HTTP/1.1 keep-alive: the default, said by nothing
    close,       // "Connection: close": the server closes after this response
    keep_alive,  // "Connection: keep-alive": an HTTP/1.0 client kept alive
};

// How the client learns where a response's body ends (RFC 9112 §6.3).
enum class BodyFraming : std::uint8_t {
    content_length,  // Content-Length: the whole body's size, or a stream's declared length
    chunked,         // Transfer-Encoding: chunked, a stream of unknown length (HTTP/1.1)
    until_close,     // neither: a stream of unknown length to an HTTP/1.0 client, which has no
                     // chunked coding; the server closes the connection after it
};

// The framing of `response` for a client speaking HTTP/1.1 (`http11`) or HTTP/1.0.
BodyFraming framing_of(const Response& response, bool http11);

// Replaces `head` with "HTTP/1.1 <status>", Date, Content-Type, the framing field (when the
// status has a body: Content-Length, the size of response.body or the stream's length, or
// Transfer-Encoding: chunked), X-Request-Id, the handler's own fields and the Connection field,
// ending with the empty line.
void write_response_head(std::string& head, const Response& response, std::string_view request_id,
                         ConnectionField connection, BodyFraming framing);

}  // namespace signet::api::detail
