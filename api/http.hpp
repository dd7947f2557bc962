#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/auth.hpp"

// The messages a route handler sees and returns. A handler is a plain function
// `Response(const Request&)`; it holds the service call, the server holds everything HTTP.
namespace signet::api {

namespace http = boost::beast::http;

enum class ListenerKind : std::uint8_t { http = 1, https = 2 };

std::string_view to_string(ListenerKind kind) noexcept;

// The listeners a route is served on.
class ListenerSet {
  public:
    constexpr ListenerSet() = default;
    static constexpr ListenerSet http_only() { return ListenerSet(bit(ListenerKind::http)); }
    static constexpr ListenerSet https_only() { return ListenerSet(bit(ListenerKind::https)); }
    static constexpr ListenerSet both() {
        return ListenerSet(bit(ListenerKind::http) | bit(ListenerKind::https));
    }
    constexpr bool contains(ListenerKind kind) const { return (bits_ & bit(kind)) != 0; }
    constexpr bool empty() const { return bits_ == 0; }
    friend constexpr bool operator==(ListenerSet, ListenerSet) = default;

  private:
    constexpr explicit ListenerSet(std::uint8_t bits) : bits_(bits) {}
    static constexpr std::uint8_t bit(ListenerKind kind) { return static_cast<std::uint8_t>(kind); }
    std::uint8_t bits_ = 0;
};

// One request as the handler sees it. Every view points into the connection's buffers and is
// valid only during the handler call; copy what must outlive it.
struct Request {
    http::verb method;
    std::string_view method_name;  // as received, also for methods Beast does not know
    std::string_view target;       // raw request-target, with the query
    std::string_view path;         // target up to '?', not percent-decoded
    std::string_view query;        // after '?', without it; empty if none
    const http::fields& headers;
    std::string_view body;
    const ApiClient* client;      // the authenticated caller, or nullptr (anonymous)
    std::string_view request_id;  // also sent as X-Request-Id
    std::string_view remote;      // "address:port" of the peer
    ListenerKind listener;
    std::string_view route;  // the pattern that matched, e.g. "/crl/"

    // A header's value, empty if absent.
    std::string_view header(http::field name) const;
    std::string_view header(std::string_view name) const;
};

// Hands out a streamed body's next piece; an empty piece ends the body. It may throw: the
// connection is then closed mid-body, so the client sees a truncated body as truncated (fewer
// bytes than the Content-Length, or no terminating chunk). The server calls it where the route's
// handler runs (the worker pool, unless `runs_on_io_thread`), one call at a time, and asks for a
// piece only once the previous one is written: memory stays bounded by a piece (64 KiB is a good
// size). It must not use the Request (its views die with the handler call): capture copies. It
// is destroyed when the body ends or the client goes, which is how it learns to stop; state that
// is move-only goes behind a shared_ptr (std::function copies its target).
using BodyProducer = std::function<std::string()>;

struct StreamedBody {
    // Sent as Content-Length when known; otherwise the body is chunked (RFC 9112 §7.1), or, for
    // an HTTP/1.0 client, delimited by closing the connection (RFC 9112 §6.3).
    std::optional<std::uint64_t> length;
    BodyProducer next;
};

// What a handler returns. The server adds Content-Length (or Transfer-Encoding), Date,
// X-Request-Id and Connection; a handler must not set those itself.
struct Response {
    http::status status = http::status::ok;
    std::string content_type{};  // omitted when empty (and the body is empty)
    std::string body{};          // the whole body; empty when `streamed`
    std::vector<std::pair<std::string, std::string>> headers{};  // extra fields, in order
    // A body written piece by piece instead of `body` (Response::stream).
    std::optional<StreamedBody> streamed{};

    static Response text(std::string body, http::status status = http::status::ok);
    static Response json(std::string body, http::status status = http::status::ok);
    static Response bytes(std::string body, std::string content_type,
                          http::status status = http::status::ok);
    // A body too large to hold, produced piece by piece (see BodyProducer). A HEAD request
    // gets the head alone and the producer is never called.
    static Response stream(std::string content_type, std::optional<std::uint64_t> length,
                           BodyProducer next, http::status status = http::status::ok);
};

using Handler = std::function<Response(const Request&)>;

// Whether a Content-Type value names `media_type` (lowercase "type/subtype"). RFC 9110 §8.3.1:
// type and subtype are case-insensitive; parameters and the whitespace around them are ignored.
bool has_media_type(std::string_view content_type, std::string_view media_type);

// "203.0.113.7" of "203.0.113.7:51000", "::1" of "[::1]:51000": the peer (Request::remote) as
// a service records it.
std::string peer_address(std::string_view remote);

// Who asked, as services record it (the audit log's actor): "client:NAME", or "anonymous".
std::string actor_of(const Request& request);

enum class PathMatch : std::uint8_t {
    exact,     // the path equals the pattern
    prefix,    // the path starts with the pattern (plain string prefix: end it with '/')
    segments,  // segment by segment; a "{name}" segment takes any one non-empty segment:
               // "/v1/subjects/{id}/evidence" (the OpenAPI path template, one scope per route)
};

// A route: method + path pattern -> handler, with where it is served and who may call it.
struct Route {
    http::verb method = http::verb::get;
    std::string path{};
    PathMatch match = PathMatch::exact;
    // HTTPS only unless stated: a route is put on plain HTTP deliberately.
    ListenerSet listeners = ListenerSet::https_only();
    // The scope a caller needs; empty = anonymous callers are served. A route with a scope is
    // HTTPS-only (credentials never travel over plain HTTP); the router refuses otherwise.
    std::string scope{};
    // Overrides the server's default body limit for this route.
    std::optional<std::size_t> max_body_bytes{};
    // Where the handler runs. By default on the server's worker pool, because most handlers
    // wait (for the database, the HSM, a group commit) and a waiting handler must not hold an
    // I/O thread: each I/O thread serves many connections. A handler that never waits and
    // takes no lock that others hold long (e.g. /livez) may run on the connection's I/O thread,
    // which saves two thread hand-offs per request.
    bool runs_on_io_thread = false;
    Handler handler{};
    // When set, tried first on the connection's I/O thread: a response is the answer, nullopt
    // hands the request to `handler` where it is placed. For a route whose common case needs
    // nothing that waits (an OCSP response held in memory) while the rest may. It must never
    // block; an exception counts as nullopt.
    std::function<std::optional<Response>(const Request&)> io_thread_attempt{};
};

}  // namespace signet::api
