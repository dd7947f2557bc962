// The OCSP routes (api/ocsp_routes.*) over real HTTP on loopback, with a fake Responder that
// records what reached it: the GET decoding, content types, limits, RFC 5019 caching headers
// and 304, and clients that give up half way.
#include "api/ocsp_routes.hpp"

#include <openssl/ocsp.h>
#include <openssl/sha.h>
#include <sys/resource.h>

#include "tests/api/server_kit.hpp"

namespace {

// What the fake answers: the bytes are opaque to the HTTP layer, so they need not be DER.
const Bytes kAnswerDer = {0x30, 0x05, 'f', 'a', 'k', 'e', '!'};
// An "OCSP request" whose base64 holds "//", "+" and "=": "MP//++++////AQ==".
const Bytes kRequest = {0x30, 0xff, 0xff, 0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff, 0x01};
constexpr std::size_t kMaxRequestBytes = 256;

struct FakeResponder : ocsp::Responder {
    std::mutex mutex;
    std::vector<Bytes> requests;
    std::vector<std::string> clients;
    ocsp::Answer next{kAnswerDer, false, {}, {}};
    // What answer_from_memory gives (nullopt: everything goes to answer()), and how often asked.
    std::optional<ocsp::Answer> in_memory;
    std::atomic<std::size_t> memory_calls{0};

    std::optional<ocsp::Answer> answer_from_memory(ByteView request_der) noexcept override {
        (void)request_der;
        ++memory_calls;
        std::lock_guard lock(mutex);
        return in_memory;
    }

    ocsp::Answer answer(ByteView request_der, std::string_view client) override {
        std::lock_guard lock(mutex);
        requests.emplace_back(request_der.begin(), request_der.end());
        clients.emplace_back(client);
        return next;
    }
    std::size_t calls() {
        std::lock_guard lock(mutex);
        return requests.size();
    }
    Bytes last() {
        std::lock_guard lock(mutex);
        return requests.empty() ? Bytes{} : requests.back();
    }
};

Clock::time_point at(std::string_view utc) {
    return parse_utc(utc);
}

struct OcspFixture {
    OcspFixture()
        : clock(at("2026-12-06T01:00:00Z")),
          responder(std::make_shared<FakeResponder>()),
          metrics(std::make_shared<MetricsRegistry>()),
          server(test_options(), make_router(),
                 ServerContext{nullptr, metrics, quiet_log(), nullptr, {}}) {}

    Router make_router() {
        Router router;
        add_ocsp_routes(router, responder, kMaxRequestBytes, clock);
        return router;
    }

    HttpResponse get(std::string_view target, std::string_view if_none_match = {}) {
        PlainClient client(server.http_port());
        auto request = make_request(http::verb::get, target);
        if (!if_none_match.empty())
            request.set(http::field::if_none_match, if_none_match);
        return client.request(request);
    }
    HttpResponse post(std::string body, std::string_view content_type,
                      std::string_view target = "/ocsp") {
        PlainClient client(server.http_port());
        auto request = make_request(http::verb::post, target, std::move(body));
        if (!content_type.empty())
            request.set(http::field::content_type, content_type);
        return client.request(request);
    }
    void cacheable_answer() {
        responder->next = {kAnswerDer, true, at("2026-12-06T00:00:00Z"),
                           at("2026-12-06T03:00:00Z") + 500ms};
    }

    ManualClock clock;
    std::shared_ptr<FakeResponder> responder;
    std::shared_ptr<MetricsRegistry> metrics;
    RunningServer server;
};

std::string as_string(const Bytes& bytes) {
    return {bytes.begin(), bytes.end()};
}

// The OCSPResponse's responseStatus, parsed by OpenSSL; -1 if it does not parse.
int ocsp_status(const HttpResponse& response) {
    const auto* p = reinterpret_cast<const unsigned char*>(response.body().data());
    OcspResponsePtr parsed(
        d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(response.body().size())));
    return parsed ? OCSP_response_status(parsed.get()) : -1;
}

void expect_malformed(const HttpResponse& response) {
    BOOST_TEST_CONTEXT("status " << response.result_int()) {
        BOOST_CHECK_EQUAL(response.result_int(), 200u);
        BOOST_CHECK_EQUAL(std::string(response[http::field::content_type]),
                          "application/ocsp-response");
        BOOST_CHECK_EQUAL(ocsp_status(response), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
        BOOST_CHECK_EQUAL(std::string(response[http::field::cache_control]), "no-store");
        BOOST_CHECK(response.find(http::field::etag) == response.end());
    }
}

std::string sha256_hex(const Bytes& bytes) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(bytes.data(), bytes.size(), digest);
    return to_hex(ByteView(digest, sizeof digest));
}

double process_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_ocsp_routes)

BOOST_FIXTURE_TEST_CASE(an_answer_held_in_memory_is_served_without_answer_and_alike, OcspFixture) {
    cacheable_answer();
    {
        std::lock_guard lock(responder->mutex);
        responder->in_memory = responder->next;
    }
    const HttpResponse got = get("/ocsp/MP//++++////AQ==");
    BOOST_CHECK_EQUAL(got.result_int(), 200u);
    BOOST_CHECK_EQUAL(got.body(), as_string(kAnswerDer));
    BOOST_CHECK(got.find(http::field::etag) != got.end());
    BOOST_CHECK_EQUAL(std::string(got[http::field::cache_control]).substr(0, 8), "max-age=");
    const HttpResponse posted = post(as_string(kRequest), "application/ocsp-request");
    BOOST_CHECK_EQUAL(posted.body(), as_string(kAnswerDer));
    BOOST_CHECK_EQUAL(std::string(posted[http::field::cache_control]), "no-store");
    // Both came from memory: answer() was never called.
    BOOST_CHECK_EQUAL(responder->calls(), 0u);
    BOOST_CHECK_EQUAL(responder->memory_calls.load(), 2u);
    // A wrong content type is never answered from memory: 415 as before.
    BOOST_CHECK_EQUAL(post(as_string(kRequest), "text/plain").result_int(), 415u);
    BOOST_CHECK_EQUAL(responder->memory_calls.load(), 2u);
}

BOOST_FIXTURE_TEST_CASE(post_reaches_the_responder_and_is_not_cached, OcspFixture) {
    // RFC 9110 §8.3.1: the type is case-insensitive, parameters are allowed.
    const HttpResponse response =
        post(as_string(kRequest), "Application/OCSP-Request ; charset=binary");
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    BOOST_CHECK_EQUAL(std::string(response[http::field::content_type]),
                      "application/ocsp-response");
    BOOST_CHECK_EQUAL(response.body(), as_string(kAnswerDer));
    BOOST_CHECK_EQUAL(std::string(response[http::field::cache_control]), "no-store");
    BOOST_CHECK(response.find(http::field::etag) == response.end());
    BOOST_CHECK(responder->last() == kRequest);
    BOOST_CHECK_EQUAL(responder->clients.back(), "127.0.0.1");

    // A cacheable answer is still not cached over POST, and "/ocsp/" takes a POST too.
    cacheable_answer();
    const HttpResponse slash = post(as_string(kRequest), "application/ocsp-request", "/ocsp/");
    BOOST_CHECK_EQUAL(slash.result_int(), 200u);
    BOOST_CHECK_EQUAL(std::string(slash[http::field::cache_control]), "no-store");
    BOOST_CHECK(slash.find(http::field::etag) == slash.end());
    BOOST_CHECK_EQUAL(responder->calls(), 2u);
}

BOOST_FIXTURE_TEST_CASE(both_listeners_serve_it_anonymously, OcspFixture) {
    TlsClient client(server.https_port(), {});
    const auto response =
        client.try_request(make_request(http::verb::get, "/ocsp/MP//++++////AQ=="));
    BOOST_REQUIRE(response);
    BOOST_CHECK_EQUAL(response->result_int(), 200u);
    BOOST_CHECK_EQUAL(response->body(), as_string(kAnswerDer));
    BOOST_CHECK(responder->last() == kRequest);
}

BOOST_FIXTURE_TEST_CASE(openssl_and_curl_get_the_responders_answer, OcspFixture) {
    // A real signed response (OpenSSL as an offline responder for its own CA), served by the
    // fake; the real clients must send the request intact and read the answer as OpenSSL does.
    TempDir dir("signet-ocsp-routes");
    const auto path = [&](const char* name) { return (dir / name).string(); };
    const auto run = [](const std::vector<std::string>& argv) {
        const auto result = signet::testing::run_command(argv);
        BOOST_TEST_CONTEXT(argv[0] << " " << argv[1] << ": " << result.output) {
            BOOST_REQUIRE_EQUAL(result.exit_code, 0);
        }
        return result.output;
    };
    run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/CN=Routes Test CA", "-keyout", path("ca.key"), "-out",
         path("ca.pem")});
    signet::testing::write_file(dir / "index.txt", "V\t301231235959Z\t\t1234\tunknown\t/CN=x\n");
    run({"openssl", "ocsp", "-issuer", path("ca.pem"), "-serial", "0x1234", "-no_nonce", "-reqout",
         path("request.der")});
    run({"openssl", "ocsp", "-index", path("index.txt"), "-rsigner", path("ca.pem"), "-rkey",
         path("ca.key"), "-CA", path("ca.pem"), "-reqin", path("request.der"), "-respout",
         path("response.der"), "-ndays", "1"});
    const std::string request = signet::testing::read_file(dir / "request.der");
    const std::string signed_response = signet::testing::read_file(dir / "response.der");
    responder->next = {Bytes(signed_response.begin(), signed_response.end()), false, {}, {}};

    const std::string url = "http://127.0.0.1:" + std::to_string(server.http_port()) + "/ocsp";
    const std::string post = run({"openssl", "ocsp", "-issuer", path("ca.pem"), "-serial", "0x1234",
                                  "-no_nonce", "-url", url, "-CAfile", path("ca.pem")});
    BOOST_CHECK_NE(post.find("Response verify OK"), std::string::npos);
    BOOST_CHECK_NE(post.find("0x1234: good"), std::string::npos);
    BOOST_CHECK_EQUAL(as_string(responder->last()), request);

    // GET with the base64 as curl sends it (raw '/', '+', '='), read back by OpenSSL.
    run({"curl", "-fsS", "-o", path("got.der"), url + "/" + to_base64(as_bytes(request))});
    const std::string got = run({"openssl", "ocsp", "-respin", path("got.der"), "-CAfile",
                                 path("ca.pem"), "-issuer", path("ca.pem"), "-serial", "0x1234"});
    BOOST_CHECK_NE(got.find("0x1234: good"), std::string::npos);
    BOOST_CHECK_EQUAL(as_string(responder->last()), request);
}

BOOST_FIXTURE_TEST_CASE(get_takes_raw_and_percent_encoded_base64, OcspFixture) {
    const std::string base64 = to_base64(kRequest);
    BOOST_REQUIRE_EQUAL(base64, "MP//++++////AQ==");  // '/', "//", '+' and '=' all in it
    for (const std::string target :
         {"/ocsp/MP//++++////AQ==", "/ocsp/MP%2F%2F%2B%2B%2B%2B%2F%2F%2F%2FAQ%3D%3D",
          "/ocsp/MP%2f%2f%2b%2b++////AQ%3d=", "/ocsp/%4DP//++++////AQ=="}) {
        BOOST_TEST_CONTEXT(target) {
            const std::size_t before = responder->calls();
            const HttpResponse response = get(target);
            BOOST_CHECK_EQUAL(response.result_int(), 200u);
            BOOST_CHECK_EQUAL(response.body(), as_string(kAnswerDer));
            BOOST_CHECK_EQUAL(responder->calls(), before + 1);
            // "//" reached the decoder as two characters and '+' stayed '+' (not a space).
            BOOST_CHECK(responder->last() == kRequest);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(get_that_does_not_decode_is_malformed_request, OcspFixture) {
    for (const std::string target : {
             "/ocsp",                           // nothing
             "/ocsp/",                          // nothing
             "/ocsp/MP__----____AQ==",          // the URL-safe alphabet (RFC 4648 §5)
             "/ocsp/MP//%20%20%20%20////AQ==",  // '+' written as a space
             "/ocsp/MP//++++////AQ",            // padding missing
             "/ocsp/MP//++++////AQ=%",          // broken escapes
             "/ocsp/MP//++++////AQ=%3", "/ocsp/MP//++++////AQ%3", "/ocsp/MP//++++////A%zz",
             "/ocsp/MP//++++////AQ%4=",
             "/ocsp/MP//++++%2525////AQ==",  // decoded once only: "%25" stays '%'
             "/ocsp/MP//++++////AQ==/",      // a trailing '/' is not base64 at the end
         }) {
        BOOST_TEST_CONTEXT(target) {
            expect_malformed(get(target));
        }
    }
    BOOST_CHECK_EQUAL(responder->calls(), 0u);
}

BOOST_FIXTURE_TEST_CASE(another_content_type_is_415, OcspFixture) {
    for (const std::string_view type : {"text/plain", "application/ocsp-requestx", ""}) {
        BOOST_TEST_CONTEXT("Content-Type: " << type) {
            const nlohmann::json problem =
                expect_problem(post(as_string(kRequest), type), 415, "unsupported-media-type");
            BOOST_CHECK_NE(problem.value("detail", "").find("Content-Type"), std::string::npos);
        }
    }
    BOOST_CHECK_EQUAL(responder->calls(), 0u);
}

BOOST_FIXTURE_TEST_CASE(requests_over_the_limit_are_413, OcspFixture) {
    const Bytes at_limit(kMaxRequestBytes, 0x30);
    const Bytes over(kMaxRequestBytes + 1, 0x30);
    BOOST_CHECK_EQUAL(post(as_string(at_limit), "application/ocsp-request").result_int(), 200u);
    expect_problem(post(as_string(over), "application/ocsp-request"), 413, "body-too-large");
    BOOST_CHECK_EQUAL(get("/ocsp/" + to_base64(at_limit)).result_int(), 200u);
    expect_problem(get("/ocsp/" + to_base64(over)), 413, "body-too-large");
    BOOST_CHECK_EQUAL(responder->calls(), 2u);
}

BOOST_FIXTURE_TEST_CASE(a_cacheable_get_carries_rfc5019_headers, OcspFixture) {
    cacheable_answer();
    const HttpResponse response = get("/ocsp/MP//++++////AQ==");
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    BOOST_CHECK_EQUAL(response.body(), as_string(kAnswerDer));
    BOOST_CHECK_EQUAL(std::string(response[http::field::last_modified]),
                      "Sun, 06 Dec 2026 00:00:00 GMT");
    BOOST_CHECK_EQUAL(std::string(response[http::field::expires]), "Sun, 06 Dec 2026 03:00:00 GMT");
    BOOST_CHECK_EQUAL(std::string(response[http::field::etag]),
                      "\"" + sha256_hex(kAnswerDer) + "\"");
    // Two hours and half a second to nextUpdate: whole seconds, never past it.
    BOOST_CHECK_EQUAL(std::string(response[http::field::cache_control]),
                      "max-age=7200, public, no-transform, must-revalidate");

    clock.set(at("2026-12-06T04:00:00Z"));  // past nextUpdate: max-age never negative
    BOOST_CHECK_EQUAL(std::string(get("/ocsp/MP//++++////AQ==")[http::field::cache_control]),
                      "max-age=0, public, no-transform, must-revalidate");
}

BOOST_FIXTURE_TEST_CASE(a_matching_if_none_match_is_304, OcspFixture) {
    cacheable_answer();
    const std::string etag = "\"" + sha256_hex(kAnswerDer) + "\"";
    for (const std::string& header :
         std::vector<std::string>{etag, "\"other\", " + etag, "\"a,b\",W/" + etag, "*"}) {
        BOOST_TEST_CONTEXT("If-None-Match: " << header) {
            const HttpResponse response = get("/ocsp/MP//++++////AQ==", header);
            BOOST_CHECK_EQUAL(response.result_int(), 304u);
            BOOST_CHECK(response.body().empty());
            BOOST_CHECK_EQUAL(std::string(response[http::field::etag]), etag);
            BOOST_CHECK_EQUAL(std::string(response[http::field::cache_control]),
                              "max-age=7200, public, no-transform, must-revalidate");
            BOOST_CHECK_EQUAL(std::string(response[http::field::expires]),
                              "Sun, 06 Dec 2026 03:00:00 GMT");
            BOOST_CHECK_EQUAL(std::string(response[http::field::last_modified]),
                              "Sun, 06 Dec 2026 00:00:00 GMT");
        }
    }
    for (const std::string& header : std::vector<std::string>{
             "\"" + sha256_hex(kRequest) + "\"", etag.substr(1), "\"a," + etag.substr(1)}) {
        BOOST_TEST_CONTEXT("If-None-Match: " << header) {
            BOOST_CHECK_EQUAL(get("/ocsp/MP//++++////AQ==", header).result_int(), 200u);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(a_non_cacheable_answer_has_no_caching_headers, OcspFixture) {
    // E.g. tryLater, or a response echoing a nonce: the fake's default answer is not cacheable.
    const HttpResponse response = get("/ocsp/MP//++++////AQ==", "*");
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    BOOST_CHECK_EQUAL(response.body(), as_string(kAnswerDer));
    BOOST_CHECK_EQUAL(std::string(response[http::field::cache_control]), "no-store");
    for (const http::field field :
         {http::field::etag, http::field::last_modified, http::field::expires}) {
        BOOST_CHECK_MESSAGE(response.find(field) == response.end(), field << " is set");
    }
}

BOOST_FIXTURE_TEST_CASE(every_get_url_is_one_route_in_the_metrics, OcspFixture) {
    get("/ocsp/MP//++++////AQ==");
    get("/ocsp/MP%2F%2F%2B%2B%2B%2B%2F%2F%2F%2FAQ%3D%3D");
    get("/ocsp/not-base64");
    // A request is counted once its response has been written: wait for the third.
    const std::string counted = "signet_http_requests_total{route=\"/ocsp/\",status=\"200\"} 3";
    std::string text = metrics->render();
    for (int i = 0; i < 500 && text.find(counted) == std::string::npos; ++i) {
        std::this_thread::sleep_for(10ms);
        text = metrics->render();
    }
    BOOST_CHECK_NE(text.find(counted), std::string::npos);
    BOOST_CHECK_EQUAL(text.find("MP"), std::string::npos);
    BOOST_CHECK_EQUAL(text.find("not-base64"), std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(clients_that_give_up_early_leave_the_server_responsive, OcspFixture) {
    const double cpu_before = process_cpu_seconds();
    {
        PlainClient silent(server.http_port());  // connects, sends nothing, closes
    }
    {
        PlainClient half(server.http_port());  // half a request line, then closes
        half.send_raw("GET /ocsp/MP//++++");
    }
    {
        PlainClient half_body(server.http_port());  // a head promising a body it never sends
        half_body.send_raw(
            "POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
            "Content-Length: 10\r\n\r\n\x30\x03");
    }
    std::this_thread::sleep_for(1s);
    // A spinning thread would burn about a second of CPU here; an idle server nearly none.
    const double cpu_used = process_cpu_seconds() - cpu_before;
    BOOST_TEST_MESSAGE("CPU over the second after the early closes: " << cpu_used << " s");
    BOOST_CHECK_LT(cpu_used, 0.5);

    const HttpResponse response = get("/ocsp/MP//++++////AQ==");
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    BOOST_CHECK_EQUAL(responder->calls(), 1u);
}

BOOST_AUTO_TEST_SUITE_END()
