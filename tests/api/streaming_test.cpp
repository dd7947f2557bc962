// Streamed responses (Response::stream) over real loopback sockets: Content-Length and chunked
// framing, HTTP/1.0, HEAD, a producer failing (the body visibly truncated), a client leaving
// mid-body or not reading (the producer stops), the producer off the I/O thread, and the memory
// a 100 MiB body costs.
#include <fstream>
#include <limits>

#include "tests/api/server_kit.hpp"

namespace {

constexpr std::size_t kPiece = 64 * 1024;

char pattern_byte(std::uint64_t offset) {
    return static_cast<char>('a' + (offset * 7 + offset / 251) % 26);
}

// What a stream's producer did, as the test sees it.
struct StreamProbe {
    std::atomic<int> calls{0};
    std::atomic<int> destroyed{0};
    Gate gate;  // a producer with `wait_at` waits here before that piece

    // Waits (bounded) until `count` producers were destroyed.
    bool wait_destroyed(int count = 1, std::chrono::milliseconds limit = 10s) const {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (destroyed.load() < count) {
            if (std::chrono::steady_clock::now() > until)
                return false;
            std::this_thread::sleep_for(5ms);
        }
        return true;
    }
};

// A producer of `total` pattern bytes (unbounded when nullopt) in 64 KiB pieces, failing before
// the piece `fail_at` and waiting at the gate before the piece `wait_at`.
struct PatternSource {
    std::shared_ptr<StreamProbe> probe;
    std::optional<std::uint64_t> total;
    int fail_at = -1;
    int wait_at = -1;
    std::uint64_t offset = 0;
    int piece = 0;

    PatternSource(std::shared_ptr<StreamProbe> p, std::optional<std::uint64_t> t)
        : probe(std::move(p)), total(t) {}
    PatternSource(const PatternSource&) = delete;
    ~PatternSource() { ++probe->destroyed; }

    std::string next() {
        ++probe->calls;
        if (piece == wait_at)
            probe->gate.enter();
        if (piece++ == fail_at)
            throw Error(Errc::unavailable, "the document store went away");
        std::size_t size = kPiece;
        if (total)
            size = static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, *total - offset));
        std::string out(size, '\0');
        for (char& c : out)
            c = pattern_byte(offset++);
        return out;
    }
};

// /stream?bytes=N|endless[&known][&fail=K][&wait=K]: N pattern bytes, declared (Content-Length)
// or not (chunked).
Response stream_handler(const std::shared_ptr<StreamProbe>& probe, const Request& request) {
    const std::string query(request.query);
    const auto parameter = [&](std::string_view name) -> std::optional<std::string> {
        const std::string key = std::string(name) + "=";
        const auto at = query.find(key);
        if (at == std::string::npos)
            return std::nullopt;
        const auto end = query.find('&', at);
        return query.substr(at + key.size(),
                            end == std::string::npos ? end : end - at - key.size());
    };
    const std::string bytes = parameter("bytes").value_or("0");
    const std::optional<std::uint64_t> total =
        bytes == "endless" ? std::nullopt : std::optional<std::uint64_t>(std::stoull(bytes));
    auto source = std::make_shared<PatternSource>(probe, total);
    source->fail_at = std::stoi(parameter("fail").value_or("-1"));
    source->wait_at = std::stoi(parameter("wait").value_or("-1"));
    const bool known = query.find("known") != std::string::npos;
    return Response::stream("application/octet-stream", known ? total : std::nullopt,
                            [source] { return source->next(); });
}

struct StreamServer {
    explicit StreamServer(unsigned io_threads = 2)
        : probe(std::make_shared<StreamProbe>()),
          server(options(io_threads), router(probe), quiet_context()) {}

    static ServerOptions options(unsigned io_threads) {
        ServerOptions o = test_options();
        o.threads = io_threads;
        o.limits.read_timeout = 2s;  // per piece written
        return o;
    }
    static Router router(const std::shared_ptr<StreamProbe>& probe) {
        Router r;
        r.add(route(http::verb::get, "/stream", ListenerSet::both(),
                    [probe](const Request& request) { return stream_handler(probe, request); }));
        r.add(route(http::verb::get, "/fast", ListenerSet::both(),
                    [](const Request&) { return Response::text("fast"); }));
        return r;
    }

    std::shared_ptr<StreamProbe> probe;
    RunningServer server;
};

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer keeps freed memory in a quarantine (256 MiB by default) instead of reusing it,
// so the resident set grows with every piece ever allocated and says nothing of what is held;
// its allocator's count of live heap bytes does.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
long memory_in_use_kib() {
    return static_cast<long>(__sanitizer_get_current_allocated_bytes() / 1024);
}
#else
// The process's resident set now, in KiB (the server runs in this process).
long memory_in_use_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stol(line.substr(6));
    }
    return -1;
}
#endif

// A response read incrementally into a fixed buffer (as a client saving a download would):
// the bytes checked against the pattern as they come, never held.
struct Download {
    unsigned status = 0;
    std::map<std::string, std::string> fields;
    std::uint64_t bytes = 0;
    bool pattern_ok = true;
    boost::system::error_code error;  // set when the body ended before its framing said
    long peak_memory_kib = 0;         // the process's, sampled every MiB while reading
};

template <class Stream>
Download download(Stream& stream, beast::flat_buffer& buffer, std::uint64_t stop_after = ~0ull) {
    Download result;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    http::read_header(stream, buffer, parser);
    result.status = parser.get().result_int();
    for (const auto& field : parser.get())
        result.fields[std::string(field.name_string())] = std::string(field.value());
    std::vector<char> piece(16 * 1024);
    while (!parser.is_done() && result.bytes < stop_after) {
        parser.get().body().data = piece.data();
        parser.get().body().size = piece.size();
        boost::system::error_code ec;
        http::read(stream, buffer, parser, ec);
        const std::size_t got = piece.size() - parser.get().body().size;
        for (std::size_t i = 0; i < got; ++i)
            result.pattern_ok = result.pattern_ok && piece[i] == pattern_byte(result.bytes + i);
        if ((result.bytes + got) >> 20 != result.bytes >> 20)
            result.peak_memory_kib = std::max(result.peak_memory_kib, memory_in_use_kib());
        result.bytes += got;
        if (ec == http::error::need_buffer)
            continue;
        if (ec) {
            result.error = ec;
            break;
        }
    }
    return result;
}

std::string raw_request(std::string_view target, std::string_view version = "1.1",
                        std::string_view method = "GET") {
    return std::string(method) + " " + std::string(target) + " HTTP/" + std::string(version) +
           "\r\nHost: 127.0.0.1\r\n\r\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_streaming)

BOOST_AUTO_TEST_CASE(a_declared_length_is_content_length_and_the_connection_serves_on) {
    StreamServer s;
    const std::uint64_t total = 5 * kPiece + 123;
    const std::string target = "/stream?bytes=" + std::to_string(total) + "&known";
    PlainClient plain(s.server.http_port());
    TlsClient tls(s.server.https_port(), {});
    BOOST_REQUIRE(!tls.handshake());
    for (const bool over_tls : {false, true}) {
        BOOST_TEST_CONTEXT((over_tls ? "HTTPS" : "HTTP")) {
            const HttpResponse response =
                over_tls ? tls.request(make_request(http::verb::get, target)) : plain.get(target);
            BOOST_CHECK_EQUAL(response.result_int(), 200u);
            BOOST_CHECK_EQUAL(std::string(response[http::field::content_length]),
                              std::to_string(total));
            BOOST_CHECK(response.find(http::field::transfer_encoding) == response.end());
            BOOST_CHECK_EQUAL(response.body().size(), total);
            bool same = true;
            for (std::size_t i = 0; i < response.body().size(); ++i)
                same = same && response.body()[i] == pattern_byte(i);
            BOOST_CHECK(same);
            BOOST_CHECK(response.keep_alive());
            const auto next = make_request(http::verb::get, "/fast");
            BOOST_CHECK_EQUAL((over_tls ? tls.request(next) : plain.request(next)).body(), "fast");
        }
    }
}

BOOST_AUTO_TEST_CASE(an_unknown_length_is_chunked_or_for_http10_ends_with_the_connection) {
    StreamServer s;
    PlainClient client(s.server.http_port());
    const std::uint64_t total = 3 * kPiece + 5;
    client.send_raw(raw_request("/stream?bytes=" + std::to_string(total)));
    const HttpResponse chunked = client.read_response();
    BOOST_CHECK_EQUAL(std::string(chunked[http::field::transfer_encoding]), "chunked");
    BOOST_CHECK(chunked.find(http::field::content_length) == chunked.end());
    BOOST_CHECK_EQUAL(chunked.body().size(), total);
    BOOST_CHECK(chunked.keep_alive());
    BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");  // the last chunk ended it exactly

    // An empty body: the last chunk alone.
    BOOST_CHECK_EQUAL(client.get("/stream?bytes=0").body(), "");
    BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");

    // HTTP/1.0 has no chunked coding (RFC 9112 §7): the close ends the body.
    PlainClient old(s.server.http_port());
    old.send_raw(raw_request("/stream?bytes=" + std::to_string(total), "1.0"));
    const HttpResponse until_close = old.read_response();
    BOOST_CHECK(until_close.find(http::field::transfer_encoding) == until_close.end());
    BOOST_CHECK(until_close.find(http::field::content_length) == until_close.end());
    BOOST_CHECK_EQUAL(std::string(until_close[http::field::connection]), "close");
    BOOST_CHECK_EQUAL(until_close.body().size(), total);
    BOOST_CHECK(old.closed_by_server());
}

BOOST_AUTO_TEST_CASE(head_gets_the_framing_and_never_calls_the_producer) {
    StreamServer s;
    PlainClient client(s.server.http_port());
    client.send_raw(raw_request("/stream?bytes=1000000&known", "1.1", "HEAD"));
    const HttpResponse known = client.read_response(true);
    BOOST_CHECK_EQUAL(std::string(known[http::field::content_length]), "1000000");
    client.send_raw(raw_request("/stream?bytes=1000000", "1.1", "HEAD"));
    const HttpResponse unknown = client.read_response(true);
    // RFC 9112 §6.1: a HEAD response may show the coding a GET would have had.
    BOOST_CHECK_EQUAL(std::string(unknown[http::field::transfer_encoding]), "chunked");
    BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");  // nothing stray on the connection
    BOOST_CHECK(s.probe->wait_destroyed(2));
    BOOST_CHECK_EQUAL(s.probe->calls.load(), 0);
}

BOOST_AUTO_TEST_CASE(a_producer_failing_at_once_is_answered_with_a_problem) {
    StreamServer s;
    PlainClient client(s.server.http_port());
    expect_problem(client.get("/stream?bytes=1000000&known&fail=0"), 503, "unavailable");
    BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");
}

BOOST_AUTO_TEST_CASE(a_producer_failing_midway_leaves_a_visibly_truncated_body) {
    StreamServer s;
    const std::uint64_t total = 8 * kPiece;
    for (const bool known : {true, false}) {
        BOOST_TEST_CONTEXT((known ? "Content-Length" : "chunked")) {
            net::io_context ioc;
            tcp::socket socket(ioc);
            socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.server.http_port()));
            set_receive_timeout(socket, 5s);
            const std::string target =
                "/stream?bytes=" + std::to_string(total) + "&fail=3" + (known ? "&known" : "");
            net::write(socket, net::buffer(raw_request(target)));
            beast::flat_buffer buffer;
            const Download got = download(socket, buffer);
            BOOST_CHECK_EQUAL(got.status, 200u);
            BOOST_CHECK_EQUAL(got.bytes, 3 * kPiece);
            BOOST_CHECK(got.pattern_ok);
            // The parser knows the body is not whole: the connection closed before its end.
            BOOST_CHECK(got.error == http::error::partial_message);
        }
    }
    BOOST_CHECK(s.probe->wait_destroyed(2));
}

BOOST_AUTO_TEST_CASE(a_client_leaving_midway_stops_the_producer_and_others_are_served) {
    StreamServer s(1);  // one I/O thread: the others are served on the same event loop
    {
        net::io_context ioc;
        tcp::socket socket(ioc);
        socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.server.http_port()));
        set_receive_timeout(socket, 5s);
        net::write(socket, net::buffer(raw_request("/stream?bytes=endless")));
        beast::flat_buffer buffer;
        const Download half = download(socket, buffer, 4 * 1024 * 1024);
        BOOST_CHECK(half.pattern_ok);
        BOOST_CHECK(half.bytes >= 4u * 1024 * 1024);
        // The socket closes here with unread data: the server's next write fails.
    }
    BOOST_CHECK(s.probe->wait_destroyed());
    const int calls = s.probe->calls.load();
    std::this_thread::sleep_for(100ms);
    BOOST_CHECK_EQUAL(s.probe->calls.load(), calls);  // and it is not called any more
    PlainClient other(s.server.http_port());
    BOOST_CHECK_EQUAL(other.get("/fast").body(), "fast");
}

BOOST_AUTO_TEST_CASE(a_client_that_stops_reading_is_closed_after_the_write_timeout) {
    StreamServer s;
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.server.http_port()));
    net::write(socket, net::buffer(raw_request("/stream?bytes=endless")));
    // Nothing read: the socket buffers fill, a write stalls past read_timeout.
    BOOST_CHECK(s.probe->wait_destroyed(1, 20s));
    PlainClient other(s.server.http_port());
    BOOST_CHECK_EQUAL(other.get("/fast").body(), "fast");
}

BOOST_AUTO_TEST_CASE(the_producer_runs_off_the_io_thread) {
    StreamServer s(1);  // one I/O thread, which a producer on it would block
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.server.http_port()));
    set_receive_timeout(socket, 10s);
    const std::uint64_t total = 4 * kPiece;
    net::write(socket, net::buffer(raw_request("/stream?bytes=" + std::to_string(total) +
                                               "&known&wait=2")));
    BOOST_REQUIRE(s.probe->gate.wait_inside(1));  // the producer waits before its third piece
    PlainClient other(s.server.http_port());
    BOOST_CHECK_EQUAL(other.get("/fast").body(), "fast");
    s.probe->gate.release();
    beast::flat_buffer buffer;
    const Download whole = download(socket, buffer);
    BOOST_CHECK(!whole.error);
    BOOST_CHECK_EQUAL(whole.bytes, total);
    BOOST_CHECK(whole.pattern_ok);
}

BOOST_AUTO_TEST_CASE(a_100_mib_body_costs_about_one_piece_of_memory) {
    StreamServer s;
    const std::uint64_t total = std::uint64_t{100} << 20;
    const long before = memory_in_use_kib();
    for (const bool known : {true, false}) {
        BOOST_TEST_CONTEXT((known ? "Content-Length" : "chunked")) {
            net::io_context ioc;
            tcp::socket socket(ioc);
            socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.server.http_port()));
            set_receive_timeout(socket, 30s);
            net::write(socket, net::buffer(raw_request("/stream?bytes=" + std::to_string(total) +
                                                       (known ? "&known" : ""))));
            beast::flat_buffer buffer;
            const Download whole = download(socket, buffer);
            BOOST_CHECK(!whole.error);
            BOOST_CHECK_EQUAL(whole.bytes, total);
            BOOST_CHECK(whole.pattern_ok);
            // The memory in use while the body passes through (sampled each MiB), against the
            // level before: held whole, the body alone would add 102,400 KiB.
            const long growth = whole.peak_memory_kib - before;
            BOOST_TEST_MESSAGE("memory in use grew by at most " << growth
                                                               << " KiB while streaming 100 MiB");
            BOOST_CHECK_LT(growth, 16 * 1024);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
