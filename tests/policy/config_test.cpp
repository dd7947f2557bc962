// signet.yaml: validation with file, line, column and key for every kind of mistake.
#include "policy/config.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "common/error.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::policy;
using signet::testing::TempDir;
using signet::testing::write_file;

namespace {

// A minimal valid configuration in `dir`, with a PIN file there.
struct Fixture {
    TempDir dir;
    Fixture() { write_file(dir / "pin", "1234\n"); }

    std::string base() const {
        return "state_dir: var\n"
               "hsm:\n"
               "  token: signet-dev\n"
               "  pin: file:pin\n";
    }
    Config load(const std::string& yaml) const {
        write_file(dir / "signet.yaml", yaml);
        return load_config(dir / "signet.yaml");
    }
    // The error's message for `yaml`, which must be refused.
    std::string error(const std::string& yaml) const {
        try {
            load(yaml);
        } catch (const Error& e) {
            BOOST_CHECK(e.code() == Errc::invalid_argument);
            BOOST_TEST_MESSAGE(e.what());
            return e.what();
        }
        BOOST_ERROR("the configuration was accepted:\n" << yaml);
        return "";
    }
    std::string at(int line, int column) const {
        return (dir / "signet.yaml").string() + ":" + std::to_string(line) + ":" +
               std::to_string(column) + ": ";
    }
};

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(minimal_configuration_gets_defaults_and_resolves_paths) {
    Fixture f;
    const Config c = f.load(f.base());
    BOOST_CHECK_EQUAL(c.state_dir, f.dir.path() / "var");
    BOOST_CHECK_EQUAL(c.hsm.token, "signet-dev");
    BOOST_CHECK(c.hsm.pin.kind == SecretSource::Kind::file);
    BOOST_CHECK_EQUAL(c.hsm.pin.location, (f.dir / "pin").string());
    BOOST_CHECK(c.http.enabled);
    BOOST_CHECK_EQUAL(c.http.port, 8080);
    BOOST_CHECK(!c.https.enabled);
    BOOST_CHECK(!c.database.dsn);
    BOOST_CHECK_EQUAL(c.limits.max_header_bytes, 8192u);
    BOOST_CHECK_EQUAL(c.tsa.digests.size(), 3u);
    BOOST_CHECK(c.logging.level == LogLevel::info);
}

BOOST_AUTO_TEST_CASE(unknown_key_names_its_place_and_suggests) {
    Fixture f;
    const std::string message = f.error(f.base() + "listeners:\n  http:\n    prot: 8080\n");
    BOOST_CHECK(
        contains(message, f.at(7, 5) + "listeners.http.prot: unknown key (did you mean 'port'?)"));
}

BOOST_AUTO_TEST_CASE(port_out_of_range) {
    Fixture f;
    const std::string message = f.error(f.base() + "listeners:\n  http:\n    port: 70000\n");
    BOOST_CHECK(
        contains(message, f.at(7, 11) + "listeners.http.port: 70000 is not a port (1-65535)"));
}

BOOST_AUTO_TEST_CASE(wrong_types) {
    Fixture f;
    const std::string message = f.error(f.base() +
                                        "limits:\n  max_connections: many\n"
                                        "listeners:\n  http:\n    enabled: perhaps\n"
                                        "tsa:\n  digests: sha256\n");
    BOOST_CHECK(contains(message, f.at(6, 20) + "limits.max_connections: 'many' is not a number"));
    BOOST_CHECK(
        contains(message, f.at(9, 14) + "listeners.http.enabled: 'perhaps' is not a boolean"));
    BOOST_CHECK(contains(message, f.at(11, 12) + "tsa.digests: expected a list"));
}

BOOST_AUTO_TEST_CASE(missing_required_keys) {
    Fixture f;
    const std::string message = f.error("hsm:\n  pin: file:pin\n");
    BOOST_CHECK(contains(message, "state_dir: is required"));
    BOOST_CHECK(contains(message, f.at(2, 3) + "hsm.token: is required"));
    const std::string no_hsm = f.error("state_dir: var\n");
    BOOST_CHECK(contains(no_hsm, "hsm: is required"));
}

BOOST_AUTO_TEST_CASE(oids_are_checked) {
    Fixture f;
    const std::string message = f.error(f.base() +
                                        "tsa:\n  policy_oid: 1.2.3.x\n"
                                        "  accepted_policies: [1.3.6.1.4.1.1, 3.1, 1.40, 1.02]\n");
    BOOST_CHECK(contains(message, f.at(6, 15) + "tsa.policy_oid: '1.2.3.x' is not an OID"));
    BOOST_CHECK(contains(message, "tsa.accepted_policies[1]: '3.1' is not an OID"));
    BOOST_CHECK(contains(message, "tsa.accepted_policies[2]: '1.40' is not an OID"));
    BOOST_CHECK(contains(message, "tsa.accepted_policies[3]: '1.02' is not an OID"));
    BOOST_CHECK(!contains(message, "accepted_policies[0]"));
    BOOST_CHECK(is_valid_oid("2.5.29.15"));
    BOOST_CHECK(is_valid_oid("1.3.6.1.5.5.7.3.36"));
    BOOST_CHECK(!is_valid_oid("1"));
    BOOST_CHECK(!is_valid_oid("1..2"));
    BOOST_CHECK(!is_valid_oid(""));
}

BOOST_AUTO_TEST_CASE(profile_validity_of_zero_and_bad_names) {
    Fixture f;
    const std::string message = f.error(f.base() +
                                        "ca:\n  profiles:\n    personal:\n"
                                        "      key_types: [ec-p256, ec-p521]\n"
                                        "      validity_days: 0\n"
                                        "      key_usage: [digitalSignature, signEverything]\n"
                                        "      extended_key_usage: [documentSigning, 1.2.x]\n"
                                        "      aia:\n        ocsp_url: ftp://x\n");
    BOOST_CHECK(contains(
        message,
        f.at(9, 22) + "ca.profiles.personal.validity_days: 0 is not a validity in days (1-36500)"));
    BOOST_CHECK(contains(message, "ca.profiles.personal.key_types[1]: unknown key type 'ec-p521'"));
    BOOST_CHECK(contains(message,
                         "ca.profiles.personal.key_usage[1]: 'signEverything' is not a key usage"));
    BOOST_CHECK(
        contains(message, "ca.profiles.personal.extended_key_usage[1]: '1.2.x' is neither"));
    BOOST_CHECK(
        contains(message, "ca.profiles.personal.aia.ocsp_url: 'ftp://x' is not an http(s) URL"));

    const Config ok = f.load(f.base() +
                             "ca:\n  profiles:\n    personal:\n"
                             "      key_types: [ec-p256]\n      validity_days: 365\n"
                             "      extended_key_usage: [documentSigning]\n");
    BOOST_CHECK_EQUAL(ok.ca.profiles.at("personal").extended_key_usage.front(),
                      "1.3.6.1.5.5.7.3.36");
}

BOOST_AUTO_TEST_CASE(files_that_do_not_exist) {
    Fixture f;
    const std::string message =
        f.error(f.base() +
                "listeners:\n  https:\n    enabled: true\n    port: 8443\n"
                "    tls:\n      certificate: missing.pem\n      key: hsm:tls\n");
    BOOST_CHECK(contains(message, f.at(10, 20) + "listeners.https.tls.certificate: file " +
                                      (f.dir / "missing.pem").string() + " does not exist"));
    const std::string module = f.error(
        "state_dir: var\nhsm:\n  module: /nonexistent/p11.so\n  token: t\n  pin: file:pin\n");
    BOOST_CHECK(contains(module, "hsm.module: file /nonexistent/p11.so does not exist"));
    const std::string pin = f.error("state_dir: var\nhsm:\n  token: t\n  pin: file:nope.pin\n");
    BOOST_CHECK(contains(
        pin, f.at(4, 8) + "hsm.pin: file " + (f.dir / "nope.pin").string() + " does not exist"));
}

BOOST_AUTO_TEST_CASE(a_pin_in_place_of_its_source_is_refused_and_not_echoed) {
    Fixture f;
    const std::string message = f.error("state_dir: var\nhsm:\n  token: t\n  pin: 98765432\n");
    BOOST_CHECK(contains(message, f.at(4, 8) + "hsm.pin: must be file:PATH or env:VARIABLE"));
    BOOST_CHECK(!contains(message, "98765432"));
    const Config env = f.load("state_dir: var\nhsm:\n  token: t\n  pin: env:SIGNET_PIN\n");
    BOOST_CHECK(env.hsm.pin.kind == SecretSource::Kind::env);
}

BOOST_AUTO_TEST_CASE(api_clients) {
    Fixture f;
    const std::string hash(64, 'a');
    const Config c =
        f.load(f.base() +
               "api_clients:\n  - name: platform\n    scopes: [certificates:issue, tsa]\n"
               "    certificate_sha256: " +
               hash + "\n");
    BOOST_REQUIRE_EQUAL(c.api_clients.size(), 1u);
    BOOST_CHECK_EQUAL(c.api_clients[0].scopes.size(), 2u);
    BOOST_CHECK_EQUAL(c.api_clients[0].certificate_sha256->size(), 32u);
    const std::string message = f.error(f.base() +
                                        "api_clients:\n  - name: a\n    scopes: [root]\n"
                                        "  - name: a\n    token_sha256: abc\n");
    BOOST_CHECK(contains(message, "api_clients[0]: needs certificate_sha256 or token_sha256"));
    BOOST_CHECK(contains(message, "api_clients[0].scopes[0]: 'root' is not a scope"));
    BOOST_CHECK(contains(message, "api_clients[1].name: 'a' is used by another client"));
    BOOST_CHECK(contains(message, "api_clients[1].token_sha256: is not a SHA-256 in hex"));
}

BOOST_AUTO_TEST_CASE(yaml_syntax_error_has_a_position) {
    Fixture f;
    const std::string message = f.error("state_dir: var\nhsm: [unclosed\n");
    BOOST_CHECK(contains(message, (f.dir / "signet.yaml").string() + ":"));
    BOOST_CHECK(contains(message, "YAML syntax error"));
    BOOST_CHECK_THROW(load_config(f.dir / "absent.yaml"), Error);
}

BOOST_AUTO_TEST_CASE(all_problems_are_reported_together) {
    Fixture f;
    const std::string message =
        f.error(f.base() + "listeners:\n  http:\n    port: 0\nlimits:\n  threads: -1\nbogus: 1\n");
    BOOST_CHECK(contains(message, "listeners.http.port"));
    BOOST_CHECK(contains(message, "limits.threads"));
    BOOST_CHECK(contains(message, "bogus: unknown key"));
}

BOOST_AUTO_TEST_CASE(the_example_configuration_loads) {
    const char* source = std::getenv("SIGNET_SOURCE_DIR");
    BOOST_REQUIRE(source != nullptr);
    // The example names PIN files under ./var; give it a copy next to a PIN file.
    Fixture f;
    write_file(f.dir / "signet.yaml",
               signet::testing::read_file(std::string(source) + "/ops/signet.example.yaml"));
    std::filesystem::create_directories(f.dir / "var");
    write_file(f.dir / "var" / "hsm-user.pin", "1234\n");
    const Config c = load_config(f.dir / "signet.yaml");
    BOOST_CHECK_EQUAL(c.hsm.token, "signet-dev");
    BOOST_CHECK(!c.ca.profiles.empty());
}

BOOST_AUTO_TEST_SUITE_END()
