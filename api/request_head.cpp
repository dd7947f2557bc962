#include "api/request_head.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <exception>
#include <iterator>
#include <limits>
#include <stdexcept>

namespace signet::api::detail {

namespace {

using error_code = boost::system::error_code;

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

std::size_t count_fields(const http::fields& fields, http::field name) {
    const auto range = fields.equal_range(name);
    return static_cast<std::size_t>(std::distance(range.first, range.second));
}

bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

RequestProblem malformed(std::string detail) {
    return {&problems::malformed_request, std::move(detail)};
}

}  // namespace

std::optional<RequestProblem> check_request_head(const http::request_header<>& head,
                                                 std::string_view& path, std::string_view& query) {
    const std::string_view target = head.target();
    if (target.empty() || target.front() != '/')
        return malformed("the request-target must be a path (origin-form)");
    const std::size_t question = target.find('?');
    path = target.substr(0, question);
    query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    if (has_dot_segment(path))
        return malformed("the path must not contain '.' or '..' segments");

    // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, or with more than one.
    const std::size_t hosts = count_fields(head, http::field::host);
    if (head.version() >= 11 && hosts == 0)
        return malformed("an HTTP/1.1 request needs a Host header");
    if (hosts > 1)
        return malformed("a request must have one Host header, not " + std::to_string(hosts));

    // RFC 9112 §6.1, §6.3: a body's length is decided by exactly one rule, or the request is
    // refused and the connection closed: otherwise a front end and this server could disagree
    // on where the body ends, and the rest would be served as another request (smuggling).
    // Beast takes any coding list ending in "chunked" (and "chunked, chunked"), lets a
    // Content-Length after Transfer-Encoding win, and reads no body for "gzip" or "identity".
    const std::size_t codings = count_fields(head, http::field::transfer_encoding);
    if (codings > 0) {
        if (head.version() < 11) {
            return malformed(
                "Transfer-Encoding is not allowed in an HTTP/1.0 request (RFC 9112 §6.1)");
        }
        if (codings > 1 ||
            !boost::beast::iequals(head[http::field::transfer_encoding], "chunked")) {
            return malformed(
                "the only Transfer-Encoding accepted is a single \"chunked\" (RFC 9112 §6.1)");
        }
        if (head.find(http::field::content_length) != head.end()) {
            return malformed(
                "a request must not have both Transfer-Encoding and Content-Length "
                "(RFC 9112 §6.1)");
        }
    }
    return std::nullopt;
}

RequestReader::RequestReader(std::size_t max_header_bytes)
    : max_header_bytes_(
          std::min<std::size_t>(max_header_bytes, std::numeric_limits<std::uint32_t>::max())) {}

void RequestReader::start() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(max_header_bytes_));
    // The body limit depends on the route, known only after the head; Beast checks a
    // Content-Length against the limit set while the head is parsed, so none is set here and
    // the route's limit is applied by set_body_limit.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    parser_->on_chunk_header(chunk_header_callback_);
    header_bytes_ = 0;
    metadata_bytes_ = 0;
    fields_in_head_ = 0;
    body_limit_ = std::numeric_limits<std::uint64_t>::max();
    head_done_ = false;
    failed_ = false;
    path_ = {};
    query_ = {};
    problem_ = {};
}

bool RequestReader::set_body_limit(std::uint64_t limit) {
    body_limit_ = limit;
    if (const auto length = parser_->content_length(); length && *length > limit) {
        fail(http::error::body_limit);
        return false;
    }
    parser_->body_limit(limit);
    return true;
}

RequestReader::Step RequestReader::feed(std::string_view input, std::size_t& consumed) {
    consumed = 0;
    if (failed_)
        return Step::failed;
    error_code ec;
    try {
        input_ = input;
        consumed = parser_->put(boost::asio::const_buffer(input.data(), input.size()), ec);
        input_ = {};
    } catch (const std::length_error&) {
        // Beast's fields refuse a name or value over 64 KiB by throwing; the header limit
        // stops that first unless max_header_bytes is set higher.
        input_ = {};
        return fail(problems::header_too_large, "a header field is too large");
    } catch (const std::exception& e) {
        input_ = {};
        return fail(problems::malformed_request,
                    std::string("the request could not be parsed: ") + e.what());
    }
    if (failed_)  // refused by on_chunk_header
        return Step::failed;
    if (ec == http::error::need_more) {
        // Chunk data is taken as it comes, so what is left unparsed in the body is framing:
        // a chunk-size line or the trailer section, held until its end arrives.
        if (head_done_ && input.size() - consumed > metadata_budget() + kChunkLineAllowance) {
            return fail(problems::header_too_large,
                        "the chunked framing (chunk extensions and trailer fields) exceeds " +
                            std::to_string(max_header_bytes_) + " bytes with the header");
        }
        return Step::need_more;
    }
    if (ec)
        return fail(ec);
    if (!head_done_ && parser_->is_header_done())
        return on_head(consumed);
    if (parser_->is_done()) {
        if (parser_->chunked())
            drop_trailer_fields();
        return Step::complete;
    }
    return Step::need_more;
}

RequestReader::Step RequestReader::on_head(std::size_t header_bytes) {
    head_done_ = true;
    header_bytes_ = header_bytes;
    const auto& head = parser_->get();
    if (parser_->chunked())  // only a chunked body can bring trailer fields
        fields_in_head_ = static_cast<std::size_t>(std::distance(head.begin(), head.end()));
    if (auto problem = check_request_head(head, path_, query_)) {
        failed_ = true;
        problem_ = std::move(*problem);
        return Step::failed;
    }
    // From now on each put() parses as much of the body as it has.
    parser_->eager(true);
    return Step::head;
}

void RequestReader::on_chunk_header(std::uint64_t size, std::string_view extensions,
                                    error_code& ec) {
    // Beast calls this with the whole chunk-size line in input_, the extensions a view into it
    // right after the size's digits (and, for the last chunk, the whole trailer section after
    // it). RFC 9112 §7.1: chunk-size = 1*HEXDIG; 16 digits hold any 64-bit size, so more are
    // zero padding, which Beast would take without bound.
    const char* begin = input_.data();
    const char* end = begin + input_.size();
    const char* digits_end = extensions.data();
    if (digits_end == nullptr || digits_end < begin || digits_end > end) {
        ec = http::error::bad_chunk;  // not within what is parsed: never expected
        fail(problems::malformed_request, "the chunked framing could not be parsed");
        return;
    }
    std::size_t digits = 0;
    for (const char* p = digits_end; p > begin && is_hex_digit(p[-1]); --p)
        ++digits;
    if (digits > kMaxChunkSizeDigits) {
        ec = http::error::bad_chunk;
        fail(problems::malformed_request, "a chunk size has more than " +
                                              std::to_string(kMaxChunkSizeDigits) +
                                              " hex digits (RFC 9112 §7.1)");
        return;
    }
    metadata_bytes_ += extensions.size();
    if (size == 0) {
        // The last chunk: its line's CRLF, then the trailer section up to the empty line.
        const std::string_view rest(digits_end + extensions.size(),
                                    static_cast<std::size_t>(end - digits_end) - extensions.size());
        const std::size_t blank = rest.find("\r\n\r\n");
        if (blank != std::string_view::npos)
            metadata_bytes_ += blank + 4 - 2;  // the trailer section, after the line's CRLF
    }
    if (header_bytes_ + metadata_bytes_ > max_header_bytes_) {
        ec = http::error::bad_chunk_extension;
        fail(problems::header_too_large,
             "the chunked framing (chunk extensions and trailer fields) exceeds " +
                 std::to_string(max_header_bytes_) + " bytes with the header");
    }
}

RequestReader::Step RequestReader::fail(const ProblemType& type, std::string detail) {
    failed_ = true;
    problem_ = {&type, std::move(detail)};
    return Step::failed;
}

RequestReader::Step RequestReader::fail(error_code ec) {
    if (ec == http::error::header_limit) {
        return fail(problems::header_too_large,
                    "the request header exceeds " + std::to_string(max_header_bytes_) + " bytes");
    }
    if (ec == http::error::body_limit) {
        return fail(problems::body_too_large, "the body exceeds this route's limit of " +
                                                  std::to_string(body_limit_) + " bytes");
    }
    // A bad method, target, version, field, chunk, Content-Length...
    return fail(problems::malformed_request, "the request is not valid HTTP/1.1: " + ec.message());
}

std::size_t RequestReader::metadata_budget() const noexcept {
    const std::size_t used = header_bytes_ + metadata_bytes_;
    return used >= max_header_bytes_ ? 0 : max_header_bytes_ - used;
}

void RequestReader::drop_trailer_fields() {
    auto& fields = parser_->get();
    auto it = fields.begin();
    for (std::size_t i = 0; i < fields_in_head_ && it != fields.end(); ++i)
        ++it;
    while (it != fields.end())
        it = fields.erase(it);
}

}  // namespace signet::api::detail
