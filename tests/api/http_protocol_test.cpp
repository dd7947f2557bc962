// HTTP/1.1 over real loopback sockets: keep-alive and pipelining, HEAD, routing, problem
// documents, and the request framing rules and limits (400, 413, 431).
#include "tests/api/server_kit.hpp"

BOOST_AUTO_TEST_SUITE(api_http)

BOOST_FIXTURE_TEST_CASE(keep_alive_and_pipelining_answer_in_order, ServerFixture) {
    PlainClient client(server.http_port());
    // Three requests in one write; the first is the slowest, yet the answers keep the order.
    client.send_raw(
        "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        "GET /echo?n=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        "GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const HttpResponse first = client.read_response();
    const HttpResponse second = client.read_response();
    const HttpResponse third = client.read_response();
    BOOST_CHECK_EQUAL(first.body(), "slow");
    BOOST_CHECK_EQUAL(second.body(), "path=/echo;query=n=2;listener=http");
    BOOST_CHECK_EQUAL(third.body(), "fast");
    BOOST_CHECK(first.keep_alive() && second.keep_alive() && third.keep_alive());
    const std::set<std::string> ids{std::string(first["X-Request-Id"]),
                                    std::string(second["X-Request-Id"]),
                                    std::string(third["X-Request-Id"])};
    BOOST_CHECK_EQUAL(ids.size(), 3u);
    BOOST_CHECK(!first[http::field::date].empty());

    // The same connection serves on.
    for (int i = 0; i < 5; ++i)
        BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");

    // Connection: close is honoured.
    auto closing = make_request(http::verb::get, "/fast");
    closing.set(http::field::connection, "close");
    const HttpResponse last = client.request(closing);
    BOOST_CHECK(!last.keep_alive());
    BOOST_CHECK(client.closed_by_server());
}

BOOST_FIXTURE_TEST_CASE(head_is_served_by_the_get_route_without_a_body, ServerFixture) {
    PlainClient client(server.http_port());
    client.send_raw("HEAD /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const HttpResponse head = client.read_response(true);
    BOOST_CHECK_EQUAL(head.result_int(), 200u);
    BOOST_CHECK_EQUAL(std::string(head[http::field::content_length]), "4");
    BOOST_CHECK(head.body().empty());
    BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");  // nothing stray on the connection
}

BOOST_FIXTURE_TEST_CASE(routing_errors_are_problems, ServerFixture) {
    PlainClient client(server.http_port());
    expect_problem(client.get("/nowhere"), 404, "no-such-route");
    const HttpResponse wrong_method = client.request(make_request(http::verb::delete_, "/fast"));
    expect_problem(wrong_method, 405, "method-not-allowed");
    BOOST_CHECK_EQUAL(std::string(wrong_method[http::field::allow]), "GET, HEAD");
    // /v1 lives on HTTPS only: on plain HTTP it does not exist (404), and says where it is.
    const nlohmann::json v1 = expect_problem(client.get("/v1/contracts"), 404, "no-such-route");
    BOOST_CHECK(v1.value("detail", "").find("HTTPS") != std::string::npos);
    // A prefix route sees the rest of the path.
    const HttpResponse crl = client.get("/crl/root-2026.crl");
    BOOST_CHECK_EQUAL(crl.body(), "root-2026.crl");
    BOOST_CHECK_EQUAL(std::string(crl[http::field::content_type]), "application/pkix-crl");
    BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");  // still kept alive
}

BOOST_FIXTURE_TEST_CASE(service_errors_map_to_statuses, ServerFixture) {
    PlainClient client(server.http_port());
    const auto detail_of = [](const nlohmann::json& problem) {
        return problem.value("detail", "");
    };
    BOOST_CHECK_EQUAL(
        detail_of(expect_problem(client.get("/fail/invalid"), 400, "invalid-argument")),
        "the digest is not SHA-256");
    expect_problem(client.get("/fail/missing"), 404, "not-found");
    expect_problem(client.get("/fail/exists"), 409, "already-exists");
    expect_problem(client.get("/fail/denied"), 403, "permission-denied");
    expect_problem(client.get("/fail/precondition"), 409, "failed-precondition");
    expect_problem(client.get("/fail/unavailable"), 503, "unavailable");
    // Internal failures do not reveal their message.
    const nlohmann::json hsm = expect_problem(client.get("/fail/hsm"), 500, "internal-error");
    BOOST_CHECK(detail_of(hsm).find("CKR_DEVICE_ERROR") == std::string::npos);
    BOOST_CHECK(detail_of(hsm).find("C_Sign") == std::string::npos);
    expect_problem(client.get("/fail/other"), 500, "internal-error");
    // A handler trying to inject a header field gets a 500, not a split response.
    const HttpResponse injected = client.request(make_request(http::verb::put, "/bad-header"));
    expect_problem(injected, 500, "internal-error");
    BOOST_CHECK(injected.find("Set-Cookie") == injected.end());
    BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");
}

BOOST_AUTO_TEST_CASE(routes_are_validated) {
    const auto noop = [](const Request&) { return Response::text(""); };
    Router router;
    Route scoped_plain = route(http::verb::get, "/v1/x", ListenerSet::both(), noop);
    scoped_plain.scope = "x";
    BOOST_CHECK_THROW(router.add(scoped_plain), Error);  // credentials over plain HTTP
    BOOST_CHECK_THROW(router.add(route(http::verb::get, "relative", ListenerSet::both(), noop)),
                      Error);
    router.add(route(http::verb::get, "/a", ListenerSet::http_only(), noop));
    router.add(route(http::verb::get, "/a", ListenerSet::https_only(), noop));  // other listener
    BOOST_CHECK_THROW(router.add(route(http::verb::get, "/a", ListenerSet::both(), noop)), Error);
    // Longest prefix wins; the exact pattern beats any prefix.
    router.add(route(http::verb::get, "/p/", ListenerSet::both(), noop));
    Route p1 = route(http::verb::get, "/p/", ListenerSet::both(), noop);
    p1.match = PathMatch::prefix;
    Route p2 = route(http::verb::get, "/p/deep/", ListenerSet::both(), noop);
    p2.match = PathMatch::prefix;
    router.add(p1).add(p2);
    BOOST_CHECK_EQUAL(router.match(http::verb::get, "/p/deep/x", ListenerKind::http).route->path,
                      "/p/deep/");
    BOOST_CHECK(router.match(http::verb::get, "/p/x", ListenerKind::http).route->match ==
                PathMatch::prefix);
    BOOST_CHECK(router.match(http::verb::get, "/p/", ListenerKind::http).route->match ==
                PathMatch::exact);
}

BOOST_FIXTURE_TEST_CASE(oversized_body_is_413, ServerFixture) {
    {
        PlainClient client(server.http_port());
        BOOST_CHECK_EQUAL(
            client.request(make_request(http::verb::post, "/upload", std::string(1024, 'x')))
                .body(),
            "1024");
        const HttpResponse response =
            client.request(make_request(http::verb::post, "/upload", std::string(4096, 'x')));
        expect_problem(response, 413, "body-too-large");
        BOOST_CHECK(!response.keep_alive());  // the unread body makes the connection unusable
    }
    {
        // A chunked body has no Content-Length to check up front; it fails as it grows.
        PlainClient client(server.http_port());
        client.send_raw(
            "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            "800\r\n" +
            std::string(0x800, 'y') + "\r\n0\r\n\r\n");
        expect_problem(client.read_response(), 413, "body-too-large");
    }
    {
        // The default limit (64 KiB here) holds for routes without their own.
        PlainClient client(server.http_port());
        const HttpResponse response =
            client.request(make_request(http::verb::get, "/fast", std::string(70 * 1024, 'z')));
        expect_problem(response, 413, "body-too-large");
    }
}

BOOST_FIXTURE_TEST_CASE(oversized_header_is_431, ServerFixture) {
    PlainClient client(server.http_port());
    auto request = make_request(http::verb::get, "/fast");
    request.set("X-Filler", std::string(8 * 1024, 'h'));
    expect_problem(client.request(request), 431, "header-too-large");
}

BOOST_FIXTURE_TEST_CASE(malformed_requests_are_400, ServerFixture) {
    const auto expect_400 = [&](std::string_view raw) {
        BOOST_TEST_CONTEXT("request " << raw) {
            PlainClient client(server.http_port());
            client.send_raw(raw);
            const HttpResponse response = client.read_response();
            expect_problem(response, 400, "malformed-request");
            BOOST_CHECK(!response.keep_alive());
        }
    };
    expect_400("GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n");
    expect_400("GET /fast HTTP/9.1\r\nHost: 127.0.0.1\r\n\r\n");
    expect_400("GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 12x\r\n\r\n");
    expect_400("GET /fast HTTP/1.1\r\n\r\n");                                     // no Host
    expect_400("GET http://127.0.0.1/fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");  // not a path
    expect_400("GET /crl/../v1/contracts HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");   // dot segment
}

namespace {

// n bytes that differ from their neighbours, so a lost or repeated block shows.
std::string byte_pattern(std::size_t n) {
    std::string bytes(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        bytes[i] = static_cast<char>((i * 31 + i / 251 + 7) % 256);
    return bytes;
}

// Sends a raw request that must be refused: 400 malformed-request naming `detail_part`, the
// connection closed, and nothing after it (a smuggled request) ever answered.
void expect_refused_and_closed(std::uint16_t port, const std::string& raw, unsigned status,
                               std::string_view slug, std::string_view detail_part) {
    BOOST_TEST_CONTEXT("request " << raw.substr(0, 160)) {
        PlainClient client(port);
        client.send_raw(raw);
        const HttpResponse response = client.read_response();
        const nlohmann::json problem = expect_problem(response, status, slug);
        BOOST_CHECK_MESSAGE(problem.value("detail", "").find(detail_part) != std::string::npos,
                            "detail: " << problem.value("detail", ""));
        BOOST_CHECK(!response.keep_alive());
        BOOST_CHECK(client.closed_by_server());
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(large_bodies_arrive_whole_over_http_and_https) {
    Route bytes = route(http::verb::get, "/bytes/", ListenerSet::both(), [](const Request& r) {
        return Response::bytes(byte_pattern(std::stoul(std::string(r.path.substr(r.route.size())))),
                               "application/octet-stream");
    });
    bytes.match = PathMatch::prefix;
    Router router;
    router.add(std::move(bytes));
    ServerOptions options = test_options();
    options.limits.read_timeout = 30s;  // a response's write, on a busy machine
    RunningServer server(std::move(options), std::move(router), quiet_context());

    TlsClient tls(server.https_port(), {});
    BOOST_REQUIRE(!tls.handshake());
    PlainClient plain(server.http_port());
    for (const std::size_t size : {std::size_t{16383}, std::size_t{16384}, std::size_t{16385},
                                   std::size_t{1} << 20, std::size_t{10} << 20}) {
        const std::string target = "/bytes/" + std::to_string(size);
        const std::string expected = byte_pattern(size);
        for (const bool over_tls : {true, false}) {
            BOOST_TEST_CONTEXT(size << " bytes over " << (over_tls ? "HTTPS" : "HTTP")) {
                const auto request = make_request(http::verb::get, target);
                const HttpResponse response =
                    over_tls ? tls.request(request) : plain.request(request);
                BOOST_CHECK_EQUAL(response.result_int(), 200u);
                BOOST_CHECK_EQUAL(response.body().size(), size);
                BOOST_CHECK(response.body() == expected);
                BOOST_CHECK(response.keep_alive());
                // The connection is in step: the next answer is the next request's.
                const auto next = make_request(http::verb::get, "/bytes/3");
                BOOST_CHECK((over_tls ? tls.request(next) : plain.request(next)).body() ==
                            byte_pattern(3));
            }
        }
    }
}

BOOST_FIXTURE_TEST_CASE(ambiguous_body_framing_is_400_and_closes, ServerFixture) {
    // RFC 9112 §6.1, §6.3. Each body is a request of its own: were the body's length taken
    // differently, it would be answered as the next request.
    const std::string smuggled = "GET /echo?smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    const std::string length = std::to_string(smuggled.size());
    const std::string post = "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    const std::uint16_t port = server.http_port();
    for (const char* coding : {"gzip", "identity", "chunked, chunked", "gzip, chunked"}) {
        expect_refused_and_closed(port,
                                  post + "Transfer-Encoding: " + coding + "\r\n\r\n" + smuggled,
                                  400, "malformed-request", "Transfer-Encoding");
    }
    // Two field lines.
    expect_refused_and_closed(port,
                              post +
                                  "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                  "0\r\n\r\n" + smuggled,
                              400, "malformed-request", "Transfer-Encoding");
    // Both Transfer-Encoding and Content-Length, in either order.
    expect_refused_and_closed(
        port,
        post + "Transfer-Encoding: chunked\r\nContent-Length: " + length + "\r\n\r\n" + smuggled,
        400, "malformed-request", "");
    expect_refused_and_closed(
        port,
        post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + "0\r\n\r\n" + smuggled,
        400, "malformed-request", "");
    // Transfer-Encoding on HTTP/1.0, kept alive.
    expect_refused_and_closed(
        port,
        "POST /upload HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
            smuggled,
        400, "malformed-request", "HTTP/1.0");
    // One "chunked", in any case, is the chunked coding.
    PlainClient client(port);
    client.send_raw(post + "Transfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    const HttpResponse response = client.read_response();
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    BOOST_CHECK_EQUAL(response.body(), "5");
    BOOST_CHECK(response.keep_alive());
}

BOOST_FIXTURE_TEST_CASE(chunked_framing_counts_against_the_limits, ServerFixture) {
    // max_header_bytes is 4096 here, /upload takes 1024 bytes.
    const std::string head =
        "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::uint16_t port = server.http_port();
    // A chunk extension that never ends: refused once over the limit, not buffered forever.
    expect_refused_and_closed(port, head + "1;" + std::string(100'000, 'e'), 431,
                              "header-too-large", "chunk");
    // Small extensions add up.
    std::string many;
    for (int i = 0; i < 20; ++i)
        many += "1;ext=" + std::string(300, 'e') + "\r\nx\r\n";
    expect_refused_and_closed(port, head + many + "0\r\n\r\n", 431, "header-too-large", "chunk");
    // A zero-padded chunk size: more than 16 digits.
    expect_refused_and_closed(port, head + std::string(19, '0') + "1\r\nx\r\n0\r\n\r\n", 400,
                              "malformed-request", "16 hex digits");
    // Padding that never ends.
    expect_refused_and_closed(port, head + std::string(100'000, '0'), 431, "header-too-large",
                              "chunk");
    // A trailer section over 64 KiB (Beast would throw on its field) and one over the limit.
    expect_refused_and_closed(
        port, head + "1\r\nx\r\n0\r\nX-Trailer: " + std::string(70'000, 'v') + "\r\n\r\n", 431,
        "header-too-large", "trailer");
    expect_refused_and_closed(
        port, head + "1\r\nx\r\n0\r\nX-Trailer: " + std::string(5'000, 'v') + "\r\n\r\n", 431,
        "header-too-large", "trailer");
    // Chunk data counts against the body limit.
    expect_refused_and_closed(port, head + "401\r\n" + std::string(0x401, 'y') + "\r\n0\r\n\r\n",
                              413, "body-too-large", "1024");

    // Many small chunks, a short extension and a small trailer are fine.
    PlainClient client(port);
    std::string fine;
    for (int i = 0; i < 500; ++i)
        fine += "2\r\nxy\r\n";
    client.send_raw(head + "1;a=b\r\nz\r\n" + fine + "0\r\nX-Trailer: t\r\n\r\n");
    const HttpResponse response = client.read_response();
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    BOOST_CHECK_EQUAL(response.body(), "1001");  // framing is not body
    BOOST_CHECK(response.keep_alive());
}

BOOST_AUTO_TEST_CASE(trailer_fields_are_dropped) {
    // A trailer arrives after the server has judged the header: it must not pose as a field
    // of it (here, credentials).
    Router router;
    Route upload = route(http::verb::post, "/seen", ListenerSet::both(), [](const Request& r) {
        return Response::text(std::string(r.body) + "|" + std::string(r.header("X-Late")) + "|" +
                              std::string(r.header(http::field::authorization)));
    });
    router.add(std::move(upload));
    RunningServer server(test_options(), std::move(router), quiet_context());
    PlainClient client(server.http_port());
    client.send_raw(
        "POST /seen HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n0\r\nX-Late: 1\r\nAuthorization: Bearer smuggled\r\n\r\n");
    const HttpResponse response = client.read_response();
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    BOOST_CHECK_EQUAL(response.body(), "abc||");
    BOOST_CHECK_EQUAL(client.get("/nowhere").result_int(), 404u);  // still in step
}

BOOST_AUTO_TEST_SUITE_END()
