// signet.yaml: defaults, path resolution, and a FILE:LINE:COLUMN + key for every kind of mistake.
#include "policy/config.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <sstream>

#include "common/error.hpp"
#include "tests/policy/config_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::policy;
using namespace signet::policy::testing;
using signet::testing::expect_error;
using signet::testing::read_file;
using signet::testing::run_command;
using signet::testing::write_file;

BOOST_AUTO_TEST_SUITE(config)

// --- What a valid file gives -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(minimal_configuration_gets_defaults) {
    Fixture f;
    const Config c = f.load(Fixture::base());
    BOOST_CHECK_EQUAL(c.file, f.file());
    BOOST_CHECK_EQUAL(c.hsm.token, "signet-dev");
    BOOST_CHECK_EQUAL(c.hsm.module, "/usr/lib/softhsm/libsofthsm2.so");
    BOOST_CHECK_EQUAL(c.hsm.pool_size, 8u);
    BOOST_CHECK_EQUAL(c.hsm.session_wait.count(), 5000);
    BOOST_CHECK_EQUAL(c.hsm.retry_interval.count(), 1000);
    BOOST_CHECK(c.http.enabled);
    BOOST_CHECK_EQUAL(c.http.address, "127.0.0.1");
    BOOST_CHECK_EQUAL(c.http.port, 8080);
    BOOST_CHECK(!c.https.enabled);
    BOOST_CHECK_EQUAL(c.https.port, 8443);
    BOOST_CHECK(!c.https.tls.require_client_certificate);
    BOOST_CHECK_EQUAL(c.limits.max_header_bytes, 8192u);
    BOOST_CHECK_EQUAL(c.limits.max_body_bytes, 1024u * 1024);
    BOOST_CHECK_EQUAL(c.limits.header_timeout.count(), 10'000);
    BOOST_CHECK_EQUAL(c.limits.read_timeout.count(), 10'000);
    BOOST_CHECK_EQUAL(c.limits.idle_timeout.count(), 60'000);
    BOOST_CHECK_EQUAL(c.limits.max_connections, 1024u);
    BOOST_CHECK_EQUAL(c.limits.shutdown_grace.count(), 10'000);
    BOOST_CHECK(!c.database.dsn);
    BOOST_CHECK_EQUAL(c.database.pool_size, 8u);
    BOOST_CHECK(c.logging.level == LogLevel::info);
    BOOST_CHECK_EQUAL(c.logging.access_log, "stdout");
    BOOST_CHECK(c.api_clients.empty());
    BOOST_CHECK(c.ca.profiles.empty());
    BOOST_CHECK_EQUAL(c.signing.max_document_bytes, 100u * 1024 * 1024);
    BOOST_CHECK_EQUAL(c.signing.documents_key_label, "signet-documents");
    BOOST_CHECK_EQUAL(c.tsa.policy_oid, "1.3.6.1.4.1.99999.1.1");
    BOOST_CHECK_EQUAL(c.tsa.digests.size(), 3u);
    BOOST_CHECK_EQUAL(c.tsa.accuracy.count(), 1000);
    BOOST_CHECK_EQUAL(c.tsa.precision, 3u);
    BOOST_CHECK(!c.tsa.allow_unsynchronized_clock);
    // The chain by default: a verifier that trusts only the root must build the path.
    BOOST_CHECK(c.tsa.include_chain);
    BOOST_CHECK_EQUAL(c.tsa.key_label, "tsa");
    BOOST_CHECK(c.tsa.include_tsa_name);
    BOOST_CHECK(c.tsa.signing_digest == Digest::sha256);
    BOOST_CHECK_EQUAL(c.ocsp.response_validity.count(), 3600);
    BOOST_CHECK_EQUAL(c.otp.digits, 6u);
    BOOST_CHECK_EQUAL(c.identity.max_assurance_level, 3u);
}

BOOST_AUTO_TEST_CASE(relative_paths_resolve_against_the_files_directory) {
    Fixture f;
    std::filesystem::create_directories(f.dir / "tls");
    write_file(f.dir / "tls" / "chain.pem", "x");
    write_file(f.dir / "tls" / "server.key", "x");
    write_file(f.dir / "tls" / "clients.pem", "x");
    const Config c = f.load(
        "state_dir: ./state/../var\n"
        "hsm: {token: t, pin: file:pin}\n"
        "logging: {access_log: logs/access.log}\n"
        "listeners:\n  https:\n    enabled: true\n    tls:\n"
        "      certificate: tls/chain.pem\n      key: tls/server.key\n"
        "      client_ca: tls/clients.pem\n      require_client_certificate: true\n");
    BOOST_CHECK_EQUAL(c.state_dir, f.dir.path() / "var");
    BOOST_CHECK_EQUAL(c.hsm.pin.location, (f.dir / "pin").string());
    BOOST_CHECK_EQUAL(c.logging.access_log, (f.dir / "logs" / "access.log").string());
    BOOST_CHECK_EQUAL(c.https.tls.certificate, f.dir / "tls" / "chain.pem");
    BOOST_CHECK_EQUAL(c.https.tls.key, (f.dir / "tls" / "server.key").string());
    BOOST_CHECK(!c.https.tls.key_in_hsm());
    BOOST_CHECK_EQUAL(c.https.tls.client_ca.value(), f.dir / "tls" / "clients.pem");

    // Absolute paths stay as they are; an HSM key is not a path.
    const Config absolute =
        f.load("state_dir: /srv/signet\nhsm: {token: t, pin: file:" + (f.dir / "pin").string() +
               "}\nlisteners:\n  https:\n    tls: {key: hsm:tls-server}\n");
    BOOST_CHECK_EQUAL(absolute.state_dir, "/srv/signet");
    BOOST_CHECK_EQUAL(f.load("state_dir: .\nhsm: {token: t, pin: file:pin}\n").state_dir,
                      f.dir.path());
    BOOST_CHECK_EQUAL(f.load("state_dir: var/\nhsm: {token: t, pin: file:pin}\n").state_dir,
                      f.dir / "var");
    BOOST_CHECK(absolute.https.tls.key_in_hsm());
    BOOST_CHECK_EQUAL(absolute.https.tls.hsm_key_label(), "tls-server");
}

BOOST_AUTO_TEST_CASE(every_section_read) {
    Fixture f;
    const std::string cert(64, 'c');
    const Config c = f.load(Fixture::base() +
                            "listeners:\n  http: {enabled: false, address: '::', port: 80}\n"
                            "limits: {max_body_bytes: 2048, header_timeout_ms: 250, read_timeout_ms: 500, "
                            "threads: 2, "
                            "worker_threads: 40}\n"
                            "database: {dsn: 'host=db dbname=signet user=signet', pool_size: 4}\n"
                            "logging: {level: debug, access_log: stderr}\n"
                            "api_clients:\n"
                            "  - {name: front, scopes: [sign], certificate_sha256: '" +
                            cert +
                            "'}\n"
                            "tsa: {digests: [sha384], accuracy_ms: 20, precision: 2, "
                            "include_tsa_name: false, signing_digest: sha512}\n"
                            "ocsp: {response_validity_seconds: 600, max_certificates_per_request: 4,"
                            " presign_hashes: [sha256], live_signing: {burst: 5}}\n"
                            "otp: {digits: 8, totp: {period_seconds: 60, window: 0}}\n"
                            "signing: {max_document_bytes: 1000, documents_key_label: docs-2027}\n"
                            "identity: {max_assurance_level: 4}\n");
    BOOST_CHECK(!c.http.enabled);
    BOOST_CHECK_EQUAL(c.http.address, "::");
    BOOST_CHECK_EQUAL(c.http.port, 80);
    BOOST_CHECK_EQUAL(c.limits.max_body_bytes, 2048u);
    BOOST_CHECK_EQUAL(c.limits.header_timeout.count(), 250);
    BOOST_CHECK_EQUAL(c.limits.read_timeout.count(), 500);
    BOOST_CHECK_EQUAL(c.limits.threads, 2u);
    BOOST_CHECK_EQUAL(c.limits.worker_threads, 40u);
    BOOST_CHECK_EQUAL(c.database.dsn.value(), "host=db dbname=signet user=signet");
    BOOST_CHECK_EQUAL(c.database.pool_size, 4u);
    BOOST_CHECK(c.logging.level == LogLevel::debug);
    BOOST_CHECK_EQUAL(c.logging.access_log, "stderr");
    BOOST_REQUIRE_EQUAL(c.api_clients.size(), 1u);
    BOOST_CHECK(c.api_clients[0].certificate_sha256 == Bytes(32, 0xcc));
    BOOST_CHECK(!c.api_clients[0].token_sha256);
    BOOST_REQUIRE_EQUAL(c.tsa.digests.size(), 1u);
    BOOST_CHECK(c.tsa.digests[0] == Digest::sha384);
    BOOST_CHECK_EQUAL(c.tsa.accuracy.count(), 20);
    BOOST_CHECK_EQUAL(c.tsa.precision, 2u);
    BOOST_CHECK(!c.tsa.include_tsa_name);
    BOOST_CHECK(c.tsa.signing_digest == Digest::sha512);
    BOOST_CHECK_EQUAL(c.ocsp.response_validity.count(), 600);
    BOOST_CHECK_EQUAL(c.ocsp.max_certificates_per_request, 4u);
    BOOST_CHECK(!c.ocsp.presign_sha1);
    BOOST_CHECK(c.ocsp.presign_sha256);
    BOOST_CHECK_EQUAL(c.ocsp.live_burst, 5u);
    BOOST_CHECK_EQUAL(c.ocsp.live_per_client_per_second, 10u);
    BOOST_CHECK_EQUAL(c.otp.digits, 8u);
    BOOST_CHECK_EQUAL(c.otp.totp.period.count(), 60);
    BOOST_CHECK_EQUAL(c.otp.totp.window, 0u);
    BOOST_CHECK_EQUAL(c.signing.max_document_bytes, 1000u);
    BOOST_CHECK_EQUAL(c.signing.documents_key_label, "docs-2027");
    BOOST_CHECK_EQUAL(c.identity.max_assurance_level, 4u);
}

BOOST_AUTO_TEST_CASE(the_example_configuration_loads) {
    // The example expects a PIN file next to it, as on a node; everything else it names may be
    // absent (the https listener is disabled).
    Fixture f;
    write_file(f.file(), read_file(source_dir() + "/ops/signet.example.yaml"));
    std::filesystem::create_directories(f.dir / "var");
    write_file(f.dir / "var" / "hsm-user.pin", "1234\n");
    const Config c = load_config(f.file());
    BOOST_CHECK_EQUAL(c.state_dir, f.dir.path() / "var");
    BOOST_CHECK_EQUAL(c.hsm.token, "signet-dev");
    BOOST_CHECK(!c.https.enabled);
    BOOST_CHECK_EQUAL(c.api_clients.size(), 2u);
    BOOST_CHECK_EQUAL(c.ca.profiles.size(), 2u);
    BOOST_CHECK_EQUAL(c.identity.evidence.levels.size(), 2u);
    BOOST_CHECK_EQUAL(c.otp.seed_kek_label, c.ca.user_key_kek);
    BOOST_REQUIRE(c.otp.sms_gateway);
    BOOST_CHECK_EQUAL(c.otp.sms_gateway->headers.at(0).second.location, "SMS_API_KEY");
    BOOST_CHECK_EQUAL(c.ca.profiles.at("personal").extended_key_usage.front(),
                      "1.3.6.1.5.5.7.3.36");
    BOOST_CHECK_EQUAL(c.ca.profiles.at("e-seal").required_assurance, 3u);
}

// --- Each kind of mistake, with its exact place ----------------------------------------------

BOOST_AUTO_TEST_CASE(parse_config_names_the_source_as_given) {
    // The shape of every message: SOURCE:LINE:COLUMN: KEY.PATH: what is wrong.
    expect_error(
        [] {
            parse_config(
                "state_dir: /var/lib/signet\n"
                "hsm: {token: t, pin: env:SIGNET_PIN}\n"
                "listeners:\n"
                "  https:\n"
                "    port: 70000\n",
                "signet.yaml");
        },
        Errc::invalid_argument,
        "signet.yaml:5:11: listeners.https.port: 70000 is not a port (1-65535)");
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_named_with_a_suggestion) {
    Fixture f;
    const std::string message = f.error(Fixture::base() +
                                        "listeners:\n  http:\n    prot: 8080\n"
                                        "limts: {}\n"
                                        "tsa: {frobnicate: 1}\n");
    check_line(message, f.at(7, 5) + "listeners.http.prot: unknown key (did you mean 'port'?)");
    check_line(message, f.at(8, 1) + "limts: unknown key (did you mean 'limits'?)");
    check_line(message, f.at(9, 7) + "tsa.frobnicate: unknown key");
}

BOOST_AUTO_TEST_CASE(a_key_given_twice_is_refused) {
    // yaml-cpp would silently keep the first; the second is what the operator meant to change.
    Fixture f;
    const std::string message =
        f.error(Fixture::base() + "listeners:\n  http:\n    port: 8080\n    port: 9090\n");
    check_line(message, f.at(8, 5) +
                            "listeners.http.port: appears twice (first at line 7); only one is "
                            "allowed");
}

BOOST_AUTO_TEST_CASE(ports_out_of_range) {
    Fixture f;
    const std::string message = f.error(Fixture::base() +
                                        "listeners:\n  http:\n    port: 70000\n"
                                        "  https:\n    port: 0\n");
    check_line(message, f.at(7, 11) + "listeners.http.port: 70000 is not a port (1-65535)");
    check_line(message, f.at(9, 11) + "listeners.https.port: 0 is not a port (1-65535)");
}

BOOST_AUTO_TEST_CASE(wrong_types) {
    Fixture f;
    const std::string message = f.error(Fixture::base() +
                                        "limits:\n  max_connections: many\n"
                                        "listeners:\n  http:\n    enabled: perhaps\n"
                                        "tsa:\n  digests: sha256\n"
                                        "hsm2: []\n"
                                        "database: [a, b]\n"
                                        "ca: {profiles: [x]}\n");
    check_line(message, f.at(6, 20) + "limits.max_connections: 'many' is not a number");
    check_line(message,
               f.at(9, 14) + "listeners.http.enabled: 'perhaps' is not a boolean (true or false)");
    check_line(message, f.at(11, 12) + "tsa.digests: expected a list");
    check_line(message, f.at(12, 1) + "hsm2: unknown key (did you mean 'hsm'?)");
    check_line(message, f.at(13, 11) + "database: expected a mapping");
    check_line(message, f.at(14, 16) + "ca.profiles: expected a mapping of profile names");
}

BOOST_AUTO_TEST_CASE(numbers_are_plain_and_bounded) {
    Fixture f;
    const std::string message = f.error(Fixture::base() +
                                        "limits:\n"
                                        "  max_body_bytes: -1\n"
                                        "  max_header_bytes: 0x2000\n"
                                        "  read_timeout_ms: 1e4\n"
                                        "  max_connections: 99999999999999999999999\n"
                                        "signing:\n  max_document_bytes: 10737418240\n");
    check_line(message, f.at(6, 19) + "limits.max_body_bytes: -1 is not a size (1-1073741824)");
    check_line(message, f.at(7, 21) + "limits.max_header_bytes: '0x2000' is not a size");
    check_line(message, f.at(8, 20) + "limits.read_timeout_ms: '1e4' is not a duration");
    check_line(message,
               f.at(9, 20) + "limits.max_connections: '99999999999999999999999' is not a number");
    check_line(message, f.at(11, 23) +
                            "signing.max_document_bytes: 10737418240 is not a size (1-1073741824)");
}

BOOST_AUTO_TEST_CASE(missing_required_keys) {
    Fixture f;
    const std::string message = f.error("hsm:\n  pin: file:pin\n");
    check_line(message, f.at(1, 1) + "state_dir: is required");
    check_line(message, f.at(2, 3) + "hsm.token: is required");
    check_line(f.error("state_dir: var\n"), f.at(1, 1) + "hsm: is required");
    check_line(f.error("state_dir: var\nhsm: {token: t}\n"), f.at(2, 6) + "hsm.pin: is required");
    check_line(f.error("state_dir: ''\nhsm: {token: t, pin: file:pin}\n"),
               f.at(1, 12) + "state_dir: must not be empty");
    BOOST_CHECK_EQUAL(f.error(""),
                      f.file().string() + ": is empty (state_dir and hsm are required)");
    check_line(f.error("- just\n- a list\n"),
               f.at(1, 1) + "the configuration must be a YAML mapping of sections");
}

BOOST_AUTO_TEST_CASE(the_tsa_signing_digest_is_checked) {
    Fixture f;
    const std::string message = f.error(Fixture::base() + "tsa: {signing_digest: sha1}\n");
    BOOST_CHECK_MESSAGE(
        contains(message, "tsa.signing_digest: 'sha1' is not accepted (sha256, sha384, sha512)"),
        message);
}

BOOST_AUTO_TEST_CASE(oids_are_checked) {
    Fixture f;
    const std::string message = f.error(Fixture::base() +
                                        "tsa:\n  policy_oid: 1.2.3.x\n"
                                        "  accepted_policies: [1.3.6.1.4.1.1, 3.1, 1.40, 1.02]\n");
    check_line(message, f.at(6, 15) +
                            "tsa.policy_oid: '1.2.3.x' is not an OID (dotted decimal, e.g. "
                            "1.3.6.1.4.1.99999.1)");
    check_line(message, f.at(7, 38) + "tsa.accepted_policies[1]: '3.1' is not an OID");
    check_line(message, f.at(7, 43) + "tsa.accepted_policies[2]: '1.40' is not an OID");
    check_line(message, f.at(7, 49) + "tsa.accepted_policies[3]: '1.02' is not an OID");
    BOOST_CHECK(!contains(message, "accepted_policies[0]"));

    for (const char* good : {"2.5.29.15", "1.3.6.1.5.5.7.3.36", "0.39", "1.0", "2.999.1",
                             "2.25.329800735698586629295641978511506172918"}) {
        BOOST_CHECK_MESSAGE(is_valid_oid(good), good);
    }
    for (const char* bad : {"", "1", "1.", ".1.2", "1..2", "3.1", "1.40", "0.100", "01.2", "1.02",
                            "1.2.-3", "1.2.3a", "1. 2", "+1.2"}) {
        BOOST_CHECK_MESSAGE(!is_valid_oid(bad), bad);
    }
}

BOOST_AUTO_TEST_CASE(profiles) {
    Fixture f;
    const std::string message = f.error(Fixture::base() +
                                        "ca:\n  profiles:\n    personal:\n"
                                        "      key_types: [ec-p256, ec-p521]\n"
                                        "      validity_days: 0\n"
                                        "      key_usage: [digitalSignature, digitalSignatur]\n"
                                        "      extended_key_usage: [documentSigning, 1.2.x]\n"
                                        "      aia:\n        ocsp_url: ftp://x\n"
                                        "      required_assurance: 4\n"
                                        "    'bad name':\n      key_types: []\n");
    check_line(
        message,
        f.at(9, 22) + "ca.profiles.personal.validity_days: 0 is not a validity in days (1-36500)");
    BOOST_CHECK(contains(message, f.at(8, 28) +
                                      "ca.profiles.personal.key_types[1]: unknown key type "
                                      "'ec-p521'"));
    check_line(message, f.at(10, 37) +
                            "ca.profiles.personal.key_usage[1]: 'digitalSignatur' is not a key "
                            "usage (did you mean 'digitalSignature'?) (RFC 5280 §4.2.1.3)");
    BOOST_CHECK(contains(message, f.at(11, 45) +
                                      "ca.profiles.personal.extended_key_usage[1]: '1.2.x' is "
                                      "neither an OID nor a known extended key usage"));
    check_line(message,
               f.at(13, 19) + "ca.profiles.personal.aia.ocsp_url: 'ftp://x' is not an http(s) URL");
    check_line(message, f.at(14, 27) +
                            "ca.profiles.personal.required_assurance: 4 is not an assurance level "
                            "(0-3)");
    check_line(message, f.at(15, 5) +
                            "ca.profiles.bad name: is not a profile name (letters, digits, '-' "
                            "and '_')");
    check_line(message,
               f.at(16, 18) + "ca.profiles.bad name.key_types: must name at least one key type");
    check_line(message, f.at(15, 5) + "ca.profiles.bad name.validity_days: is required");
    check_line(message, f.at(7, 5) + "ca.profiles.personal.issuer: is required");

    const Config ok = f.load(Fixture::base() +
                             "ca:\n  profiles:\n    personal:\n      issuer: issuing-ca\n"
                             "      key_types: [ec-p256]\n      validity_days: 365\n"
                             "      extended_key_usage: [documentSigning, 1.2.3.4]\n");
    const auto& personal = ok.ca.profiles.at("personal");
    BOOST_CHECK(personal.key_types == std::vector<KeyType>{KeyType::ec_p256});
    BOOST_CHECK_EQUAL(personal.issuer, "issuing-ca");
    BOOST_CHECK(personal.extended_key_usage ==
                (std::vector<std::string>{"1.3.6.1.5.5.7.3.36", "1.2.3.4"}));
}

BOOST_AUTO_TEST_CASE(crl_settings) {
    Fixture f;
    const Config defaults = f.load(Fixture::base());
    BOOST_CHECK(defaults.ca.crl.validity == std::chrono::hours(168));
    BOOST_CHECK(defaults.ca.crl.refresh == std::chrono::hours(24));
    BOOST_CHECK_EQUAL(defaults.ca.user_key_kek, "user-kek");
    const std::string message = f.error(Fixture::base() +
                                        "ca:\n  crl:\n    validity_hours: 12\n"
                                        "    refresh_hours: 12\n  user_key_kek: ''\n");
    check_line(message, f.at(8, 20) +
                            "ca.crl.refresh_hours: refresh_hours (12) must be less than "
                            "validity_hours (12)");
    check_line(message, f.at(9, 17) + "ca.user_key_kek: must not be empty");
}

BOOST_AUTO_TEST_CASE(files_that_do_not_exist) {
    Fixture f;
    const std::string message =
        f.error(Fixture::base() +
                "listeners:\n  https:\n    enabled: true\n    port: 8443\n"
                "    tls:\n      certificate: missing.pem\n      key: missing.key\n"
                "      client_ca: /nonexistent/ca.pem\n");
    check_line(message, f.at(10, 20) + "listeners.https.tls.certificate: file " +
                            (f.dir / "missing.pem").string() + " does not exist");
    check_line(message, f.at(11, 12) + "listeners.https.tls.key: file " +
                            (f.dir / "missing.key").string() +
                            " does not exist (or use hsm:LABEL)");
    check_line(
        message,
        f.at(12, 18) + "listeners.https.tls.client_ca: file /nonexistent/ca.pem does not exist");

    check_line(f.error("state_dir: var\nhsm:\n  module: /nonexistent/p11.so\n  token: t\n"
                       "  pin: file:pin\n"),
               f.at(3, 11) + "hsm.module: file /nonexistent/p11.so does not exist");
    check_line(f.error("state_dir: var\nhsm:\n  token: t\n  pin: file:nope.pin\n"),
               f.at(4, 8) + "hsm.pin: file " + (f.dir / "nope.pin").string() + " does not exist");
}

BOOST_AUTO_TEST_CASE(https_requirements) {
    Fixture f;
    const std::string message =
        f.error(Fixture::base() +
                "listeners:\n  https:\n    enabled: true\n    tls:\n"
                "      key: 'hsm:'\n      require_client_certificate: true\n");
    check_line(message, f.at(9, 7) + "listeners.https.tls.certificate: is required");
    check_line(message, f.at(9, 12) +
                            "listeners.https.tls.key: hsm: needs a key label, as in "
                            "hsm:tls-server");
    check_line(message, f.at(9, 7) + "listeners.https.tls.client_ca: is required");

    const std::string clash = f.error(Fixture::base() +
                                      "listeners:\n  http: {port: 8443}\n"
                                      "  https:\n    enabled: true\n    tls: {key: hsm:k}\n");
    BOOST_CHECK(contains(clash, "listeners: http and https use the same address and port"));
}

BOOST_AUTO_TEST_CASE(listener_addresses_are_ip_literals) {
    Fixture f;
    const std::string message = f.error(Fixture::base() +
                                        "listeners:\n  http: {address: localhost}\n"
                                        "  https: {address: ''}\n");
    check_line(message, f.at(6, 19) +
                            "listeners.http.address: 'localhost' is not an IP address (e.g. "
                            "127.0.0.1, 0.0.0.0, ::1, ::)");
    check_line(message, f.at(7, 20) + "listeners.https.address: must not be empty");
    BOOST_CHECK_EQUAL(
        f.load(Fixture::base() + "listeners:\n  http: {address: '::1'}\n").http.address, "::1");
}

BOOST_AUTO_TEST_CASE(pin_sources_and_secrets_never_echoed) {
    Fixture f;
    const Config from_file = f.load(Fixture::base());
    BOOST_CHECK(from_file.hsm.pin.kind == SecretSource::Kind::file);
    BOOST_CHECK_EQUAL(from_file.hsm.pin.location, (f.dir / "pin").string());
    const Config from_env = f.load("state_dir: var\nhsm:\n  token: t\n  pin: env:SIGNET_PIN\n");
    BOOST_CHECK(from_env.hsm.pin.kind == SecretSource::Kind::env);
    BOOST_CHECK_EQUAL(from_env.hsm.pin.location, "SIGNET_PIN");

    // A PIN typed where its source belongs: refused, and the message does not repeat it.
    for (const std::string pin : {"98765432", "'hunter2-secret'", "'file:'", "'env:'"}) {
        const std::string message =
            f.error("state_dir: var\nhsm:\n  token: t\n  pin: " + pin + "\n");
        check_line(message, f.at(4, 8) +
                                "hsm.pin: must be file:PATH or env:VARIABLE (a PIN itself is never "
                                "accepted; the value is not shown)");
        BOOST_CHECK(!contains(message, "98765432"));
        BOOST_CHECK(!contains(message, "hunter2"));
    }
    const std::string env = f.error("state_dir: var\nhsm:\n  token: t\n  pin: 'env:12 34'\n");
    check_line(env, f.at(4, 8) +
                        "hsm.pin: env: needs an environment variable's name (letters, digits and "
                        "_, not starting with a digit); the value is not shown");
    BOOST_CHECK(!contains(env, "12 34"));
    check_line(f.error("state_dir: var\nhsm:\n  token: t\n  pin: [1234]\n"),
               f.at(4, 8) + "hsm.pin: expected a string");

    // A DSN holding a password is refused without showing it; nor is a malformed DSN shown.
    for (const std::string dsn : {"host=db password=s3cr3t-pw", "host=db PASSWORD = s3cr3t-pw",
                                  "postgresql://signet:s3cr3t-pw@db/signet",
                                  "postgres://db/signet?sslmode=require&password=s3cr3t-pw"}) {
        const std::string message = f.error(Fixture::base() + "database:\n  dsn: '" + dsn + "'\n");
        BOOST_CHECK(contains(message, f.at(6, 8) + "database.dsn: contains a password"));
        BOOST_CHECK(!contains(message, "s3cr3t-pw"));
    }
    const std::string garbage = f.error(Fixture::base() + "database:\n  dsn: s3cr3t-pw\n");
    check_line(garbage, f.at(6, 8) +
                            "database.dsn: is neither a postgresql:// URI nor keyword=value pairs "
                            "(the value is not shown)");
    BOOST_CHECK(!contains(garbage, "s3cr3t-pw"));
    for (const std::string dsn : {"postgresql://signet@db:5432/signet?sslmode=verify-full",
                                  "host=db user=signet passfile=/etc/signet/pgpass"}) {
        BOOST_CHECK_EQUAL(
            f.load(Fixture::base() + "database:\n  dsn: '" + dsn + "'\n").database.dsn.value(),
            dsn);
    }
}

BOOST_AUTO_TEST_CASE(api_clients) {
    Fixture f;
    const std::string hash(64, 'a');
    const Config c = f.load(
        Fixture::base() +
        "api_clients:\n  - name: platform\n    scopes: [certificates:issue, tsa]\n"
        "    certificate_sha256: " +
        hash +
        "\n  - name: script\n    scopes: [metrics]\n    token_sha256: '"
        // as openssl prints fingerprints: upper case, colons
        "BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:"
        "BB:BB:BB:BB'\n");
    BOOST_REQUIRE_EQUAL(c.api_clients.size(), 2u);
    BOOST_CHECK(c.api_clients[0].scopes == (std::vector<std::string>{"certificates:issue", "tsa"}));
    BOOST_CHECK(c.api_clients[0].certificate_sha256 == Bytes(32, 0xaa));
    BOOST_CHECK(c.api_clients[1].token_sha256 == Bytes(32, 0xbb));

    const std::string message = f.error(Fixture::base() +
                                        "api_clients:\n"
                                        "  - name: a\n"                            // 6
                                        "    scopes: [root, certificate:issue]\n"  // 7
                                        "  - name: a\n"                            // 8
                                        "    token_sha256: abc\n"                  // 9
                                        "  - name: b\n"                            // 10
                                        "    scopes: []\n"                         // 11
                                        "    certificate_sha256: " +
                                        hash +
                                        "\n"                    // 12
                                        "  - name: c\n"         // 13
                                        "    scopes: [sign]\n"  // 14
                                        "    certificate_sha256: " +
                                        hash +
                                        "\n"                   // 15
                                        "  - just-a-name\n");  // 16
    check_line(message, f.at(6, 5) + "api_clients[0]: needs certificate_sha256 or token_sha256");
    BOOST_CHECK(
        contains(message, f.at(7, 14) + "api_clients[0].scopes[0]: 'root' is not a scope ("));
    check_line(message, f.at(7, 20) +
                            "api_clients[0].scopes[1]: 'certificate:issue' is not a scope (did you "
                            "mean 'certificates:issue'?)");
    check_line(message, f.at(8, 11) + "api_clients[1].name: 'a' is used by another client");
    check_line(message, f.at(8, 5) + "api_clients[1].scopes: is required");
    check_line(message,
               f.at(9, 19) + "api_clients[1].token_sha256: is not a SHA-256 in hex (64 digits)");
    BOOST_CHECK(
        contains(message, f.at(11, 13) + "api_clients[2].scopes: must name at least one scope"));
    check_line(message,
               f.at(15, 25) + "api_clients[3].certificate_sha256: is also api_clients[2]'s");
    BOOST_CHECK(contains(message, f.at(16, 5) + "api_clients[4]: expected a mapping"));
}

BOOST_AUTO_TEST_CASE(tsa_policy) {
    Fixture f;
    const std::string message = f.error(Fixture::base() +
                                        "tsa:\n  digests: [sha256, sha1, md5]\n"
                                        "  accuracy_ms: 5\n  precision: 1\n"
                                        "  key_label: ''\n");
    check_line(message,
               f.at(6, 21) + "tsa.digests[1]: 'sha1' is not accepted (sha256, sha384, sha512)");
    check_line(message,
               f.at(6, 27) + "tsa.digests[2]: 'md5' is not accepted (sha256, sha384, sha512)");
    check_line(message, f.at(8, 14) +
                            "tsa.precision: 1 fractional digits (steps of 100000 us) leave no room "
                            "for the clock's error within an accuracy of 5 ms: use more digits or "
                            "a larger accuracy_ms");
    check_line(message, f.at(9, 14) + "tsa.key_label: must not be empty");
    check_line(f.error(Fixture::base() + "tsa:\n  digests: []\n"),
               f.at(6, 12) + "tsa.digests: must name at least one digest (sha256, sha384, sha512)");
    check_line(f.error(Fixture::base() + "tsa:\n  accuracy_ms: 0\n"),
               f.at(6, 16) + "tsa.accuracy_ms: 0 is not a duration (1-1000)");
    BOOST_CHECK_EQUAL(f.load(Fixture::base() + "tsa: {precision: 6}\n").tsa.precision, 6u);
}

// RFC 3161 section 2.4.2: genTime, cut to the precision, is off from UTC by up to the clock's
// error plus one step, and the accuracy must bound both: a step that uses the whole accuracy
// leaves nothing for the clock, and the TSA could never issue.
BOOST_AUTO_TEST_CASE(a_precision_step_must_leave_room_for_the_clock) {
    Fixture f;
    // Whole seconds fit no accuracy (1000 ms at most).
    check_line(f.error(Fixture::base() + "tsa: {precision: 0}\n"),
               f.at(5, 18) +
                   "tsa.precision: 0 fractional digits (steps of 1000000 us) leave no room for "
                   "the clock's error within an accuracy of 1000 ms: use more digits or a larger "
                   "accuracy_ms");
    // The default precision (3 digits, 1 ms steps) needs 2 ms: 1 ms is refused, naming the key
    // that was given.
    check_line(f.error(Fixture::base() + "tsa:\n  accuracy_ms: 1\n"),
               f.at(6, 16) +
                   "tsa.accuracy_ms: 3 fractional digits (steps of 1000 us) leave no "
                   "room for the clock's error within an accuracy of 1 ms: use more "
                   "digits or a larger accuracy_ms");
    BOOST_CHECK_EQUAL(f.load(Fixture::base() + "tsa:\n  accuracy_ms: 2\n").tsa.accuracy.count(), 2);
    // At the edge: a step equal to the accuracy is refused, one just below it taken.
    BOOST_CHECK(contains(f.error(Fixture::base() + "tsa: {precision: 1, accuracy_ms: 100}\n"),
                         "tsa.precision: 1 fractional digits (steps of 100000 us) leave no room"));
    const Config c = f.load(Fixture::base() + "tsa: {precision: 1, accuracy_ms: 101}\n");
    BOOST_CHECK_EQUAL(c.tsa.precision, 1u);
    BOOST_CHECK_EQUAL(c.tsa.accuracy.count(), 101);
    BOOST_CHECK_EQUAL(policy::precision_step(0).count(), 1'000'000);
    BOOST_CHECK_EQUAL(policy::precision_step(3).count(), 1'000);
    BOOST_CHECK_EQUAL(policy::precision_step(6).count(), 1);
}

// Every wait on the database has a bound from the policy (DESIGN.md: a deadline carried into
// every call that can wait).
BOOST_AUTO_TEST_CASE(database_waits_have_bounds) {
    Fixture f;
    const Config defaults = f.load(Fixture::base());
    BOOST_CHECK_EQUAL(defaults.database.wait.count(), 5'000);
    BOOST_CHECK_EQUAL(defaults.database.statement_timeout.count(), 30'000);
    const Config given =
        f.load(Fixture::base() + "database: {wait_ms: 250, statement_timeout_ms: 1500}\n");
    BOOST_CHECK_EQUAL(given.database.wait.count(), 250);
    BOOST_CHECK_EQUAL(given.database.statement_timeout.count(), 1'500);
    const std::string message =
        f.error(Fixture::base() + "database:\n  wait_ms: 0\n  statement_timeout_ms: 50\n");
    check_line(message, f.at(6, 12) + "database.wait_ms: 0 is not a duration (10-600000)");
    check_line(message,
               f.at(7, 25) + "database.statement_timeout_ms: 50 is not a duration (100-3600000)");
}

BOOST_AUTO_TEST_CASE(yaml_syntax_errors_have_a_position) {
    Fixture f;
    check_line(f.error("state_dir: var\nhsm: [unclosed\n"),
               f.at(3, 1) + "YAML syntax error: end of sequence flow not found");
    check_line(f.error("state_dir: var\n hsm: x\n"),
               f.at(2, 5) + "YAML syntax error: illegal map value");
    check_line(f.error(Fixture::base() + "---\nstate_dir: other\n"),
               f.at(6, 1) + "a second YAML document; the file holds one");
    // yaml-cpp's LoadAll never returned from these (fuzz/policy_fuzz.cpp found it): a ','
    // that cannot start a node is a syntax error at its place.
    check_line(f.error(",\n"),
               f.at(1, 1) + "YAML syntax error: unexpected ',' (a ',' outside [ ] or { }?)");
    check_line(f.error("  state_dir: var\n,\"\n"),
               f.at(2, 1) + "YAML syntax error: unexpected ',' (a ',' outside [ ] or { }?)");
}

BOOST_AUTO_TEST_CASE(hsm_waits_are_read_and_bounded) {
    Fixture f;
    const Config c = f.load(Fixture::base() + "  session_wait_ms: 250\n  retry_interval_ms: 50\n");
    BOOST_CHECK_EQUAL(c.hsm.session_wait.count(), 250);
    BOOST_CHECK_EQUAL(c.hsm.retry_interval.count(), 50);
    const std::string message =
        f.error(Fixture::base() + "  session_wait_ms: 0\n  retry_interval_ms: 5\n");
    BOOST_CHECK_MESSAGE(contains(message, "hsm.session_wait_ms: 0"), message);
    BOOST_CHECK_MESSAGE(contains(message, "hsm.retry_interval_ms: 5"), message);
}

BOOST_AUTO_TEST_CASE(all_problems_are_reported_together_in_file_order) {
    Fixture f;
    const std::string message = f.error(
        "bogus: 1\n"
        "hsm: {token: t, pin: file:pin, pool_size: 0}\n"
        "state_dir: var\n"
        "listeners:\n  http:\n    port: 0\n"
        "limits:\n  threads: -1\n");
    const auto lines = lines_of(message);
    BOOST_REQUIRE_EQUAL(lines.size(), 4u);
    BOOST_CHECK_EQUAL(lines[0], f.at(1, 1) + "bogus: unknown key");
    BOOST_CHECK_EQUAL(lines[1], f.at(2, 43) + "hsm.pool_size: 0 is not a session count (1-1024)");
    BOOST_CHECK_EQUAL(lines[2], f.at(6, 11) + "listeners.http.port: 0 is not a port (1-65535)");
    BOOST_CHECK_EQUAL(lines[3], f.at(8, 12) + "limits.threads: -1 is not a number (0-1024)");
}

BOOST_AUTO_TEST_CASE(the_file_itself) {
    Fixture f;
    expect_error([&] { load_config(f.dir / "absent.yaml"); }, Errc::not_found,
                 "absent.yaml does not exist");
    expect_error([&] { load_config(f.dir.path()); }, Errc::invalid_argument, "is not a file");
    write_file(f.file(), Fixture::base() + "# " + std::string(1024 * 1024, 'x') + "\n");
    expect_error([&] { load_config(f.file()); }, Errc::invalid_argument, "larger than 1024 KiB");
}

// --- signetctl config check --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(signetctl_config_check) {
    const char* binary_dir = std::getenv("SIGNET_BINARY_DIR");
    BOOST_REQUIRE_MESSAGE(binary_dir != nullptr,
                          "SIGNET_BINARY_DIR is not set (run through ctest)");
    const std::string signetctl = std::string(binary_dir) + "/ops/signetctl";
    Fixture f;

    // The example, copied next to a PIN file as on a node.
    write_file(f.file(), read_file(source_dir() + "/ops/signet.example.yaml"));
    std::filesystem::create_directories(f.dir / "var");
    write_file(f.dir / "var" / "hsm-user.pin", "1234\n");
    const auto ok = run_command({signetctl, "config", "check", f.file().string()});
    BOOST_TEST_MESSAGE(ok.output);
    BOOST_CHECK_EQUAL(ok.exit_code, 0);
    BOOST_CHECK(contains(ok.output, f.file().string() + ": OK\n"));
    BOOST_CHECK(contains(ok.output, "http:        127.0.0.1:8080"));
    BOOST_CHECK(contains(ok.output, "PIN from file " + (f.dir / "var" / "hsm-user.pin").string()));

    write_file(f.file(), "state_dir: var\nhsm:\n  token: t\n  pin: 12345678\nlistners: {}\n");
    const auto bad = run_command({signetctl, "config", "check", f.file().string()});
    BOOST_TEST_MESSAGE(bad.output);
    BOOST_CHECK_EQUAL(bad.exit_code, 2);
    BOOST_CHECK(contains(bad.output, f.at(4, 8) + "hsm.pin: must be file:PATH or env:VARIABLE"));
    BOOST_CHECK(
        contains(bad.output, f.at(5, 1) + "listners: unknown key (did you mean 'listeners'?)"));
    BOOST_CHECK(!contains(bad.output, "12345678"));

    const auto absent = run_command({signetctl, "config", "check", (f.dir / "nope.yaml").string()});
    BOOST_CHECK_EQUAL(absent.exit_code, 3);
    BOOST_CHECK_EQUAL(run_command({signetctl, "config", "check"}).exit_code, 2);
}

BOOST_AUTO_TEST_SUITE_END()
