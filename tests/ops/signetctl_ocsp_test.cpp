// `signetctl ocsp show`, run as the operator runs it, against a database the pre-signed source
// (Refresher, software signer) filled: good, revoked, not yet pre-signed, not a certificate.
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "ocsp/refresher.hpp"
#include "tests/ocsp/test_signer.hpp"
#include "tests/store/test_cluster.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

struct Fixture {
    TempDir dir;
    std::string dsn = TestCluster::instance().migrated_database("ocsp_cli");
    store::Database database{{.dsn = dsn, .pool_size = 2}};
    store::PostgresCertificates certificates{database};
    store::PostgresOcspResponses responses{database};
    ocsp::PresignedCache cache;
    TestSigner signer{3600s};
    SystemClock clock;
    ocsp::Refresher refresher{{certificates, responses, cache, signer, clock, {}}};
    std::filesystem::path config = dir.path() / "signet.yaml";

    Fixture() {
        std::string quoted;
        for (char c : dsn)
            quoted += c == '\'' ? std::string("''") : std::string(1, c);
        // The command reads no key, but signet.yaml always names its HSM.
        write_file(config, "state_dir: " + (dir.path() / "state").string() +
                               "\nhsm:\n  token: unused\n  pin: env:UNUSED_PIN\n"
                               "database:\n  dsn: '" +
                               quoted + "'\n");
    }

    CommandResult show(std::vector<std::string> args) {
        const char* bin = std::getenv("SIGNET_BINARY_DIR");
        BOOST_REQUIRE(bin != nullptr);
        std::vector<std::string> argv{std::string(bin) + "/ops/signetctl", "ocsp", "show"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--config", config.string()});
        auto result = run_command(argv);
        BOOST_TEST_MESSAGE("signetctl ocsp show -> " << result.exit_code << "\n" << result.output);
        return result;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(signetctl_ocsp)

BOOST_FIXTURE_TEST_CASE(show_prints_the_pre_signed_response_good_then_revoked, Fixture) {
    const auto serials = insert_issued(database, 2);
    BOOST_REQUIRE_EQUAL(refresher.refresh_once(10), 4u);
    const auto stored = responses.find(serials[0], "sha256");
    BOOST_REQUIRE(stored.has_value());

    auto out = show({to_hex(serials[0]), "--hash", "sha256"});
    BOOST_CHECK_EQUAL(out.exit_code, 0);
    BOOST_CHECK(contains(out.output, "certificate:      issued (CA issuing)"));
    BOOST_CHECK(contains(out.output, "CertID hash:      sha256"));
    BOOST_CHECK(contains(out.output, "source:           pre-signed, stored in PostgreSQL"));
    BOOST_CHECK(contains(out.output, "status:           good\n"));
    BOOST_CHECK(contains(out.output, "thisUpdate:       " + format_utc(stored->this_update)));
    BOOST_CHECK(contains(out.output, "nextUpdate:       " + format_utc(stored->next_update)));
    // OpenSSL's text follows, with the CertID in SHA-256.
    BOOST_CHECK(contains(out.output, "OCSP Response Status: successful"));
    BOOST_CHECK(contains(out.output, "Hash Algorithm: sha256"));
    BOOST_CHECK(contains(out.output, "Cert Status: good"));

    revoke_row(database, serials[0], clock.now());
    // Before the refresher knows: the stored response is still good, and says so.
    out = show({to_hex(serials[0])});
    BOOST_CHECK(contains(out.output, "status:           good\n"));
    BOOST_CHECK(contains(out.output, "pending:"));
    BOOST_CHECK(contains(out.output, "Hash Algorithm: sha1"));
    refresher.certificate_changed(serials[0]);
    out = show({to_hex(serials[0])});
    BOOST_CHECK_EQUAL(out.exit_code, 0);
    BOOST_CHECK(contains(out.output, "status:           revoked at "));
    BOOST_CHECK(contains(out.output, "keyCompromise (1)"));
    BOOST_CHECK(!contains(out.output, "pending:"));
    BOOST_CHECK(contains(out.output, "Cert Status: revoked"));
}

BOOST_FIXTURE_TEST_CASE(show_says_when_nothing_is_pre_signed_or_it_is_no_certificate, Fixture) {
    const auto serials = insert_issued(database, 1);
    auto out = show({to_hex(serials[0])});
    BOOST_CHECK_EQUAL(out.exit_code, 0);
    BOOST_CHECK(contains(out.output, "none pre-signed yet"));
    out = show({"7f01"});
    BOOST_CHECK_EQUAL(out.exit_code, 0);
    BOOST_CHECK(contains(out.output, "certificate:      none"));
    BOOST_CHECK(contains(out.output, "answers unknown"));
    out = show({"xyz"});
    BOOST_CHECK_NE(out.exit_code, 0);
    BOOST_CHECK(contains(out.output, "is not a serial"));
    out = show({to_hex(serials[0]), "--hash", "md5"});
    BOOST_CHECK_NE(out.exit_code, 0);
    BOOST_CHECK(contains(out.output, "--hash is sha1 or sha256"));
}

BOOST_AUTO_TEST_SUITE_END()
