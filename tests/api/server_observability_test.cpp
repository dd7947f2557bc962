// The server's own routes and records: /metrics, /healthz, the access log.
#include "tests/api/server_kit.hpp"

BOOST_AUTO_TEST_SUITE(api_observability)

BOOST_FIXTURE_TEST_CASE(metrics_parse_as_prometheus_text, ServerFixture) {
    // A service's own metrics live in the same registry.
    metrics->counter("signet_hsm_operations_total", "HSM operations", {"operation"})
        .with({"sign"})
        .inc(3);
    metrics->gauge_callback("signet_db_pool_idle", "Idle database connections", [] { return 4.0; });
    PlainClient client(server.http_port());
    for (int i = 0; i < 3; ++i)
        client.get("/fast");
    client.get("/nowhere");

    const HttpResponse response = client.get("/metrics");
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    BOOST_CHECK_EQUAL(std::string(response[http::field::content_type]),
                      "text/plain; version=0.0.4; charset=utf-8");
    BOOST_TEST_MESSAGE(response.body());
    const auto samples = parse_prometheus(response.body());
    BOOST_CHECK_EQUAL(
        find_sample(samples, "signet_http_requests_total", {{"route", "/fast"}, {"status", "200"}})
            .value_or(-1),
        3.0);
    BOOST_CHECK_EQUAL(
        find_sample(samples, "signet_http_requests_total", {{"route", "(none)"}, {"status", "404"}})
            .value_or(-1),
        1.0);
    BOOST_CHECK_EQUAL(
        find_sample(samples, "signet_http_request_duration_seconds_count", {{"route", "/fast"}})
            .value_or(-1),
        3.0);
    BOOST_CHECK_GE(
        find_sample(samples, "signet_http_open_connections", {{"listener", "http"}}).value_or(-1),
        1.0);
    BOOST_CHECK_EQUAL(
        find_sample(samples, "signet_hsm_operations_total", {{"operation", "sign"}}).value_or(-1),
        3.0);
    BOOST_CHECK_EQUAL(find_sample(samples, "signet_db_pool_idle", {}).value_or(-1), 4.0);
}

BOOST_AUTO_TEST_CASE(metrics_can_require_a_scope_on_https) {
    ServerOptions options = test_options();
    options.metrics_listeners = ListenerSet::https_only();
    options.metrics_scope = "metrics:read";
    ServerFixture fixture(std::move(options));
    TlsClient client(fixture.server.https_port(), {});
    BOOST_REQUIRE(!client.handshake());
    expect_problem(client.request(make_request(http::verb::get, "/metrics")), 401,
                   "unauthenticated");
    PlainClient plain(fixture.server.http_port());
    expect_problem(plain.get("/metrics"), 404, "no-such-route");
}

BOOST_FIXTURE_TEST_CASE(healthz_reports_each_check, ServerFixture) {
    PlainClient client(server.http_port());
    HttpResponse response = client.get("/healthz");
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    nlohmann::json body = nlohmann::json::parse(response.body());
    BOOST_CHECK_EQUAL(body["status"], "ok");
    BOOST_CHECK_EQUAL(body["checks"]["database"]["status"], "ok");
    BOOST_CHECK_EQUAL(body["checks"]["database"]["detail"], "primary");
    BOOST_CHECK_EQUAL(body["checks"]["clock"]["status"], "ok");

    probe->database_up = false;
    response = client.get("/healthz");
    BOOST_CHECK_EQUAL(response.result_int(), 503u);
    body = nlohmann::json::parse(response.body());
    BOOST_CHECK_EQUAL(body["status"], "down");
    BOOST_CHECK_EQUAL(body["checks"]["database"]["status"], "down");
    BOOST_CHECK_EQUAL(body["checks"]["database"]["detail"], "connection refused");
    BOOST_CHECK_EQUAL(body["checks"]["clock"]["status"], "ok");
}

BOOST_AUTO_TEST_CASE(healthz_degraded_is_200_and_down_is_503) {
    const std::vector<HealthCheck> degraded{
        {"clock",
         [] {
             return HealthResult{HealthStatus::degraded, "unsynchronised"};
         }},
        {"database", [] {
             return HealthResult{HealthStatus::ok, "primary"};
         }}};
    Response response = health_response(degraded);
    BOOST_CHECK(response.status == http::status::ok);
    BOOST_CHECK_EQUAL(nlohmann::json::parse(response.body)["status"], "degraded");
    const std::vector<HealthCheck> down{
        {"clock",
         [] {
             return HealthResult{HealthStatus::degraded, "unsynchronised"};
         }},
        {"hsm", []() -> HealthResult { throw Error(Errc::unavailable, "token gone"); }}};
    response = health_response(down);
    BOOST_CHECK(response.status == http::status::service_unavailable);
    const auto body = nlohmann::json::parse(response.body);
    BOOST_CHECK_EQUAL(body["status"], "down");
    BOOST_CHECK_EQUAL(body["checks"]["hsm"]["detail"], "token gone");
}

BOOST_FIXTURE_TEST_CASE(access_log_has_one_line_per_request_and_no_secret, ServerFixture) {
    const TestPki& pki = TestPki::instance();
    std::string sign_id;
    {
        PlainClient client(server.http_port());
        client.get("/echo?password=hunter2");
        client.get("/crl/ca.crl");
        client.get("/nowhere");
    }
    {
        TlsClient client(server.https_port(), {TLS1_2_VERSION, TLS1_3_VERSION, &pki.reader, false});
        BOOST_REQUIRE(!client.handshake());
        auto request = make_request(http::verb::post, "/v1/contracts", "{\"secret\":\"body\"}");
        request.set(http::field::authorization, "Bearer " + std::string(kSignerToken));
        const HttpResponse response = client.request(request);
        BOOST_CHECK_EQUAL(response.result_int(), 200u);
        sign_id = std::string(response["X-Request-Id"]);
    }
    server.server().stop(1s);
    BOOST_REQUIRE(server.exits_within(10s));
    access_log->flush();

    const std::string text = signet::testing::read_file(dir / "access.log");
    BOOST_CHECK(text.find("hunter2") == std::string::npos);
    BOOST_CHECK(text.find(kSignerToken) == std::string::npos);
    BOOST_CHECK(text.find("secret") == std::string::npos);
    BOOST_CHECK(text.find("password") == std::string::npos);

    const auto lines = read_json_lines(dir / "access.log");
    BOOST_REQUIRE_EQUAL(lines.size(), 4u);
    std::map<std::string, nlohmann::json> by_route;
    for (const auto& line : lines) {
        for (const char* key : {"time", "level", "msg", "request_id", "remote", "listener",
                                "method", "route", "status", "bytes", "latency_ms", "client"}) {
            BOOST_CHECK_MESSAGE(line.contains(key), "missing " << key << " in " << line.dump());
        }
        by_route[line["route"].get<std::string>()] = line;
    }
    BOOST_CHECK_EQUAL(by_route["/echo"]["status"], 200);
    BOOST_CHECK_EQUAL(by_route["/echo"]["listener"], "http");
    BOOST_CHECK_EQUAL(by_route["/crl/"]["method"], "GET");
    BOOST_CHECK_EQUAL(by_route["(none)"]["status"], 404);
    const auto& sign = by_route["/v1/contracts"];
    BOOST_CHECK_EQUAL(sign["request_id"], sign_id);
    BOOST_CHECK_EQUAL(sign["client"], "signer");  // the token, presented explicitly, wins
    BOOST_CHECK_EQUAL(sign["listener"], "https");
    BOOST_CHECK_EQUAL(sign["method"], "POST");
    BOOST_CHECK(sign["latency_ms"].is_number());
    BOOST_CHECK(sign["bytes"].get<int>() > 0);
}

BOOST_AUTO_TEST_CASE(server_routes_answer_while_every_worker_is_blocked) {
    // Two workers, both held by handlers waiting on a latch (a slow database, a hung HSM);
    // one health check hangs too. /livez, /metrics and /healthz still answer.
    auto workers_gate = std::make_shared<Gate>();
    auto hsm_gate = std::make_shared<Gate>();
    Router router;
    router.add(route(http::verb::get, "/wait", ListenerSet::both(), [workers_gate](const Request&) {
        return Response::text(workers_gate->enter() ? "released" : "never released");
    }));
    Route livez = route(http::verb::get, "/livez", ListenerSet::both(),
                        [](const Request&) { return Response::json("{\"status\":\"ok\"}"); });
    livez.runs_on_io_thread = true;
    router.add(std::move(livez));
    ServerOptions options = test_options();
    options.worker_threads = 2;
    options.health_check_deadline = 300ms;
    ServerContext context = quiet_context();
    context.health_checks = {{"database",
                              [] {
                                  return HealthResult{HealthStatus::ok, "primary"};
                              }},
                             {"hsm", [hsm_gate] {
                                  return hsm_gate->enter()
                                             ? HealthResult{HealthStatus::ok, "session open"}
                                             : HealthResult{HealthStatus::down, "never released"};
                              }}};
    RunningServer server(std::move(options), std::move(router), std::move(context));
    const std::uint16_t port = server.http_port();

    PlainClient first(port);
    PlainClient second(port);
    first.send_raw("GET /wait HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    second.send_raw("GET /wait HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    BOOST_REQUIRE(workers_gate->wait_inside(2));

    PlainClient client(port);
    BOOST_CHECK_EQUAL(client.get("/livez").result_int(), 200u);
    const HttpResponse metrics = client.get("/metrics");
    BOOST_CHECK_EQUAL(metrics.result_int(), 200u);
    parse_prometheus(metrics.body());
    for (int round = 0; round < 2; ++round) {
        BOOST_TEST_CONTEXT("healthz round " << round) {
            const HttpResponse health = client.get("/healthz");
            BOOST_CHECK_EQUAL(health.result_int(), 503u);
            const auto body = nlohmann::json::parse(health.body());
            BOOST_CHECK_EQUAL(body["status"], "down");
            BOOST_CHECK_EQUAL(body["checks"]["database"]["status"], "ok");
            BOOST_CHECK_EQUAL(body["checks"]["hsm"]["status"], "down");
            BOOST_CHECK_EQUAL(body["checks"]["hsm"]["detail"], "did not answer within 300 ms");
        }
    }
    {
        // The hung check was started once, not once per request.
        std::lock_guard lock(hsm_gate->mutex);
        BOOST_CHECK_EQUAL(hsm_gate->inside, 1);
    }

    hsm_gate->release();
    workers_gate->release();
    BOOST_CHECK_EQUAL(first.read_response().body(), "released");
    BOOST_CHECK_EQUAL(second.read_response().body(), "released");
    // The hung run has finished (or is about to): a later /healthz sees the HSM again.
    bool healthy = false;
    for (int attempt = 0; attempt < 50 && !healthy; ++attempt) {
        healthy = client.get("/healthz").result_int() == 200;
        if (!healthy)
            std::this_thread::sleep_for(100ms);
    }
    BOOST_CHECK(healthy);
}

BOOST_AUTO_TEST_SUITE_END()
