#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/problem.hpp"

// The request side of the wire format, without any I/O: the rules a request head must follow
// beyond what Beast checks, and RequestReader, which drives Beast's parser over the bytes a
// connection received and bounds everything a request may make the server hold. The session
// feeds it; so does the fuzz target (fuzz/http_head_fuzz.cpp), through the same code.
namespace signet::api::detail {

using RequestParser = http::request_parser<http::string_body>;

// How a request fails, as the client is told: always followed by closing the connection.
struct RequestProblem {
    const ProblemType* type = &problems::malformed_request;
    std::string detail{};
};

// The head rules (RFC 9112, RFC 9110), on a head Beast has parsed:
// - the request-target is a path (origin-form, §3.2.1) without "." or ".." segments;
// - an HTTP/1.1 request has exactly one Host field (§3.2);
// - Transfer-Encoding (§6.1, §6.3): only on HTTP/1.1, in one field line, exactly "chunked"
//   (any case), and never together with Content-Length.
// Sets path (the target up to '?') and query (after it) on success.
std::optional<RequestProblem> check_request_head(const http::request_header<>& head,
                                                 std::string_view& path, std::string_view& query);

// One request at a time: start(), then feed() the bytes received until it says head (the caller
// routes, sets the body limit and feeds on), complete, or failed. Memory is bounded: the header
// by max_header_bytes (431); a chunked body's framing — chunk extensions and the trailer section
// count against max_header_bytes together with the header (431), a chunk size has at most 16
// hex digits (400), chunk data against the body limit (413) — so the bytes the caller must keep
// unparsed never exceed max_header_bytes plus a line ending. Trailer fields are dropped
// (RFC 9112 §7.1.2 lets a recipient discard them), so nothing a client sends after the body can
// pose as a header field the server already judged. Nothing is thrown.
class RequestReader {
  public:
    enum class Step : std::uint8_t {
        need_more,  // feed more bytes (keep the unconsumed ones)
        head,       // the head is complete and follows the rules: route it, set_body_limit, feed on
        complete,   // the whole request is here
        failed,     // problem() says what to answer
    };

    // The bytes of a chunk-size line that are not metadata: CRLF, up to 16 digits, CRLF.
    static constexpr std::size_t kChunkLineAllowance = 2 + 16 + 2;
    static constexpr std::size_t kMaxChunkSizeDigits = 16;

    explicit RequestReader(std::size_t max_header_bytes);
    RequestReader(const RequestReader&) = delete;
    RequestReader& operator=(const RequestReader&) = delete;

    // Forgets the previous request: a fresh parser (Beast's parsers are single-use).
    void start();

    // Parses from the start of `input` (the bytes received and not yet consumed); `consumed`
    // says how many the caller may drop.
    Step feed(std::string_view input, std::size_t& consumed);

    // After Step::head: the body's limit, before feeding on. False (problem() is 413) when the
    // Content-Length already exceeds it: nothing of the body is read, nor room made for it.
    bool set_body_limit(std::uint64_t limit);
    std::uint64_t body_limit() const noexcept { return body_limit_; }

    const RequestParser& parser() const { return *parser_; }
    RequestParser& parser() { return *parser_; }
    std::string_view path() const noexcept { return path_; }
    std::string_view query() const noexcept { return query_; }
    const RequestProblem& problem() const noexcept { return problem_; }

  private:
    struct ChunkHeaderCallback {
        RequestReader* reader;
        void operator()(std::uint64_t size, std::string_view extensions,
                        boost::system::error_code& ec) {
            reader->on_chunk_header(size, extensions, ec);
        }
    };

    Step on_head(std::size_t header_bytes);
    void on_chunk_header(std::uint64_t size, std::string_view extensions,
                         boost::system::error_code& ec);
    Step fail(const ProblemType& type, std::string detail);
    Step fail(boost::system::error_code ec);
    std::size_t metadata_budget() const noexcept;
    void drop_trailer_fields();

    std::size_t max_header_bytes_;
    std::optional<RequestParser> parser_;
    ChunkHeaderCallback chunk_header_callback_{this};
    std::string_view input_;          // what the current put() parses, for the chunk callback
    std::size_t header_bytes_ = 0;    // the head's size
    std::size_t metadata_bytes_ = 0;  // chunk extensions and trailer so far
    std::size_t fields_in_head_ = 0;
    std::uint64_t body_limit_ = 0;
    bool head_done_ = false;
    bool failed_ = false;
    std::string_view path_;
    std::string_view query_;
    RequestProblem problem_;
};

}  // namespace signet::api::detail
