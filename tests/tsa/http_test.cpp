// RFC 3161 over HTTP (§3.4) as a client meets it: `openssl ts -query` makes the request, curl
// posts it to a real api::Server carrying the /tsa route (SoftHSM key, PostgreSQL journal), and
// `openssl ts -verify` judges the reply. Also: the exact reply content type, the only HTTP errors
// (405, 415, 413), each failInfo as an HTTP 200, the clock, and bodies that must not hurt it.
#include <boost/test/unit_test.hpp>
#include <random>
#include <thread>

#include "api/server.hpp"
#include "api/tsa_routes.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/signetd.hpp"
#include "tests/tsa/tsa_fixture.hpp"
#include "tsa/protocol.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;
using tsa::Failure;

namespace {

std::shared_ptr<Logger> quiet_log() {
    static auto log = std::make_shared<Logger>(LogDestination::standard_error(),
                                               LoggerOptions{.minimum = LogLevel::error});
    return log;
}

// The TSA fixture behind a running api::Server: /tsa, /healthz and /metrics on plain HTTP.
struct HttpFixture : TsaFixture {
    HttpFixture() : TsaFixture({.database = "tsa_http"}) {
        auto with_metrics = responder_options(options.settings);
        with_metrics.metrics = metrics;
        with_metrics.log = quiet_log();
        responder = std::make_shared<tsa::Responder>(std::move(with_metrics));
        api::Router router;
        api::add_tsa_routes(router, responder);
        api::ServerOptions server_options;
        server_options.http = {true, "127.0.0.1", 0};
        server_options.threads = 4;
        server_options.healthz_listeners = api::ListenerSet::http_only();
        server_options.metrics_listeners = api::ListenerSet::http_only();
        server = std::make_unique<api::Server>(
            std::move(server_options), std::move(router),
            api::ServerContext{nullptr,
                               metrics,
                               quiet_log(),
                               nullptr,
                               {api::tsa_health_check(responder, *clock)}});
        thread = std::thread([this] { server->run(); });
        port = server->http_port();
        write_pem(dir.path() / "tsa-and-issuing.pem", {tsa_certificate.get(), issuing.get()});
    }
    ~HttpFixture() {
        server->stop(1s);
        thread.join();
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/tsa"; }
    std::filesystem::path file(const std::string& name) const { return dir.path() / name; }

    std::shared_ptr<MetricsRegistry> metrics = std::make_shared<MetricsRegistry>();
    std::unique_ptr<api::Server> server;
    std::thread thread;
    std::uint16_t port = 0;
};

CommandResult run(const std::vector<std::string>& argv) {
    CommandResult result = run_command(argv);
    BOOST_TEST_MESSAGE(argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << " -> "
                               << result.exit_code << "\n"
                               << result.output);
    return result;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

Bytes bytes_of(const std::string& text) {
    return Bytes(text.begin(), text.end());
}

std::string text_of(const Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

HttpResponse post(std::uint16_t port, const Bytes& body,
                  const std::string& type = "application/timestamp-query") {
    return http_request(port, "POST", "/tsa", text_of(body), type);
}

void expect_http_rejection(const HttpResponse& response, Failure failure) {
    BOOST_CHECK_EQUAL(response.status, 200);
    BOOST_CHECK_EQUAL(response.headers.count("content-type") ? response.headers.at("content-type")
                                                             : std::string(),
                      "application/timestamp-reply");
    const ParsedReply reply = parse_reply(bytes_of(response.body));
    BOOST_CHECK_EQUAL(reply.status, 2);
    BOOST_CHECK(!reply.has_token);
    BOOST_REQUIRE_EQUAL(reply.failure_bits.size(), 1u);
    BOOST_CHECK_EQUAL(reply.failure_bits[0], static_cast<int>(failure));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tsa_http)

BOOST_FIXTURE_TEST_CASE(openssl_query_curl_and_openssl_verify, HttpFixture) {
    write_file(file("contract.pdf"), "%PDF-1.7 a contract to be time-stamped\n");
    int round = 0;
    for (const std::string digest : {"-sha256", "-sha384", "-sha512"}) {
        for (bool cert : {true, false}) {
            for (bool nonce : {true, false}) {
                const std::string n = std::to_string(++round);
                const auto query = file("q" + n + ".tsq");
                const auto reply = file("r" + n + ".tsr");
                const auto headers = file("h" + n + ".txt");
                std::vector<std::string> make{
                    "openssl", "ts",   "-query", "-data", file("contract.pdf"),
                    digest,    "-out", query};
                if (cert)
                    make.push_back("-cert");
                if (!nonce)
                    make.push_back("-no_nonce");
                BOOST_REQUIRE_EQUAL(run(make).exit_code, 0);

                const auto posted = run({"curl", "-sS", "--fail", "-o", reply, "-D", headers, "-H",
                                         "Content-Type: application/timestamp-query",
                                         "--data-binary", "@" + query.string(), url()});
                BOOST_REQUIRE_EQUAL(posted.exit_code, 0);
                const std::string head = read_file(headers);
                BOOST_CHECK(head.starts_with("HTTP/1.1 200"));
                // Exactly this content type, no parameter.
                BOOST_CHECK_MESSAGE(contains(head, "Content-Type: application/timestamp-reply\r\n"),
                                    head);

                // Without certReq the token holds no certificate: the TSA certificate comes as
                // untrusted, besides the issuing CA; with it, the issuing CA alone.
                const auto untrusted = cert ? issuing_pem() : file("tsa-and-issuing.pem");
                const auto verified = run({"openssl", "ts", "-verify", "-queryfile", query, "-in",
                                           reply, "-CAfile", root_pem(), "-untrusted", untrusted});
                BOOST_CHECK_EQUAL(verified.exit_code, 0);
                BOOST_CHECK_MESSAGE(
                    contains(verified.output, "Verification: OK"),
                    digest << (cert ? " -cert" : "") << (nonce ? "" : " -no_nonce"));

                const auto text = run({"openssl", "ts", "-reply", "-in", reply, "-text"});
                BOOST_CHECK(contains(text.output, "Status: Granted."));
                BOOST_CHECK_EQUAL(contains(text.output, "Nonce: unspecified"), !nonce);
                BOOST_CHECK(contains(text.output, "Accuracy: 0x01 seconds"));
                BOOST_CHECK(contains(text.output, "Ordering: no"));

                if (!cert) {
                    // ... and without it, nothing to verify the signature with.
                    const auto lacking =
                        run({"openssl", "ts", "-verify", "-queryfile", query, "-in", reply,
                             "-CAfile", root_pem(), "-untrusted", issuing_pem()});
                    BOOST_CHECK_NE(lacking.exit_code, 0);
                }
            }
        }
    }
    // The data itself instead of the query.
    const auto by_data = run({"openssl", "ts", "-verify", "-data", file("contract.pdf"), "-in",
                              file("r1.tsr"), "-CAfile", root_pem(), "-untrusted", issuing_pem()});
    BOOST_CHECK(contains(by_data.output, "Verification: OK"));
    // Another document: no.
    write_file(file("other.pdf"), "%PDF-1.7 another contract\n");
    const auto other = run({"openssl", "ts", "-verify", "-data", file("other.pdf"), "-in",
                            file("r1.tsr"), "-CAfile", root_pem(), "-untrusted", issuing_pem()});
    BOOST_CHECK_NE(other.exit_code, 0);
    BOOST_CHECK_EQUAL(tokens->count(), round);
}

BOOST_FIXTURE_TEST_CASE(only_method_and_content_type_are_http_errors, HttpFixture) {
    const Bytes request = make_request({});
    const auto get = http_request(port, "GET", "/tsa");
    BOOST_CHECK_EQUAL(get.status, 405);
    BOOST_CHECK_EQUAL(get.headers.count("allow") ? get.headers.at("allow") : "", "POST");

    for (const std::string type : {"", "application/octet-stream", "text/plain",
                                   "application/timestamp-reply", "application/timestamp-query2"}) {
        const auto response = post(port, request, type);
        BOOST_CHECK_EQUAL(response.status, 415);
        BOOST_CHECK_EQUAL(response.headers.at("content-type"), "application/problem+json");
        BOOST_CHECK(contains(response.body, "unsupported-media-type"));
    }
    // The media type's case and a parameter do not matter (RFC 9110 §8.3.1).
    for (const std::string type : {"application/timestamp-query", "Application/TimeStamp-Query",
                                   "application/timestamp-query; charset=binary"}) {
        const auto response = post(port, request, type);
        BOOST_CHECK_EQUAL(response.status, 200);
        BOOST_CHECK(parse_reply(bytes_of(response.body)).has_token);
    }
    // Over the route's body limit: 413 from the server before the body is read.
    const auto huge = post(port, Bytes(tsa::kMaxRequestBytes + 1, 0x30));
    BOOST_CHECK_EQUAL(huge.status, 413);
    // At the limit: read, and refused as a TimeStampResp.
    expect_http_rejection(post(port, Bytes(tsa::kMaxRequestBytes, 0x30)), Failure::bad_data_format);
    // Still serving.
    BOOST_CHECK(parse_reply(bytes_of(post(port, request).body)).has_token);
}

BOOST_FIXTURE_TEST_CASE(each_fail_info_is_an_http_200, HttpFixture) {
    expect_http_rejection(post(port, bytes_of("not a request")), Failure::bad_data_format);
    expect_http_rejection(post(port, {}), Failure::bad_data_format);
    expect_http_rejection(post(port, make_request({.imprint_size = 31})), Failure::bad_data_format);
    expect_http_rejection(post(port, make_request({.version = 2})), Failure::bad_request);
    expect_http_rejection(post(port, make_request({.digest_nid = NID_sha1})), Failure::bad_alg);
    expect_http_rejection(post(port, make_request({.digest_nid = NID_md5})), Failure::bad_alg);
    expect_http_rejection(post(port, make_request({.parameter_type = V_ASN1_INTEGER})),
                          Failure::bad_alg);
    expect_http_rejection(post(port, make_request({.policy = "1.2.3.4.5"})),
                          Failure::unaccepted_policy);
    expect_http_rejection(post(port, make_request({.extension = true})),
                          Failure::unaccepted_extension);

    // An unhealthy clock: timeNotAvailable, /healthz degraded (200), /metrics says so.
    clock->set_health({false, 0us, 16s, "the kernel reports the clock unsynchronised"});
    expect_http_rejection(post(port, make_request({})), Failure::time_not_available);
    const auto health = http_request(port, "GET", "/healthz");
    BOOST_CHECK_EQUAL(health.status, 200);
    BOOST_CHECK(contains(health.body, "\"degraded\""));
    BOOST_CHECK(contains(health.body, "timeNotAvailable"));
    BOOST_CHECK(contains(http_request(port, "GET", "/metrics").body, "signet_tsa_clock_usable 0"));
    clock->set_health({true, 1ms, 2ms, ""});
    BOOST_CHECK(parse_reply(bytes_of(post(port, make_request({})).body)).has_token);
    BOOST_CHECK(contains(http_request(port, "GET", "/healthz").body, "\"ok\""));
    const std::string metrics_text = http_request(port, "GET", "/metrics").body;
    BOOST_CHECK(contains(metrics_text, "signet_tsa_clock_usable 1"));
    BOOST_CHECK(contains(metrics_text, "signet_tsa_responses_total{result=\"granted\"} 1"));
    BOOST_CHECK(contains(metrics_text, "signet_tsa_responses_total{result=\"badAlg\"} 3"));
    BOOST_CHECK(
        contains(metrics_text, "signet_tsa_responses_total{result=\"timeNotAvailable\"} 1"));

    // A database outage: systemFailure, HTTP 200 all the same, no token.
    auto& postgres = TestCluster::instance().server();
    postgres.stop();
    expect_http_rejection(post(port, make_request({})), Failure::system_failure);
    postgres.start();
}

BOOST_AUTO_TEST_CASE(no_tsa_certificate_answers_system_failure) {
    api::Router router;
    api::add_tsa_routes(router, nullptr, "no TSA certificate yet: run the key ceremony");
    api::ServerOptions options;
    options.http = {true, "127.0.0.1", 0};
    options.threads = 1;
    api::Server bare(std::move(options), std::move(router),
                     api::ServerContext{nullptr, nullptr, quiet_log(), nullptr, {}});
    std::thread runner([&] { bare.run(); });
    const auto response = post(bare.http_port(), make_request({}));
    bare.stop(1s);
    runner.join();
    expect_http_rejection(response, Failure::system_failure);
    BOOST_CHECK(contains(parse_reply(bytes_of(response.body)).status_text, "key ceremony"));
}

BOOST_FIXTURE_TEST_CASE(garbage_and_truncated_bodies_get_replies, HttpFixture) {
    std::mt19937 random(7);
    const Bytes good = make_request({});
    for (std::size_t n = 1; n < good.size(); n += 3)
        expect_http_rejection(post(port, Bytes(good.begin(), good.begin() + n)),
                              Failure::bad_data_format);
    for (int i = 0; i < 50; ++i) {
        Bytes garbage(1 + random() % 2000);
        for (auto& b : garbage)
            b = static_cast<std::uint8_t>(random());
        const auto response = post(port, garbage);
        BOOST_CHECK_EQUAL(response.status, 200);
        BOOST_CHECK(!parse_reply(bytes_of(response.body)).has_token);
    }
    BOOST_CHECK(parse_reply(bytes_of(post(port, good).body)).has_token);
    BOOST_CHECK_EQUAL(tokens->count(), 1);
}

BOOST_AUTO_TEST_SUITE_END()
