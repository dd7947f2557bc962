// Connections: timeouts, max_connections, and handlers that wait.
#include "tests/api/server_kit.hpp"

BOOST_AUTO_TEST_SUITE(api_connections)

BOOST_FIXTURE_TEST_CASE(a_slow_client_is_disconnected, ServerFixture) {
    // read_timeout is 500 ms for a whole request; this client needs ~10 s for its header.
    PlainClient client(server.http_port());
    const std::string header =
        "GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(200, 'a') + "\r\n\r\n";
    std::size_t sent = 0;
    bool disconnected = false;
    for (const char byte : header) {
        if (::send(client.socket().native_handle(), &byte, 1, MSG_NOSIGNAL) != 1) {
            disconnected = true;
            break;
        }
        ++sent;
        std::this_thread::sleep_for(50ms);
        pollfd pfd{client.socket().native_handle(), POLLIN, 0};
        if (::poll(&pfd, 1, 0) == 1) {
            char peek = 0;
            const ssize_t n = ::recv(pfd.fd, &peek, 1, MSG_DONTWAIT);
            BOOST_REQUIRE_MESSAGE(n <= 0, "the server answered instead of disconnecting");
            disconnected = true;
            break;
        }
    }
    BOOST_CHECK(disconnected);
    BOOST_CHECK_LT(sent, header.size());

    // An idle connection goes too (idle_timeout).
    PlainClient idle(server.http_port());
    BOOST_CHECK(idle.closed_by_server());
}

BOOST_AUTO_TEST_CASE(waiting_handlers_run_on_workers_and_hold_no_io_thread) {
    // One I/O thread and three workers: three handlers wait at once, a route that runs on the
    // I/O thread is still answered meanwhile, and a fourth waiting request queues for a worker
    // rather than failing.
    auto gate = std::make_shared<Gate>();
    Router router;
    router.add(route(http::verb::get, "/wait", ListenerSet::both(), [gate](const Request&) {
        return Response::text(gate->enter() ? "released" : "never released");
    }));
    Route on_io = route(http::verb::get, "/on-io", ListenerSet::both(),
                        [](const Request&) { return Response::text("answered"); });
    on_io.runs_on_io_thread = true;
    router.add(std::move(on_io));

    ServerOptions options = test_options();
    options.threads = 1;
    options.worker_threads = 3;
    RunningServer server(std::move(options), std::move(router), quiet_context());
    const std::uint16_t port = server.http_port();

    auto call = [port](std::string target) {
        return std::async(std::launch::async, [port, target] {
            PlainClient client(port);
            return client.get(target);
        });
    };
    std::vector<std::future<HttpResponse>> waiting;
    for (int i = 0; i < 3; ++i)
        waiting.push_back(call("/wait"));
    {
        std::unique_lock lock(gate->mutex);
        BOOST_REQUIRE(gate->changed.wait_for(lock, 10s, [&] { return gate->inside == 3; }));
    }
    auto queued = call("/wait");  // no worker free: it waits its turn

    PlainClient other(port);
    const HttpResponse answered = other.get("/on-io");
    BOOST_CHECK_EQUAL(answered.result_int(), 200u);
    BOOST_CHECK_EQUAL(answered.body(), "answered");
    {
        std::lock_guard lock(gate->mutex);
        BOOST_CHECK_EQUAL(gate->inside, 3);  // the fourth has not started
        gate->open = true;
    }
    gate->changed.notify_all();
    for (auto& response : waiting)
        BOOST_CHECK_EQUAL(response.get().body(), "released");
    BOOST_CHECK_EQUAL(queued.get().body(), "released");
    BOOST_CHECK_EQUAL(gate->inside, 4);
}

namespace {

// A router with /fast and /wait (its handler waits on the gate).
Router gated_router(std::shared_ptr<Gate> gate) {
    Router router;
    router.add(route(http::verb::get, "/fast", ListenerSet::both(),
                     [](const Request&) { return Response::text("fast"); }));
    router.add(route(http::verb::get, "/wait", ListenerSet::both(), [gate](const Request&) {
        return Response::text(gate->enter() ? "released" : "never released");
    }));
    return router;
}

std::optional<double> metric(PlainClient& client, const std::string& name,
                             const std::map<std::string, std::string>& labels) {
    return find_sample(parse_prometheus(client.get("/metrics").body()), name, labels);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_silent_connection_is_closed_after_the_header_timeout) {
    ServerOptions options = test_options();
    options.limits.header_timeout = 300ms;
    options.limits.read_timeout = 2s;
    options.limits.idle_timeout = 60s;  // far beyond the clients' 5 s receive timeout
    ServerFixture fixture(std::move(options));
    // Sends nothing: closed on the header timeout, not kept for the idle timeout.
    PlainClient silent(fixture.server.http_port());
    BOOST_CHECK(silent.closed_by_server());
    // Never starts its TLS handshake: the same.
    PlainClient silent_tls(fixture.server.https_port());
    BOOST_CHECK(silent_tls.closed_by_server());
    // Starts a request and never finishes its head: closed, with no answer.
    PlainClient partial(fixture.server.http_port());
    partial.send_raw("GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    BOOST_CHECK(partial.closed_by_server());
    // Between requests a kept-alive connection has the idle timeout: it outlives the header
    // timeout and serves on.
    PlainClient kept(fixture.server.http_port());
    BOOST_CHECK_EQUAL(kept.get("/fast").body(), "fast");
    std::this_thread::sleep_for(700ms);
    BOOST_CHECK_EQUAL(kept.get("/fast").body(), "fast");
}

BOOST_AUTO_TEST_CASE(at_max_connections_an_idle_connection_makes_room) {
    ServerOptions options = test_options();
    options.limits.max_connections = 4;
    options.limits.header_timeout = 30s;
    options.limits.idle_timeout = 30s;
    ServerFixture fixture(std::move(options));
    const std::uint16_t port = fixture.server.http_port();
    {
        // Every slot taken by a connection that sends nothing (accepted in order, before the
        // newcomer): the newcomer is served, the oldest of them is closed.
        std::vector<std::unique_ptr<PlainClient>> silent;
        for (int i = 0; i < 4; ++i)
            silent.push_back(std::make_unique<PlainClient>(port));
        PlainClient newcomer(port);
        const HttpResponse response = newcomer.get("/fast");
        BOOST_CHECK_EQUAL(response.result_int(), 200u);
        BOOST_CHECK_EQUAL(response.body(), "fast");
        BOOST_CHECK(silent.front()->closed_by_server());
        BOOST_CHECK_GE(metric(newcomer, "signet_http_evicted_connections_total", {}).value_or(0),
                       1.0);
    }
    {
        // The same with kept-alive connections between requests: the oldest goes, the others
        // serve on.
        std::vector<std::unique_ptr<PlainClient>> kept;
        for (int i = 0; i < 4; ++i) {
            kept.push_back(std::make_unique<PlainClient>(port));
            BOOST_CHECK_EQUAL(kept.back()->get("/fast").body(), "fast");
        }
        PlainClient newcomer(port);
        BOOST_CHECK_EQUAL(newcomer.get("/fast").body(), "fast");
        BOOST_CHECK(kept.front()->closed_by_server());
        BOOST_CHECK_EQUAL(kept.back()->get("/fast").body(), "fast");
    }
}

BOOST_AUTO_TEST_CASE(at_max_connections_with_every_connection_busy_a_newcomer_is_refused) {
    auto gate = std::make_shared<Gate>();
    ServerOptions options = test_options();
    options.limits.max_connections = 2;
    options.limits.idle_timeout = 30s;
    RunningServer server(std::move(options), gated_router(gate), quiet_context());
    const std::uint16_t port = server.http_port();

    PlainClient first(port);
    PlainClient second(port);
    first.send_raw("GET /wait HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    second.send_raw("GET /wait HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    BOOST_REQUIRE(gate->wait_inside(2));

    PlainClient third(port);
    third.send_raw("GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const HttpResponse refused = third.read_response();
    expect_problem(refused, 503, "overloaded");
    BOOST_CHECK_EQUAL(std::string(refused[http::field::retry_after]), "1");
    BOOST_CHECK(!refused.keep_alive());

    gate->release();
    BOOST_CHECK_EQUAL(first.read_response().body(), "released");
    BOOST_CHECK_EQUAL(second.read_response().body(), "released");
    BOOST_CHECK_EQUAL(
        metric(second, "signet_http_rejected_connections_total", {{"listener", "http"}})
            .value_or(-1),
        1.0);
}

BOOST_FIXTURE_TEST_CASE(a_stalled_upload_is_answered_408_and_closed, ServerFixture) {
    // read_timeout is 500 ms; the head comes, 10 of the 100 body bytes, then nothing.
    const std::string stalled =
        "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789";
    {
        PlainClient client(server.http_port());
        client.send_raw(stalled);
        const HttpResponse response = client.read_response();
        const nlohmann::json problem = expect_problem(response, 408, "request-timeout");
        BOOST_CHECK(problem.value("detail", "").find("500 ms") != std::string::npos);
        BOOST_CHECK(!response.keep_alive());
        BOOST_CHECK(client.closed_by_server());
    }
    {
        TlsClient client(server.https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        client.send_raw(stalled);
        const HttpResponse response = client.read_response();
        expect_problem(response, 408, "request-timeout");
        BOOST_CHECK(!response.keep_alive());
    }
}

BOOST_AUTO_TEST_SUITE_END()
