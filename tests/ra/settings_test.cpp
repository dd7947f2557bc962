// signet.yaml's identity and otp sections mapped to the RA's types (ra/settings.hpp): the mapped
// evidence policy verifies a provider's real statement, the OTP policy carries every value, and
// the SMS gateway's header secrets are read from their sources and sent to a loopback gateway.
#include "ra/settings.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "policy/config.hpp"
#include "tests/ra/evidence_kit.hpp"
#include "tests/ra/fake_sms_gateway.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::ra;
using namespace std::chrono_literals;
using signet::testing::expect_error;
using signet::testing::FakeSmsGateway;
using signet::testing::TempDir;
using signet::testing::write_file;

namespace {

constexpr const char* kIssuer = "https://idv.example.cn";
constexpr const char* kBinding = "1gVe6KCbb-fM4brUB7MwyBjnyp62iKD7pYwF-0MQW7A";
const Clock::time_point kNow = *from_unix_seconds(1'800'000'000);

// A configuration in a fresh directory with a PIN file and an EC P-256 provider key.
struct Fixture {
    TempDir dir;
    ra::testing::TestKey provider = ra::testing::make_ec_key();
    Fixture() {
        write_file(dir / "pin", "1234\n");
        write_file(dir / "idv.pem", provider.public_pem);
    }
    policy::Config load(const std::string& sections) const {
        return policy::parse_config("state_dir: var\nhsm: {token: t, pin: file:pin}\n" + sections,
                                    dir / "signet.yaml");
    }
};

const std::string kIdentity =
    "identity:\n"
    "  evidence:\n"
    "    audience: signet-prod\n"
    "    max_age_seconds: 300\n"
    "    clock_skew_seconds: 30\n"
    "    max_token_bytes: 8192\n"
    "    providers:\n"
    "      - {issuer: 'https://idv.example.cn', key_id: k1, "
    "public_key: idv.pem}\n"
    "    levels:\n"
    "      3: {methods: [id_registry, face_match, liveness], "
    "min_face_match_score: 0.9, min_liveness_score: 0.9}\n"
    "      2: {methods: [id_registry]}\n";

std::string statement(const Fixture& f, double face_match_score) {
    const nlohmann::json claims{{"iss", kIssuer},
                                {"aud", "signet-prod"},
                                {"jti", "stmt-" + std::to_string(face_match_score)},
                                {"iat", 1'800'000'000 - 10},
                                {"subject_binding", kBinding},
                                {"method", {"id_registry", "face_match", "liveness"}},
                                {"face_match_score", face_match_score},
                                {"liveness_score", 0.95}};
    return ra::testing::sign_jws(R"({"alg":"ES256","typ":"JWT","kid":"k1"})", claims.dump(),
                                 f.provider.key.get());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ra_settings)

BOOST_AUTO_TEST_CASE(the_evidence_policy_verifies_a_providers_statement) {
    Fixture f;
    const policy::Config config = f.load(kIdentity);
    const EvidencePolicy policy = evidence_policy(config.identity);
    BOOST_REQUIRE_EQUAL(policy.providers.size(), 1u);
    BOOST_CHECK_EQUAL(policy.providers[0].issuer, kIssuer);
    BOOST_CHECK_EQUAL(policy.providers[0].key_id, "k1");
    BOOST_CHECK_EQUAL(policy.providers[0].public_key_pem, f.provider.public_pem);
    BOOST_CHECK_EQUAL(policy.audience, "signet-prod");
    BOOST_CHECK_EQUAL(policy.max_age.count(), 300);
    BOOST_CHECK_EQUAL(policy.clock_skew.count(), 30);
    BOOST_CHECK_EQUAL(policy.max_token_bytes, 8192u);
    // Named by their numbers, lowest first whatever the file's order.
    BOOST_REQUIRE_EQUAL(policy.levels.size(), 2u);
    BOOST_CHECK_EQUAL(policy.levels[0].level, "2");
    BOOST_CHECK(policy.levels[0].methods == std::vector<std::string>{"id_registry"});
    BOOST_CHECK(!policy.levels[0].min_face_match_score);
    BOOST_CHECK_EQUAL(policy.levels[1].level, "3");
    BOOST_CHECK_EQUAL(policy.levels[1].methods.size(), 3u);
    BOOST_CHECK_CLOSE(policy.levels[1].min_face_match_score.value(), 0.9, 1e-9);
    BOOST_CHECK_CLOSE(policy.levels[1].min_liveness_score.value(), 0.9, 1e-9);

    // The verifier takes the mapped policy as is, and names the highest level a statement meets.
    ManualClock clock{kNow};
    InMemoryEvidenceReplayGuard guard{clock};
    const EvidenceVerifier verifier(policy, clock, guard);
    const auto strong = verifier.verify({statement(f, 0.95), kBinding, {}, policy.levels[0]});
    BOOST_CHECK_EQUAL(strong.assurance_level, "3");
    BOOST_CHECK_EQUAL(strong.issuer, kIssuer);
    const auto weak = verifier.verify({statement(f, 0.5), kBinding, {}, policy.levels[0]});
    BOOST_CHECK_EQUAL(weak.assurance_level, "2");
}

BOOST_AUTO_TEST_CASE(no_providers_no_levels) {
    Fixture f;
    const EvidencePolicy policy = evidence_policy(f.load("").identity);
    BOOST_CHECK(policy.providers.empty());
    BOOST_CHECK(policy.levels.empty());
    BOOST_CHECK_EQUAL(policy.max_age.count(), 600);
    BOOST_CHECK_EQUAL(policy.max_token_bytes, 16384u);
}

BOOST_AUTO_TEST_CASE(the_otp_policy_carries_every_value) {
    Fixture f;
    const OtpPolicy p = otp_policy(f.load("otp:\n"
                                          "  digits: 7\n"
                                          "  lifetime_seconds: 120\n"
                                          "  max_attempts: 3\n"
                                          "  max_failures: 6\n"
                                          "  failure_window_seconds: 900\n"
                                          "  lockout_seconds: 600\n"
                                          "  min_send_interval_seconds: 0\n"
                                          "  max_sends_per_hour: 4\n"
                                          "  max_client_sends_per_minute: 90\n"
                                          "  message: 'Code {code} ({minutes} min)'\n"
                                          "  totp: {digits: 8, period_seconds: 60, window: 2, "
                                          "issuer: Acme}\n")
                                       .otp);
    BOOST_CHECK_EQUAL(p.digits, 7);
    BOOST_CHECK_EQUAL(p.lifetime.count(), 120);
    BOOST_CHECK_EQUAL(p.max_attempts, 3);
    BOOST_CHECK_EQUAL(p.max_failures, 6);
    BOOST_CHECK_EQUAL(p.failure_window.count(), 900);
    BOOST_CHECK_EQUAL(p.lockout.count(), 600);
    BOOST_CHECK_EQUAL(p.min_send_interval.count(), 0);
    BOOST_CHECK_EQUAL(p.max_sends_per_hour, 4);
    BOOST_CHECK_EQUAL(p.max_client_sends_per_minute, 90);
    BOOST_CHECK_EQUAL(p.message, "Code {code} ({minutes} min)");
    BOOST_CHECK_EQUAL(p.totp_digits, 8);
    BOOST_CHECK_EQUAL(p.totp_period.count(), 60);
    BOOST_CHECK_EQUAL(p.totp_window, 2);
    BOOST_CHECK_EQUAL(p.issuer, "Acme");

    // The defaults are ra::OtpPolicy's own.
    const OtpPolicy defaults = otp_policy(f.load("").otp);
    const OtpPolicy ra_defaults;
    BOOST_CHECK_EQUAL(defaults.digits, ra_defaults.digits);
    BOOST_CHECK_EQUAL(defaults.lifetime.count(), ra_defaults.lifetime.count());
    BOOST_CHECK_EQUAL(defaults.max_failures, ra_defaults.max_failures);
    BOOST_CHECK_EQUAL(defaults.lockout.count(), ra_defaults.lockout.count());
    BOOST_CHECK_EQUAL(defaults.max_client_sends_per_minute,
                      ra_defaults.max_client_sends_per_minute);
    BOOST_CHECK_EQUAL(defaults.message, ra_defaults.message);
    BOOST_CHECK_EQUAL(defaults.totp_period.count(), ra_defaults.totp_period.count());
    BOOST_CHECK_EQUAL(defaults.issuer, ra_defaults.issuer);
}

BOOST_AUTO_TEST_CASE(settings_made_by_hand_are_still_validated) {
    policy::OtpSettings otp;
    otp.digits = 5;
    expect_error([&] { (void)otp_policy(otp); }, Errc::invalid_argument, "'otp.digits'");
    otp = {};
    otp.totp.period = 45s;
    expect_error([&] { (void)otp_policy(otp); }, Errc::invalid_argument, "'otp.totp_period'");
    otp = {};
    otp.sms_gateway = policy::SmsGatewayConfig{};
    otp.sms_gateway->url = "https://sms.example/send";
    otp.sms_gateway->body_template = R"({"to": "{{phone}}"})";
    expect_error([&] { (void)sms_gateway_settings(otp); }, Errc::invalid_argument,
                 "'sms.body_template'");
}

BOOST_AUTO_TEST_CASE(no_gateway_configured) {
    Fixture f;
    BOOST_CHECK(!sms_gateway_settings(f.load("").otp));
}

BOOST_AUTO_TEST_CASE(gateway_headers_are_read_from_their_sources_and_sent) {
    Fixture f;
    FakeSmsGateway gateway({FakeSmsGateway::Reply::ok});
    write_file(f.dir / "sms-token", "t0ken-from-file\n");
    ::setenv("SIGNET_TEST_SMS_KEY", "k3y-from-env", 1);
    const policy::Config config = f.load(
        "otp:\n"
        "  sms_gateway:\n"
        "    url: '" +
        gateway.url() +
        "'\n"
        "    body_template: '{\"to\": \"{{phone}}\", \"text\": \"{{message}}\"}'\n"
        "    headers: {X-Api-Key: 'env:SIGNET_TEST_SMS_KEY', X-Token: 'file:sms-token'}\n"
        "    connect_timeout_ms: 1000\n"
        "    timeout_ms: 5000\n"
        "    retries: 1\n"
        "    backoff_ms: 50\n");
    const auto settings = sms_gateway_settings(config.otp);
    BOOST_REQUIRE(settings);
    BOOST_CHECK_EQUAL(settings->url, gateway.url());
    BOOST_CHECK_EQUAL(settings->connect_timeout.count(), 1000);
    BOOST_CHECK_EQUAL(settings->timeout.count(), 5000);
    BOOST_CHECK_EQUAL(settings->retries, 1);
    BOOST_CHECK_EQUAL(settings->backoff.count(), 50);
    // The variable is read once and then gone from the environment (common/secret.hpp).
    BOOST_CHECK(std::getenv("SIGNET_TEST_SMS_KEY") == nullptr);

    CurlSmsGateway(*settings, nullptr).send("+8613800138000", "Signet code 123456");
    const auto requests = gateway.requests();
    BOOST_REQUIRE_EQUAL(requests.size(), 1u);
    BOOST_CHECK_EQUAL(requests[0].headers.at("x-api-key"), "k3y-from-env");
    BOOST_CHECK_EQUAL(requests[0].headers.at("x-token"), "t0ken-from-file");
    const auto body = nlohmann::json::parse(requests[0].body);
    BOOST_CHECK_EQUAL(body.at("to"), "+8613800138000");

    // Read again, the variable is not there: the header is named, no value shown.
    expect_error([&] { (void)sms_gateway_settings(config.otp); }, Errc::not_found,
                 "'otp.sms_gateway.headers.X-Api-Key'");
}

BOOST_AUTO_TEST_SUITE_END()
