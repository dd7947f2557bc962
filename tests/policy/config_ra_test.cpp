// signet.yaml's identity and otp sections: every key's default, a good value, and each bad value
// named at its line; provider keys checked at load; secrets never repeated.
#include <boost/test/unit_test.hpp>

#include "common/error.hpp"
#include "policy/config.hpp"
#include "tests/policy/config_fixture.hpp"

using namespace signet;
using namespace signet::policy;
using namespace signet::policy::testing;
using signet::testing::write_file;

namespace {

const std::string kLevels =
    "    levels:\n"
    "      2: {methods: [id_registry]}\n"
    "      3: {methods: [id_registry, face_match, liveness], "
    "min_face_match_score: 0.9, min_liveness_score: 0.85}\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(config_ra)

BOOST_AUTO_TEST_CASE(defaults) {
    Fixture f;
    const Config c = f.load(Fixture::base());
    const IdentitySettings& id = c.identity;
    BOOST_CHECK_EQUAL(id.hmac_key_label, "signet-identity");
    BOOST_CHECK(id.evidence.audience.empty());
    BOOST_CHECK_EQUAL(id.evidence.max_age.count(), 600);
    BOOST_CHECK_EQUAL(id.evidence.clock_skew.count(), 60);
    BOOST_CHECK_EQUAL(id.evidence.max_token_bytes, 16384u);
    BOOST_CHECK(id.evidence.providers.empty());
    BOOST_CHECK(id.evidence.levels.empty());
    const OtpSettings& otp = c.otp;
    BOOST_CHECK_EQUAL(otp.digits, 6u);
    BOOST_CHECK_EQUAL(otp.lifetime.count(), 300);
    BOOST_CHECK_EQUAL(otp.max_attempts, 5u);
    BOOST_CHECK_EQUAL(otp.max_failures, 10u);
    BOOST_CHECK_EQUAL(otp.failure_window.count(), 3600);
    BOOST_CHECK_EQUAL(otp.lockout.count(), 1800);
    BOOST_CHECK_EQUAL(otp.min_send_interval.count(), 60);
    BOOST_CHECK_EQUAL(otp.max_sends_per_hour, 10u);
    BOOST_CHECK_EQUAL(otp.max_client_sends_per_minute, 60u);
    BOOST_CHECK_EQUAL(otp.message,
                      "Signet code {code}, valid for {minutes} minutes. Never share it.");
    BOOST_CHECK_EQUAL(otp.hmac_key_label, "signet-otp");
    BOOST_CHECK_EQUAL(otp.seed_kek_label, "user-kek");  // ca.user_key_kek's default
    BOOST_CHECK_EQUAL(otp.totp.digits, 6u);
    BOOST_CHECK_EQUAL(otp.totp.period.count(), 30);
    BOOST_CHECK_EQUAL(otp.totp.window, 1u);
    BOOST_CHECK_EQUAL(otp.totp.issuer, "Signet");
    BOOST_CHECK(!otp.sms_gateway);
}

BOOST_AUTO_TEST_CASE(seed_kek_follows_the_ca_kek_unless_named) {
    Fixture f;
    BOOST_CHECK_EQUAL(
        f.load(Fixture::base() + "ca: {user_key_kek: vault-kek}\n").otp.seed_kek_label,
        "vault-kek");
    BOOST_CHECK_EQUAL(f.load(Fixture::base() + "ca: {user_key_kek: vault-kek}\n"
                                               "otp: {seed_kek_label: seed-kek}\n")
                          .otp.seed_kek_label,
                      "seed-kek");
}

BOOST_AUTO_TEST_CASE(every_key_read) {
    Fixture f;
    const std::string ec_pem = pem_of(make_key("EC", "P-256").get());
    const std::string rsa_pem = pem_of(make_key("RSA", nullptr, 2048).get());
    std::filesystem::create_directories(f.dir / "keys");
    write_file(f.dir / "keys" / "idv.pem", ec_pem);
    write_file(f.dir / "rsa.pem", rsa_pem);
    write_file(f.dir / "sms-key", "k3y\n");
    const Config c =
        f.load(Fixture::base() +
               "identity:\n"
               "  max_assurance_level: 4\n"
               "  hmac_key_label: id-hmac\n"
               "  evidence:\n"
               "    audience: signet-prod\n"
               "    max_age_seconds: 300\n"
               "    clock_skew_seconds: 0\n"
               "    max_token_bytes: 65536\n"
               "    providers:\n"
               "      - {issuer: 'https://idv.example.cn', key_id: '2026-01', "
               "public_key: keys/idv.pem}\n"
               "      - {issuer: 'https://idv.example.cn', key_id: '2026-02', "
               "public_key: rsa.pem}\n" +
               kLevels +
               "      4: {methods: [id_registry, face_match, liveness, "
               "in_person], min_face_match_score: 1, min_liveness_score: 0.85}\n"
               "otp:\n"
               "  digits: 8\n"
               "  lifetime_seconds: 120\n"
               "  max_attempts: 3\n"
               "  max_failures: 6\n"
               "  failure_window_seconds: 600\n"
               "  lockout_seconds: 900\n"
               "  min_send_interval_seconds: 0\n"
               "  max_sends_per_hour: 4\n"
               "  max_client_sends_per_minute: 100\n"
               "  message: 'Code {code}'\n"
               "  hmac_key_label: otp-hmac\n"
               "  seed_kek_label: seed-kek\n"
               "  totp: {digits: 8, period_seconds: 60, window: 2, issuer: Acme}\n"
               "  sms_gateway:\n"
               "    url: 'https://sms.example/send?k=1'\n"
               "    body_template: '{\"to\": \"{{phone}}\", \"text\": \"{{message}}\"}'\n"
               "    headers: {X-Api-Key: 'env:SMS_API_KEY', X-Other: 'file:sms-key'}\n"
               "    connect_timeout_ms: 500\n"
               "    timeout_ms: 2000\n"
               "    retries: 0\n"
               "    backoff_ms: 0\n");
    const EvidenceSettings& e = c.identity.evidence;
    BOOST_CHECK_EQUAL(c.identity.hmac_key_label, "id-hmac");
    BOOST_CHECK_EQUAL(e.audience, "signet-prod");
    BOOST_CHECK_EQUAL(e.max_age.count(), 300);
    BOOST_CHECK_EQUAL(e.clock_skew.count(), 0);
    BOOST_CHECK_EQUAL(e.max_token_bytes, 65536u);
    BOOST_REQUIRE_EQUAL(e.providers.size(), 2u);
    BOOST_CHECK_EQUAL(e.providers[0].issuer, "https://idv.example.cn");
    BOOST_CHECK_EQUAL(e.providers[0].key_id, "2026-01");
    BOOST_CHECK_EQUAL(e.providers[0].public_key, f.dir / "keys" / "idv.pem");
    BOOST_CHECK_EQUAL(e.providers[0].public_key_pem, ec_pem);
    BOOST_CHECK_EQUAL(e.providers[1].public_key_pem, rsa_pem);
    BOOST_REQUIRE_EQUAL(e.levels.size(), 3u);
    BOOST_CHECK(e.levels.at(2).methods == std::vector<std::string>{"id_registry"});
    BOOST_CHECK(!e.levels.at(2).min_face_match_score);
    BOOST_CHECK_EQUAL(e.levels.at(3).methods.size(), 3u);
    BOOST_CHECK_CLOSE(e.levels.at(3).min_face_match_score.value(), 0.9, 1e-9);
    BOOST_CHECK_CLOSE(e.levels.at(3).min_liveness_score.value(), 0.85, 1e-9);
    BOOST_CHECK_CLOSE(e.levels.at(4).min_face_match_score.value(), 1.0, 1e-9);

    const OtpSettings& otp = c.otp;
    BOOST_CHECK_EQUAL(otp.digits, 8u);
    BOOST_CHECK_EQUAL(otp.lifetime.count(), 120);
    BOOST_CHECK_EQUAL(otp.max_attempts, 3u);
    BOOST_CHECK_EQUAL(otp.max_failures, 6u);
    BOOST_CHECK_EQUAL(otp.failure_window.count(), 600);
    BOOST_CHECK_EQUAL(otp.lockout.count(), 900);
    BOOST_CHECK_EQUAL(otp.min_send_interval.count(), 0);
    BOOST_CHECK_EQUAL(otp.max_sends_per_hour, 4u);
    BOOST_CHECK_EQUAL(otp.max_client_sends_per_minute, 100u);
    BOOST_CHECK_EQUAL(otp.message, "Code {code}");
    BOOST_CHECK_EQUAL(otp.hmac_key_label, "otp-hmac");
    BOOST_CHECK_EQUAL(otp.seed_kek_label, "seed-kek");
    BOOST_CHECK_EQUAL(otp.totp.digits, 8u);
    BOOST_CHECK_EQUAL(otp.totp.period.count(), 60);
    BOOST_CHECK_EQUAL(otp.totp.window, 2u);
    BOOST_CHECK_EQUAL(otp.totp.issuer, "Acme");
    BOOST_REQUIRE(otp.sms_gateway);
    const SmsGatewayConfig& sms = *otp.sms_gateway;
    BOOST_CHECK_EQUAL(sms.url, "https://sms.example/send?k=1");
    BOOST_CHECK_EQUAL(sms.body_template, R"({"to": "{{phone}}", "text": "{{message}}"})");
    BOOST_REQUIRE_EQUAL(sms.headers.size(), 2u);
    BOOST_CHECK_EQUAL(sms.headers[0].first, "X-Api-Key");
    BOOST_CHECK(sms.headers[0].second.kind == SecretSource::Kind::env);
    BOOST_CHECK_EQUAL(sms.headers[0].second.location, "SMS_API_KEY");
    BOOST_CHECK(sms.headers[1].second.kind == SecretSource::Kind::file);
    BOOST_CHECK_EQUAL(sms.headers[1].second.location, (f.dir / "sms-key").string());
    BOOST_CHECK_EQUAL(sms.connect_timeout.count(), 500);
    BOOST_CHECK_EQUAL(sms.timeout.count(), 2000);
    BOOST_CHECK_EQUAL(sms.retries, 0u);
    BOOST_CHECK_EQUAL(sms.backoff.count(), 0);
}

BOOST_AUTO_TEST_CASE(the_old_totp_keys_are_gone_from_otp) {
    Fixture f;
    const std::string yaml = Fixture::base() + "otp:\n  period_seconds: 30\n";
    check_line(f.error(yaml), place(f, yaml, "period_seconds", "period_seconds") +
                                  "otp.period_seconds: unknown key");
}

BOOST_AUTO_TEST_SUITE_END()
