// Graceful shutdown: SIGTERM, the grace, and what outlives it.
#include "tests/api/server_kit.hpp"

BOOST_AUTO_TEST_SUITE(api_shutdown)

BOOST_AUTO_TEST_CASE(sigterm_lets_the_request_in_flight_finish) {
    ServerFixture fixture(test_options(), /*handle_signals=*/true);
    const std::uint16_t port = fixture.server.http_port();

    PlainClient idle(port);  // kept alive, between requests when the signal comes
    BOOST_CHECK_EQUAL(idle.get("/fast").body(), "fast");

    auto started = fixture.probe->sleeper_started.get_future();
    std::promise<HttpResponse> answered;
    auto answer = answered.get_future();
    std::thread caller([&] {
        try {
            PlainClient client(port);
            answered.set_value(client.get("/sleep"));  // the handler takes 300 ms
        } catch (...) {
            answered.set_exception(std::current_exception());
        }
    });
    BOOST_REQUIRE(started.wait_for(5s) == std::future_status::ready);
    BOOST_REQUIRE_EQUAL(::kill(::getpid(), SIGTERM), 0);

    const HttpResponse response = answer.get();
    caller.join();
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    BOOST_CHECK_EQUAL(response.body(), "done");
    BOOST_CHECK(!response.keep_alive());  // Connection: close, the server is going
    BOOST_CHECK(idle.closed_by_server());
    BOOST_CHECK(fixture.server.exits_within(10s));

    // Nobody listens any more.
    net::io_context ioc;
    tcp::socket socket(ioc);
    boost::system::error_code ec;
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    BOOST_CHECK(ec);
}

BOOST_AUTO_TEST_CASE(stop_closes_what_outlives_the_grace) {
    ServerFixture fixture;
    // A client that never finishes its request holds no one up beyond the grace.
    PlainClient partial(fixture.server.http_port());
    partial.send_raw("GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n");  // header not finished
    std::this_thread::sleep_for(50ms);
    fixture.server.server().stop(100ms);
    BOOST_CHECK(fixture.server.exits_within(10s));
    BOOST_CHECK(partial.closed_by_server());
}

BOOST_AUTO_TEST_CASE(a_handler_stuck_past_the_grace_is_abandoned) {
    // The handler waits until the end of the test; stop() must still make run() return, and
    // the log names the request left behind.
    auto gate = std::make_shared<Gate>();
    TempDir dir("signet-api-stuck");
    Router router;
    router.add(route(http::verb::get, "/stuck", ListenerSet::both(), [gate](const Request&) {
        return Response::text(gate->enter(60s) ? "released" : "never released");
    }));
    ServerContext context;
    context.log = std::make_shared<Logger>(LogDestination::file(dir / "server.log"));
    auto log = context.log;
    auto server =
        std::make_unique<RunningServer>(test_options(), std::move(router), std::move(context));
    // Released before the server is destroyed, whatever happens (then a hang ends with the test).
    struct Release {
        std::shared_ptr<Gate> gate;
        ~Release() { gate->release(); }
    };

    PlainClient client(server->http_port());
    client.send_raw("GET /stuck HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    BOOST_REQUIRE(gate->wait_inside(1));
    const auto stopped_at = std::chrono::steady_clock::now();
    server->server().stop(200ms);
    {
        Release release{gate};
        BOOST_REQUIRE(server->exits_within(15s));
        // The promise (issue 10): out within the grace plus one second. Measured from stop() to
        // run()'s return; the bound is the promise itself, not a speed goal.
        const auto took = std::chrono::steady_clock::now() - stopped_at;
        BOOST_CHECK_MESSAGE(took < 200ms + 1s,
                            "run() returned "
                                << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                << " ms after stop(200 ms)");
        BOOST_CHECK_EQUAL(server->server().abandoned_requests(), 1u);
        BOOST_CHECK(client.closed_by_server());  // no answer: the request was abandoned
        log->flush();
        const auto lines = read_json_lines(dir / "server.log");
        bool named = false;
        for (const auto& line : lines) {
            if (line.value("msg", "").find("abandoning a request") == std::string::npos)
                continue;
            named =
                line.value("route", "") == "/stuck" && line.value("request_id", "").size() == 36;
        }
        BOOST_CHECK_MESSAGE(named, "no log line names the abandoned request");
        if (named)
            server.reset();  // run() has returned: safe to destroy with the handler still stuck
    }
}

BOOST_AUTO_TEST_CASE(a_health_check_hanging_at_shutdown_counts_as_abandoned) {
    // A /healthz check stuck inside a dependency (a hung HSM module) still uses what signetd
    // would close after run() returns: run() must say so, so that signetd exits without closing
    // the token under it. A check that finishes in time is not counted.
    auto gate = std::make_shared<Gate>();
    ServerOptions options = test_options();
    options.health_check_deadline = 100ms;
    ServerContext context;
    context.health_checks.push_back({"hangs", [gate] {
                                         gate->enter(60s);
                                         return HealthResult{};
                                     }});
    auto server = std::make_unique<RunningServer>(std::move(options), Router{}, std::move(context));
    struct Release {
        std::shared_ptr<Gate> gate;
        ~Release() { gate->release(); }
    };
    Release release{gate};

    PlainClient client(server->http_port());
    const auto health = client.get("/healthz");
    BOOST_CHECK_EQUAL(health.result_int(), 503u);  // "did not answer within 100 ms"
    BOOST_REQUIRE(gate->wait_inside(1));
    server->server().stop(100ms);
    BOOST_REQUIRE(server->exits_within(15s));
    BOOST_CHECK_EQUAL(server->server().abandoned_requests(), 1u);
    gate->release();
}

BOOST_AUTO_TEST_CASE(a_health_check_that_returns_is_not_abandoned) {
    ServerOptions options = test_options();
    ServerContext context;
    context.health_checks.push_back({"quick", [] { return HealthResult{}; }});
    RunningServer server(std::move(options), Router{}, std::move(context));
    PlainClient client(server.http_port());
    BOOST_CHECK_EQUAL(client.get("/healthz").result_int(), 200u);
    server.server().stop(100ms);
    BOOST_REQUIRE(server.exits_within(15s));
    BOOST_CHECK_EQUAL(server.server().abandoned_requests(), 0u);
}

BOOST_AUTO_TEST_SUITE_END()
