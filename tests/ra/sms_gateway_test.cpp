// Sending an OTP by SMS (ra/sms_gateway.hpp) to a gateway on loopback: the body the template
// makes, retries on 5xx and failed connections only, timeouts, and nothing of the message in
// errors or the log.
#include "ra/sms_gateway.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "tests/ra/fake_sms_gateway.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::ra;
using signet::testing::expect_error;
using signet::testing::FakeSmsGateway;
using Reply = FakeSmsGateway::Reply;

namespace {

constexpr const char* kTemplate =
    R"({"to": "{{phone}}", "text": "Signet code: {{message}}", "meta": {"tags": ["otp", "{{phone}}"]}, "n": 1})";
// Quotes, a backslash, a newline, and a placeholder that must not be expanded again.
constexpr const char* kMessage = "Code 915283 \"quoted\" back\\slash\nline {{phone}}";

SmsGatewaySettings settings_for(const std::string& url) {
    SmsGatewaySettings settings;
    settings.url = url;
    settings.body_template = kTemplate;
    settings.headers = {{"X-Api-Key", "test-key"}};
    settings.connect_timeout = std::chrono::milliseconds(1000);
    settings.timeout = std::chrono::milliseconds(2000);
    settings.retries = 2;
    settings.backoff = std::chrono::milliseconds(10);
    return settings;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Sends and returns the error's message ("" when it was sent).
std::string send_error(SmsGateway& gateway) {
    try {
        gateway.send("+8613800138000", kMessage);
        return "";
    } catch (const Error& e) {
        BOOST_CHECK_EQUAL(to_string(e.code()), "unavailable");
        const std::string what = e.what();
        BOOST_CHECK(what.find("915283") == std::string::npos);
        BOOST_CHECK(what.find("13800138000") == std::string::npos);
        return what;
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ra_sms_gateway)

BOOST_AUTO_TEST_CASE(the_body_is_the_template_with_escaped_values) {
    const auto body = nlohmann::json::parse(render_sms_body(kTemplate, "+8613800138000", kMessage));
    BOOST_CHECK_EQUAL(body["to"], "+8613800138000");
    BOOST_CHECK_EQUAL(body["text"], std::string("Signet code: ") + kMessage);
    BOOST_CHECK_EQUAL(body["meta"]["tags"][1], "+8613800138000");
    BOOST_CHECK_EQUAL(body["n"], 1);
    // A phone number that holds JSON syntax stays a string value.
    const auto odd = nlohmann::json::parse(render_sms_body(kTemplate, "\",\"x\":\"", "m"));
    BOOST_CHECK_EQUAL(odd["to"], "\",\"x\":\"");
    BOOST_CHECK(!odd.contains("x"));
    expect_error([] { render_sms_body("{\"to\": ", "+1", "m"); }, Errc::invalid_argument,
                 "'sms.body_template'");
}

BOOST_AUTO_TEST_CASE(settings_are_checked) {
    auto settings = settings_for("ftp://example.com/");
    expect_error([&] { check_sms_gateway_settings(settings); }, Errc::invalid_argument, "'sms.url'");
    settings = settings_for("https://sms.example.com/send");
    settings.body_template = R"({"to": "{{phone}}"})";
    expect_error([&] { check_sms_gateway_settings(settings); }, Errc::invalid_argument,
                 "{{message}}");
    settings = settings_for("https://sms.example.com/send");
    settings.retries = 9;
    expect_error([&] { check_sms_gateway_settings(settings); }, Errc::invalid_argument,
                 "'sms.retries'");
    settings = settings_for("https://sms.example.com/send");
    settings.headers = {{"X-Key", "a\r\nInjected: 1"}};
    expect_error([&] { check_sms_gateway_settings(settings); }, Errc::invalid_argument,
                 "'sms.headers'");
    settings = settings_for("https://sms.example.com/send");
    settings.timeout = std::chrono::milliseconds(0);
    expect_error([&] { CurlSmsGateway(settings, nullptr); }, Errc::invalid_argument,
                 "'sms.timeout'");
}

BOOST_AUTO_TEST_CASE(answer_excerpts_are_short_and_hide_digit_runs) {
    BOOST_CHECK_EQUAL(answer_excerpt("{\"ok\":true,\"code\":\"424242\",\"n\":12}"),
                      "{\"ok\":true,\"code\":\"######\",\"n\":12}");
    BOOST_CHECK_EQUAL(answer_excerpt("a\nb\x01" "c"), "a.b.c");
    BOOST_CHECK_EQUAL(answer_excerpt(std::string(300, 'x'), 10), "xxxxxxxxxx...(300 bytes)");
}

BOOST_AUTO_TEST_CASE(a_message_is_posted_as_json_and_the_answer_logged_without_the_code) {
    FakeSmsGateway fake({Reply::ok});
    testing::TempDir dir("signet-sms");
    auto log = std::make_shared<Logger>(LogDestination::file(dir / "log"));
    CurlSmsGateway gateway(settings_for(fake.url()), log);
    BOOST_CHECK_EQUAL(send_error(gateway), "");
    const auto requests = fake.requests();
    BOOST_REQUIRE_EQUAL(requests.size(), 1u);
    BOOST_CHECK_EQUAL(requests[0].method, "POST");
    BOOST_CHECK_EQUAL(requests[0].target, "/v1/sms?key=k");
    BOOST_CHECK_EQUAL(requests[0].headers.at("content-type"), "application/json");
    BOOST_CHECK_EQUAL(requests[0].headers.at("x-api-key"), "test-key");
    BOOST_CHECK(nlohmann::json::parse(requests[0].body) ==
                nlohmann::json::parse(render_sms_body(kTemplate, "+8613800138000", kMessage)));
    log->flush();
    const std::string logged = read_file(dir / "log");
    BOOST_TEST_MESSAGE("log: " << logged);
    BOOST_CHECK(logged.find("\"status\":200") != std::string::npos);
    BOOST_CHECK(logged.find(R"(\"status\":\"queued\")") != std::string::npos);
    BOOST_CHECK(logged.find("915283") == std::string::npos);  // the code we sent
    BOOST_CHECK(logged.find("424242") == std::string::npos);  // the code the gateway echoed
    BOOST_CHECK(logged.find("13800138000") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_server_error_is_retried) {
    FakeSmsGateway fake({Reply::server_error, Reply::ok});
    CurlSmsGateway gateway(settings_for(fake.url()), nullptr);
    BOOST_CHECK_EQUAL(send_error(gateway), "");
    BOOST_CHECK_EQUAL(fake.requests().size(), 2u);
}

BOOST_AUTO_TEST_CASE(server_errors_on_every_try_give_up_after_the_retries) {
    FakeSmsGateway fake({Reply::server_error});
    CurlSmsGateway gateway(settings_for(fake.url()), nullptr);
    BOOST_CHECK_EQUAL(send_error(gateway),
                      "the SMS gateway did not accept the message: HTTP 500 after 3 tries");
    BOOST_CHECK_EQUAL(fake.requests().size(), 3u);
}

BOOST_AUTO_TEST_CASE(a_client_error_is_not_retried) {
    FakeSmsGateway fake({Reply::bad_request, Reply::ok});
    CurlSmsGateway gateway(settings_for(fake.url()), nullptr);
    BOOST_CHECK_EQUAL(send_error(gateway),
                      "the SMS gateway did not accept the message: HTTP 400 after 1 try");
    BOOST_CHECK_EQUAL(fake.requests().size(), 1u);
}

BOOST_AUTO_TEST_CASE(a_slow_gateway_times_out_without_a_retry) {
    FakeSmsGateway fake({Reply::hang, Reply::ok});
    auto settings = settings_for(fake.url());
    settings.timeout = std::chrono::milliseconds(300);
    CurlSmsGateway gateway(settings, nullptr);
    BOOST_CHECK_EQUAL(send_error(gateway),
                      "the SMS gateway did not accept the message: no answer within 300 ms");
    BOOST_CHECK_EQUAL(fake.requests().size(), 1u);  // it may have the message: not sent twice
}

BOOST_AUTO_TEST_CASE(a_refused_connection_is_retried_then_reported) {
    auto settings =
        settings_for("http://127.0.0.1:" + std::to_string(FakeSmsGateway::unused_port()) + "/");
    settings.retries = 1;
    CurlSmsGateway gateway(settings, nullptr);
    const std::string why = send_error(gateway);
    BOOST_CHECK_MESSAGE(why.starts_with("the SMS gateway did not accept the message: could not "
                                        "connect") &&
                            why.ends_with("after 2 tries"),
                        why);
}

BOOST_AUTO_TEST_SUITE_END()
