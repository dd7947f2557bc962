#include "api/ocsp_routes.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "api/auth.hpp"
#include "api/ocsp_get.hpp"
#include "api/problem.hpp"
#include "common/error.hpp"

namespace signet::api {

namespace {

constexpr std::string_view kRequestType = "application/ocsp-request";
constexpr const char* kResponseType = "application/ocsp-response";
constexpr std::string_view kGetPrefix = "/ocsp/";

// RFC 6960 §4.2.1: OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0]
// EXPLICIT OPTIONAL }. An error status has no responseBytes and so no signature (§2.3), which
// makes malformedRequest (1) these five bytes.
constexpr std::string_view kMalformedRequest("\x30\x03\x0a\x01\x01", 5);

std::string_view as_chars(const Bytes& der) {
    return {reinterpret_cast<const char*>(der.data()), der.size()};
}

Response ocsp_response(std::string_view der) {
    return Response::bytes(std::string(der), kResponseType);
}

Response uncacheable(Response response) {
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

// RFC 9110 §13.1.2: If-None-Match is "*" or a list of entity-tags, compared weakly (a W/ prefix
// does not prevent a match). Tags are scanned quote to quote, since an opaque-tag may itself
// contain a comma (§8.8.3: etagc includes %x2C). Several field lines form one list (§5.3).
bool if_none_match_matches(const http::fields& headers, std::string_view etag) {
    const auto [first, last] = headers.equal_range(http::field::if_none_match);
    for (auto field = first; field != last; ++field) {
        const std::string_view value = field->value();
        std::size_t i = 0;
        while (i < value.size()) {
            const char c = value[i];
            if (c == ' ' || c == '\t' || c == ',') {
                ++i;
                continue;
            }
            if (c == '*')
                return true;
            if (value.substr(i).starts_with("W/"))
                i += 2;
            if (i >= value.size() || value[i] != '"')
                break;  // not an entity-tag: the rest of this line cannot be trusted
            const std::size_t close = value.find('"', i + 1);
            if (close == std::string_view::npos)
                break;
            if (value.substr(i, close - i + 1) == etag)
                return true;
            i = close + 1;
        }
    }
    return false;
}

// RFC 5019 §6.2's headers for a cacheable answer, and 304 when the client holds it already.
Response cacheable_get(const ocsp::Answer& answer, const Request& request, const Clock& clock) {
    const std::string_view der = as_chars(answer.der);
    const std::string etag =
        "\"" + to_hex(answer.der_sha256 ? *answer.der_sha256 : sha256_of(der)) + "\"";
    // max-age never reaches past nextUpdate (RFC 5019 §6.2), so whole seconds, rounded down.
    const auto left =
        std::chrono::duration_cast<std::chrono::seconds>(answer.next_update - clock.now());
    const long long max_age = std::max<long long>(left.count(), 0);

    Response response = if_none_match_matches(request.headers, etag)
                            ? Response{http::status::not_modified, {}, {}, {}, std::nullopt}
                            : ocsp_response(der);
    response.headers.emplace_back("Last-Modified", format_http_date(answer.this_update));
    response.headers.emplace_back("ETag", etag);
    response.headers.emplace_back("Expires", format_http_date(answer.next_update));
    response.headers.emplace_back("Cache-Control", "max-age=" + std::to_string(max_age) +
                                                       ", public, no-transform, must-revalidate");
    return response;
}

}  // namespace

void add_ocsp_routes(Router& router, std::shared_ptr<ocsp::Responder> responder,
                     std::size_t max_request_bytes, const Clock& clock) {
    if (!responder)
        throw Error(Errc::invalid_argument, "the OCSP routes need a responder");

    // POST: the body is the DER OCSPRequest (RFC 6960 A.1.1). Also on "/ocsp/", so that a client
    // configured with the URL and a trailing slash is served rather than told 405.
    const Handler post = [responder](const Request& request) {
        if (!has_media_type(request.header(http::field::content_type), kRequestType)) {
            return problem_response(
                problems::unsupported_media_type,
                "the Content-Type header must be application/ocsp-request (RFC 6960 A.1)",
                request.request_id);
        }
        const ocsp::Answer answer =
            responder->answer(as_bytes(request.body), peer_address(request.remote));
        // RFC 5019 §6.2 relies on GET for caching; a POST answer is not to be stored.
        return uncacheable(ocsp_response(as_chars(answer.der)));
    };
    for (const auto& [path, match] :
         {std::pair{"/ocsp", PathMatch::exact}, std::pair{"/ocsp/", PathMatch::prefix}}) {
        Route route;
        route.method = http::verb::post;
        route.path = path;
        route.match = match;
        route.listeners = ListenerSet::both();
        route.max_body_bytes = max_request_bytes;  // beyond: 413 before the body is read
        route.handler = post;
        // The common case, a pre-signed response held in memory, is answered on the I/O thread.
        route.io_thread_attempt = [responder](const Request& request) -> std::optional<Response> {
            if (!has_media_type(request.header(http::field::content_type), kRequestType))
                return std::nullopt;
            auto answer = responder->answer_from_memory(as_bytes(request.body));
            if (!answer)
                return std::nullopt;
            return uncacheable(ocsp_response(as_chars(answer->der)));
        };
        router.add(std::move(route));
    }

    // GET: the rest of the path, whatever '/' it holds, is the encoded request (one route, so
    // one metrics label, for every URL). "/ocsp" alone carries no request: malformedRequest.
    Route get;
    get.method = http::verb::get;
    get.path = std::string(kGetPrefix);
    get.match = PathMatch::prefix;
    get.listeners = ListenerSet::both();
    get.handler = [responder, max_request_bytes, &clock](const Request& request) {
        const auto der = decode_ocsp_get_path(request.path.substr(kGetPrefix.size()));
        if (!der)
            return uncacheable(ocsp_response(kMalformedRequest));
        if (der->size() > max_request_bytes) {
            return problem_response(
                problems::body_too_large,
                "the OCSP request is over " + std::to_string(max_request_bytes) + " bytes",
                request.request_id);
        }
        const ocsp::Answer answer = responder->answer(*der, peer_address(request.remote));
        if (answer.cacheable)
            return cacheable_get(answer, request, clock);
        return uncacheable(ocsp_response(as_chars(answer.der)));
    };
    // The common case, a pre-signed response held in memory, is answered on the I/O thread.
    get.io_thread_attempt = [responder, max_request_bytes,
                             &clock](const Request& request) -> std::optional<Response> {
        const auto der = decode_ocsp_get_path(request.path.substr(kGetPrefix.size()));
        if (!der || der->size() > max_request_bytes)
            return std::nullopt;
        auto answer = responder->answer_from_memory(*der);
        if (!answer)
            return std::nullopt;
        if (answer->cacheable)
            return cacheable_get(*answer, request, clock);
        return uncacheable(ocsp_response(as_chars(answer->der)));
    };
    router.add(get);

    Route bare = std::move(get);
    bare.io_thread_attempt = nullptr;
    bare.path = "/ocsp";
    bare.match = PathMatch::exact;
    bare.handler = [](const Request&) { return uncacheable(ocsp_response(kMalformedRequest)); };
    router.add(std::move(bare));
}

}  // namespace signet::api
