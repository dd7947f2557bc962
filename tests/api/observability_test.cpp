// The logger and the metrics registry the server (and later the services) report through.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using signet::testing::TempDir;

BOOST_AUTO_TEST_SUITE(observability)

BOOST_AUTO_TEST_CASE(log_lines_are_json_whatever_the_input) {
    TempDir dir("signet-log-test");
    {
        LoggerOptions options;
        options.minimum = LogLevel::debug;
        Logger log(LogDestination::file(dir / "a.log"), options);
        log.info("quote \" backslash \\ newline \n tab \t bell \x07",
                 {{"invalid_utf8", std::string_view("\xff\xfe ok \xc3\xa9")},
                  {"count", 42},
                  {"unsigned", std::uint64_t{7}},
                  {"ratio", 0.25},
                  {"flag", true},
                  {"nothing", nullptr}});
        log.debug("shown at debug");
        log.set_minimum(LogLevel::warn);
        log.info("hidden below warn");
    }
    std::istringstream lines(signet::testing::read_file(dir / "a.log"));
    std::string line;
    std::vector<nlohmann::json> parsed;
    while (std::getline(lines, line))
        parsed.push_back(nlohmann::json::parse(line));
    BOOST_REQUIRE_EQUAL(parsed.size(), 2u);
    const auto& first = parsed[0];
    BOOST_CHECK_EQUAL(first["level"], "info");
    BOOST_CHECK_EQUAL(first["msg"], "quote \" backslash \\ newline \n tab \t bell \x07");
    BOOST_CHECK_EQUAL(first["invalid_utf8"], "\xef\xbf\xbd\xef\xbf\xbd ok \xc3\xa9");
    BOOST_CHECK_EQUAL(first["count"], 42);
    BOOST_CHECK_EQUAL(first["unsigned"], 7);
    BOOST_CHECK_EQUAL(first["ratio"], 0.25);
    BOOST_CHECK_EQUAL(first["flag"], true);
    BOOST_CHECK(first["nothing"].is_null());
    const std::string time = first["time"];
    BOOST_CHECK_EQUAL(time.size(), 27u);  // 2026-11-22T09:55:00.123456Z
    BOOST_CHECK_EQUAL(time.back(), 'Z');
    BOOST_CHECK_EQUAL(parsed[1]["msg"], "shown at debug");
}

BOOST_AUTO_TEST_CASE(log_lines_from_many_threads_stay_whole) {
    TempDir dir("signet-log-test");
    constexpr int kThreads = 8;
    constexpr int kLines = 2000;
    {
        Logger log(LogDestination::file(dir / "b.log"));
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&log, t] {
                for (int i = 0; i < kLines; ++i) {
                    log.info("line", {{"thread", t}, {"i", i}, {"pad", std::string(100, 'p')}});
                }
            });
        }
        for (auto& thread : threads)
            thread.join();
        log.flush();
        BOOST_CHECK_EQUAL(log.dropped_lines(), 0u);
    }
    std::istringstream lines(signet::testing::read_file(dir / "b.log"));
    std::string line;
    std::vector<int> next(kThreads, 0);
    int count = 0;
    while (std::getline(lines, line)) {
        const auto json = nlohmann::json::parse(line);
        const int thread = json["thread"];
        // One thread's lines keep their order.
        BOOST_REQUIRE_EQUAL(json["i"].get<int>(), next[static_cast<std::size_t>(thread)]++);
        ++count;
    }
    BOOST_CHECK_EQUAL(count, kThreads * kLines);
}

BOOST_AUTO_TEST_CASE(a_logger_that_falls_behind_drops_instead_of_blocking) {
    TempDir dir("signet-log-test");
    LoggerOptions options;
    options.max_buffered_bytes = 1024;
    options.flush_interval = std::chrono::milliseconds(10'000);
    Logger log(LogDestination::file(dir / "c.log"), options);
    for (int i = 0; i < 100; ++i)
        log.info("x", {{"pad", std::string(100, 'p')}});
    BOOST_CHECK_GT(log.dropped_lines(), 0u);
}

BOOST_AUTO_TEST_CASE(metrics_render_in_the_exposition_format) {
    MetricsRegistry registry;
    auto& requests = registry.counter("app_requests_total", "Requests\nby path", {"path"});
    requests.with({"/a \"quoted\" \\ path\n"}).inc();
    requests.with({"/b"}).inc(2);
    registry.gauge("app_temperature", "A gauge").with({}).set(-1.5);
    auto& latency = registry.histogram("app_latency_seconds", "Latency", {}, {0.1, 1});
    latency.with({}).observe(0.05);
    latency.with({}).observe(0.5);
    latency.with({}).observe(5);
    registry.callback("app_pool", "Pool", MetricType::gauge, {"state"}, [] {
        return std::vector<Sample>{{{"idle"}, 3}, {{"busy"}, 5}};
    });

    const std::string text = registry.render();
    BOOST_TEST_MESSAGE(text);
    const std::string expected =
        "# HELP app_requests_total Requests\\nby path\n"
        "# TYPE app_requests_total counter\n"
        "app_requests_total{path=\"/a \\\"quoted\\\" \\\\ path\\n\"} 1\n"
        "app_requests_total{path=\"/b\"} 2\n"
        "# HELP app_temperature A gauge\n"
        "# TYPE app_temperature gauge\n"
        "app_temperature -1.5\n"
        "# HELP app_latency_seconds Latency\n"
        "# TYPE app_latency_seconds histogram\n"
        "app_latency_seconds_bucket{le=\"0.1\"} 1\n"
        "app_latency_seconds_bucket{le=\"1\"} 2\n"
        "app_latency_seconds_bucket{le=\"+Inf\"} 3\n"
        "app_latency_seconds_sum 5.55\n"
        "app_latency_seconds_count 3\n"
        "# HELP app_pool Pool\n"
        "# TYPE app_pool gauge\n"
        "app_pool{state=\"idle\"} 3\n"
        "app_pool{state=\"busy\"} 5\n";
    BOOST_CHECK_EQUAL(text, expected);
}

BOOST_AUTO_TEST_CASE(metric_registrations_are_checked) {
    MetricsRegistry registry;
    auto& a = registry.counter("x_total", "X", {"k"});
    BOOST_CHECK_EQUAL(&registry.counter("x_total", "X again", {"k"}), &a);  // same definition
    BOOST_CHECK_THROW(registry.gauge("x_total", "X", {"k"}), Error);        // another type
    BOOST_CHECK_THROW(registry.counter("x_total", "X", {"other"}), Error);  // other labels
    BOOST_CHECK_THROW(registry.counter("1bad", "X"), Error);
    BOOST_CHECK_THROW(registry.counter("ok_total", "X", {"__reserved"}), Error);
    BOOST_CHECK_THROW(registry.histogram("h", "H", {"le"}, {1}), Error);
    BOOST_CHECK_THROW(registry.histogram("h", "H", {}, {2, 1}), Error);
    BOOST_CHECK_THROW(a.with({"one", "two"}), Error);  // wrong number of label values
    registry.gauge_callback("cb", "CB", [] { return 1.0; });
    BOOST_CHECK_THROW(registry.gauge_callback("cb", "CB", [] { return 2.0; }), Error);
}

BOOST_AUTO_TEST_SUITE_END()
