// signet.yaml's identity and otp sections: each bad value reported at its line, every one at once,
// and no secret (a header's value, the gateway's URL, a provider's private key) repeated.
#include <boost/test/unit_test.hpp>

#include "common/error.hpp"
#include "policy/config.hpp"
#include "tests/policy/config_fixture.hpp"

using namespace signet;
using namespace signet::policy;
using namespace signet::policy::testing;
using signet::testing::write_file;

namespace {

// Checks that loading `yaml` reports each (snippet, token, problem): the problem at the place of
// `token` inside `snippet`. Returns the whole message.
struct Expected {
    std::string snippet;
    std::string token;
    std::string problem;
};
std::string check_problems(const Fixture& f, const std::string& yaml,
                           const std::vector<Expected>& expected) {
    const std::string message = f.error(yaml);
    for (const auto& e : expected)
        check_line(message, place(f, yaml, e.snippet, e.token) + e.problem);
    BOOST_CHECK_EQUAL(lines_of(message).size(), expected.size());
    return message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_ra_errors)

BOOST_AUTO_TEST_CASE(identity_values_out_of_range) {
    Fixture f;
    const std::string low = Fixture::base() +
                            "identity:\n"
                            "  hmac_key_label: ''\n"
                            "  evidence:\n"
                            "    audience: [a]\n"
                            "    max_age_seconds: 29\n"
                            "    clock_skew_seconds: 601\n"
                            "    max_token_bytes: 1023\n"
                            "    providers: {issuer: x}\n"
                            "    level: {}\n";
    const std::string e = "identity.evidence.";
    check_problems(
        f, low,
        {{"hmac_key_label", "''", "identity.hmac_key_label: must not be empty"},
         {"audience", "[", e + "audience: expected a string"},
         {"max_age_seconds", "29", e + "max_age_seconds: 29 is not a duration (30-86400)"},
         {"clock_skew_seconds", "601", e + "clock_skew_seconds: 601 is not a duration (0-600)"},
         {"max_token_bytes", "1023",
          e + "max_token_bytes: 1023 is not a size in bytes (1024-65536)"},
         {"providers", "{", e + "providers: expected a list"},
         {"level:", "level", e + "level: unknown key (did you mean 'levels'?)"}});
    const std::string high = Fixture::base() +
                             "identity:\n"
                             "  max_assurance_level: 11\n"
                             "  evidence: {max_age_seconds: 86401, max_token_bytes: 65537}\n";
    check_problems(
        f, high,
        {{"max_assurance_level", "11",
          "identity.max_assurance_level: 11 is not an assurance level (1-10)"},
         {"max_age_seconds", "86401", e + "max_age_seconds: 86401 is not a duration (30-86400)"},
         {"max_token_bytes", "65537",
          e + "max_token_bytes: 65537 is not a size in bytes (1024-65536)"}});
}

BOOST_AUTO_TEST_CASE(provider_keys_are_checked_at_load) {
    Fixture f;
    write_file(f.dir / "ok.pem", pem_of(make_key("EC", "P-256").get()));
    write_file(f.dir / "p384.pem", pem_of(make_key("EC", "P-384").get()));
    write_file(f.dir / "rsa1024.pem", pem_of(make_key("RSA", nullptr, 1024).get()));
    write_file(f.dir / "ed25519.pem", pem_of(make_key("ED25519").get()));
    const std::string private_pem = pem_of(make_key("EC", "P-256").get(), true);
    write_file(f.dir / "private.pem", private_pem);
    write_file(f.dir / "text.pem", "not a key\n");
    const std::string yaml = Fixture::base() +
                             "identity:\n"
                             "  evidence:\n"
                             "    providers:\n"
                             "      - {issuer: a, public_key: p384.pem}\n"
                             "      - {issuer: b, public_key: rsa1024.pem}\n"
                             "      - {issuer: c, public_key: ed25519.pem}\n"
                             "      - {issuer: d, public_key: private.pem}\n"
                             "      - {issuer: e, public_key: text.pem}\n"
                             "      - {issuer: f, public_key: missing.pem}\n"
                             "      - {public_key: ok.pem}\n"
                             "      - {issuer: g, public_key: ok.pem, colour: red}\n"
                             "      - {issuer: g, key_id: '1', public_key: ok.pem}\n"
                             "      - just-a-name\n"
                             "    levels: {1: {methods: [id_registry]}}\n";
    const std::string p = "identity.evidence.providers";
    auto file = [&](const std::string& name) { return "file " + (f.dir / name).string() + " "; };
    const std::string message = check_problems(
        f, yaml,
        {{"p384.pem", "p384.pem",
          p + "[0].public_key: " + file("p384.pem") +
              "is an EC key not on P-256 (ES256 needs P-256)"},
         {"rsa1024.pem", "rsa1024.pem",
          p + "[1].public_key: " + file("rsa1024.pem") + "is an RSA key under 2048 bits"},
         {"ed25519.pem", "ed25519.pem",
          p + "[2].public_key: " + file("ed25519.pem") + "is neither an EC P-256 nor an RSA key"},
         {"private.pem", "private.pem",
          p + "[3].public_key: " + file("private.pem") +
              "is not a PEM public key (SubjectPublicKeyInfo)"},
         {"text.pem", "text.pem",
          p + "[4].public_key: " + file("text.pem") +
              "is not a PEM public key (SubjectPublicKeyInfo)"},
         {"missing.pem", "missing.pem",
          p + "[5].public_key: " + file("missing.pem") + "does not exist"},
         {"- {public_key", "{", p + "[6].issuer: is required"},
         {"colour", "colour", p + "[7].colour: unknown key"},
         {"key_id: '1'", "'1'",
          p + "[8].key_id: another provider has the issuer 'g' and no distinct key_id"},
         {"just-a-name", "just-a-name", p + "[9]: expected a mapping"}});
    BOOST_CHECK(!contains(message, "PRIVATE"));
    BOOST_CHECK(!contains(message, private_pem.substr(40, 20)));

    // Providers but no level: no statement could ever raise a subject.
    const std::string no_levels = Fixture::base() +
                                  "identity:\n"
                                  "  evidence:\n"
                                  "    providers: [{issuer: a, public_key: ok.pem}]\n";
    check_problems(f, no_levels,
                   {{"evidence:", "providers",
                     "identity.evidence.levels: defines no level: no provider's statement could "
                     "reach one"}});
}

BOOST_AUTO_TEST_CASE(levels_are_checked) {
    Fixture f;
    const std::string yaml = Fixture::base() +
                             "identity:\n"
                             "  max_assurance_level: 3\n"
                             "  evidence:\n"
                             "    levels:\n"
                             "      0: {methods: [id_registry]}\n"
                             "      4: {methods: [id_registry]}\n"
                             "      x: {methods: [id_registry]}\n"
                             "      1: {methods: []}\n"
                             "      2: {methods: [Face-Match, id_registry, id_registry], "
                             "min_face_match_score: 1.5, min_liveness_score: .nan}\n"
                             "      3: {min_face_match_score: -0.1, methods: [a], floor: 1}\n";
    const std::string l = "identity.evidence.levels.";
    const std::string not_level = "is not an assurance level (1-3, identity.max_assurance_level)";
    const std::string not_method = "is not a method name ([a-z0-9_], 1-32) or is listed twice";
    check_problems(
        f, yaml,
        {{"0: {", "0", l + "0: " + not_level},
         {"4: {", "4", l + "4: " + not_level},
         {"x: {", "x", l + "x: " + not_level},
         {"1: {methods: []}", "[]",
          l + "1.methods: must name at least one method (e.g. id_registry, face_match)"},
         {"Face-Match", "Face-Match", l + "2.methods[0]: " + not_method},
         {"id_registry, id_registry]", "id_registry]", l + "2.methods[2]: " + not_method},
         {"min_face_match_score: 1.5", "1.5",
          l + "2.min_face_match_score: '1.5' is not a number from 0 to 1"},
         {".nan", ".nan", l + "2.min_liveness_score: '.nan' is not a number from 0 to 1"},
         {"-0.1", "-0.1", l + "3.min_face_match_score: '-0.1' is not a number from 0 to 1"},
         {"floor", "floor", l + "3.floor: unknown key"},
         {"3: {", "3", l + "3: asks less than level 2 (its methods and minimum scores at least)"}});
}

BOOST_AUTO_TEST_CASE(a_higher_level_asks_at_least_what_a_lower_does) {
    Fixture f;
    const std::string yaml =
        Fixture::base() +
        "identity:\n"
        "  max_assurance_level: 4\n"
        "  evidence:\n"
        "    levels:\n"
        "      2: {methods: [id_registry]}\n"
        "      1: {methods: [id_registry, face_match]}\n"
        "      3: {methods: [id_registry], min_liveness_score: 0.4}\n"
        "      4: {methods: [id_registry, face_match], min_liveness_score: 0.3}\n";
    const std::string l = "identity.evidence.levels.";
    check_problems(
        f, yaml,
        {{"1: {", "1",
          l + "1: asks more than level 2 (a higher level asks at least what a lower does)"},
         {"4: {", "4", l + "4: asks less than level 3 (its methods and minimum scores at least)"}});
    // The same levels in order, each asking more: accepted.
    const Config c =
        f.load(Fixture::base() +
               "identity:\n  evidence:\n    levels:\n"
               "      1: {methods: [id_registry]}\n"
               "      2: {methods: [id_registry, face_match], min_liveness_score: 0.4}\n"
               "      3: {methods: [face_match, id_registry], min_liveness_score: 0.5}\n");
    BOOST_CHECK_EQUAL(c.identity.evidence.levels.size(), 3u);
}

BOOST_AUTO_TEST_CASE(otp_values_out_of_range) {
    Fixture f;
    const std::string low = Fixture::base() +
                            "otp:\n"
                            "  digits: 5\n"
                            "  lifetime_seconds: 29\n"
                            "  max_attempts: 0\n"
                            "  max_failures: 1\n"
                            "  failure_window_seconds: 59\n"
                            "  lockout_seconds: 59\n"
                            "  max_sends_per_hour: 0\n"
                            "  max_client_sends_per_minute: 0\n"
                            "  message: 'no code here'\n"
                            "  hmac_key_label: ''\n"
                            "  seed_kek_label: ''\n"
                            "  totp: {digits: 5, period_seconds: 15, window: 3, issuer: ''}\n";
    const std::string message_rule = "is not at most 300 bytes holding {code} exactly once";
    check_problems(
        f, low,
        {{"digits: 5", "5", "otp.digits: 5 is not a digit count (6-8)"},
         {"lifetime_seconds", "29", "otp.lifetime_seconds: 29 is not a duration (30-3600)"},
         {"max_attempts", "0", "otp.max_attempts: 0 is not a number of attempts (1-20)"},
         {"max_failures", "1", "otp.max_failures: 1 is not a number of failures (2-100)"},
         {"failure_window_seconds", "59",
          "otp.failure_window_seconds: 59 is not a duration (60-604800)"},
         {"lockout_seconds", "59", "otp.lockout_seconds: 59 is not a duration (60-2592000)"},
         {"max_sends_per_hour", "0", "otp.max_sends_per_hour: 0 is not a number of sends (1-1000)"},
         {"max_client_sends_per_minute", "0",
          "otp.max_client_sends_per_minute: 0 is not a number of sends (1-100000)"},
         {"message", "'no", "otp.message: " + message_rule},
         {"hmac_key_label", "''", "otp.hmac_key_label: must not be empty"},
         {"seed_kek_label", "''", "otp.seed_kek_label: must not be empty"},
         {"{digits: 5", "5", "otp.totp.digits: 5 is not a digit count (6-8)"},
         {"period_seconds: 15", "15",
          "otp.totp.period_seconds: 15 is not a period in seconds (30-60)"},
         {"window: 3", "3", "otp.totp.window: 3 is not a number of periods (0-2)"},
         {"issuer: ''", "''",
          "otp.totp.issuer: is not 1-64 bytes without ':' (the otpauth label's separator)"}});
    const std::string high = Fixture::base() +
                             "otp:\n"
                             "  digits: 9\n"
                             "  lifetime_seconds: 3601\n"
                             "  max_attempts: 21\n"
                             "  max_failures: 101\n"
                             "  failure_window_seconds: 604801\n"
                             "  lockout_seconds: 2592001\n"
                             "  min_send_interval_seconds: 3601\n"
                             "  max_sends_per_hour: 1001\n"
                             "  max_client_sends_per_minute: 100001\n"
                             "  message: '{code} {code}'\n"
                             "  totp: {digits: 9, period_seconds: 45, issuer: 'a:b'}\n";
    check_problems(
        f, high,
        {{"digits: 9", "9", "otp.digits: 9 is not a digit count (6-8)"},
         {"lifetime_seconds", "3601", "otp.lifetime_seconds: 3601 is not a duration (30-3600)"},
         {"max_attempts", "21", "otp.max_attempts: 21 is not a number of attempts (1-20)"},
         {"max_failures", "101", "otp.max_failures: 101 is not a number of failures (2-100)"},
         {"failure_window_seconds", "604801",
          "otp.failure_window_seconds: 604801 is not a duration (60-604800)"},
         {"lockout_seconds", "2592001",
          "otp.lockout_seconds: 2592001 is not a duration (60-2592000)"},
         {"min_send_interval_seconds", "3601",
          "otp.min_send_interval_seconds: 3601 is not a duration (0-3600)"},
         {"max_sends_per_hour", "1001",
          "otp.max_sends_per_hour: 1001 is not a number of sends (1-1000)"},
         {"max_client_sends_per_minute", "100001",
          "otp.max_client_sends_per_minute: 100001 is not a number of sends (1-100000)"},
         {"message", "'{code}", "otp.message: " + message_rule},
         {"{digits: 9", "9", "otp.totp.digits: 9 is not a digit count (6-8)"},
         {"period_seconds: 45", "45",
          "otp.totp.period_seconds: is not 30 or 60 (RFC 6238 §5.2 recommends 30)"},
         {"issuer: 'a:b'", "'a:b'",
          "otp.totp.issuer: is not 1-64 bytes without ':' (the otpauth label's separator)"}});
    const std::string long_message =
        Fixture::base() + "otp:\n  message: '{code}" + std::string(295, 'x') + "'\n";
    check_problems(f, long_message, {{"message", "'", "otp.message: " + message_rule}});
}

BOOST_AUTO_TEST_CASE(sms_gateway_values_and_secrets) {
    Fixture f;
    const std::string yaml = Fixture::base() +
                             "otp:\n"
                             "  sms_gateway:\n"
                             "    url: 'ftp://sms.example/?key=s3cr3t-url'\n"
                             "    body_template: '{\"to\": \"{{phone}}\"'\n"
                             "    headers: {X-Api-Key: 'sk-live-s3cr3t', 'Bad Name': 'env:X', "
                             "content-type: 'env:CT', X-File: 'file:absent', X-Env: 'env:1BAD'}\n"
                             "    connect_timeout_ms: 0\n"
                             "    timeout_ms: 600001\n"
                             "    retries: 6\n"
                             "    backoff_ms: 10001\n";
    const std::string g = "otp.sms_gateway.";
    const std::string not_settable =
        "is not a header name one may set (RFC 9110 token "
        "characters; not Content-Type, which is JSON's)";
    const std::string message = check_problems(
        f, yaml,
        {{"url:", "'ftp", g + "url: is not an http:// or https:// URL (the value is not shown)"},
         {"body_template", "'{", g + "body_template: is not JSON"},
         {"'sk-live", "'sk",
          g + "headers.X-Api-Key: must be file:PATH or env:VARIABLE (a header value itself is "
              "never accepted; the value is not shown)"},
         {"'Bad Name'", "'Bad", g + "headers.Bad Name: " + not_settable},
         {"content-type", "content-type", g + "headers.content-type: " + not_settable},
         {"'file:absent", "'file",
          g + "headers.X-File: file " + (f.dir / "absent").string() + " does not exist"},
         {"'env:1BAD", "'env",
          g + "headers.X-Env: env: needs an environment variable's name (letters, digits and _, "
              "not starting with a digit); the value is not shown"},
         {"connect_timeout_ms", "0", g + "connect_timeout_ms: 0 is not a duration (1-600000)"},
         {"timeout_ms: 6", "600001", g + "timeout_ms: 600001 is not a duration (1-600000)"},
         {"retries", "6", g + "retries: 6 is not a number of retries (0-5)"},
         {"backoff_ms", "10001", g + "backoff_ms: 10001 is not a duration (0-10000)"}});
    BOOST_CHECK(!contains(message, "s3cr3t"));

    // Both the URL and the template are required; the template must carry the message.
    const std::string empty = Fixture::base() + "otp:\n  sms_gateway: {}\n";
    check_problems(f, empty,
                   {{"sms_gateway", "{}", g + "url: is required"},
                    {"sms_gateway", "{}", g + "body_template: is required"}});
    const std::string no_message = Fixture::base() +
                                   "otp:\n  sms_gateway:\n    url: http://127.0.0.1:9/\n"
                                   "    body_template: '{\"to\": \"{{phone}}\", \"n\": 1}'\n";
    check_problems(f, no_message,
                   {{"body_template", "'{",
                     g + "body_template: has no string value with the placeholder {{message}}"}});
}

BOOST_AUTO_TEST_CASE(the_ra_scopes_are_known) {
    Fixture f;
    const Config c = f.load(Fixture::base() +
                            "api_clients:\n"
                            "  - {name: officer, scopes: [ra:officer, subjects:read, "
                            "subjects:write, otp], token_sha256: '" +
                            std::string(64, 'a') + "'}\n");
    BOOST_REQUIRE_EQUAL(c.api_clients.size(), 1u);
    BOOST_CHECK_EQUAL(c.api_clients[0].scopes.size(), 4u);
}

BOOST_AUTO_TEST_SUITE_END()
