// `signetctl tsa show` and `signetctl tsa verify`, run as the operator runs them, against the
// database and tokens of a real responder (SoftHSM key, PostgreSQL).
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "tests/support/softhsm.hpp"
#include "tests/tsa/tsa_fixture.hpp"
#include "tsa/verify.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

std::string signetctl() {
    const char* dir = std::getenv("SIGNET_BINARY_DIR");
    BOOST_REQUIRE_MESSAGE(dir != nullptr, "SIGNET_BINARY_DIR is not set (run through ctest)");
    return std::string(dir) + "/ops/signetctl";
}

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

// A journal that records nothing: tokens from it verify, but no database knows them.
class ForgetfulJournal final : public tsa::TokenJournal {
  public:
    void record(const store::TsaTokenRecord&) override {}
};

struct CliFixture : TsaFixture {
    CliFixture() : TsaFixture({.database = "tsa_cli"}) {
        config = dir.path() / "signet.yaml";
        // YAML single quotes: a quote inside is written twice (the DSN quotes its values).
        std::string quoted_dsn;
        for (char c : dsn)
            quoted_dsn += c == '\'' ? std::string("''") : std::string(1, c);
        write_file(config, "state_dir: " + (dir.path() / "state").string() +
                               "\n"
                               "hsm:\n  token: " +
                               token_config.token_label +
                               "\n  pin: file:" + SoftHsm::instance().pin_file().string() +
                               "\n"
                               "database:\n  dsn: '" +
                               quoted_dsn + "'\n");
    }

    CommandResult ctl(std::vector<std::string> args) {
        std::vector<std::string> argv{signetctl()};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.push_back("--config");
        argv.push_back(config.string());
        auto result = run_command(argv);
        BOOST_TEST_MESSAGE("signetctl " << args.at(0) << " " << args.at(1) << " -> "
                                        << result.exit_code << "\n"
                                        << result.output);
        return result;
    }

    // A token for a fresh request, written with its query; returns the reply.
    tsa::Reply issue(const std::string& name, tsa::Responder& by) {
        const Bytes query = make_request({});
        write_file(dir.path() / (name + ".tsq"), std::string(query.begin(), query.end()));
        tsa::Reply reply = by.respond(query, {std::string("frontend-1"), "192.0.2.7"});
        BOOST_REQUIRE(!reply.failure);
        write_file(dir.path() / (name + ".tsr"), std::string(reply.der.begin(), reply.der.end()));
        return reply;
    }

    std::string path(const std::string& name) const { return (dir.path() / name).string(); }

    std::filesystem::path config;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(signetctl_tsa)

BOOST_FIXTURE_TEST_CASE(show_prints_the_record, CliFixture) {
    const tsa::Reply reply = issue("a", *responder);
    const auto record = tokens->find(reply.serial);
    BOOST_REQUIRE(record);
    const auto shown = ctl({"tsa", "show", to_hex(reply.serial)});
    BOOST_CHECK_EQUAL(shown.exit_code, 0);
    BOOST_CHECK(contains(shown.output, "serial:           " + to_hex(reply.serial)));
    BOOST_CHECK(contains(shown.output, "genTime:          " + format_utc(record->gen_time)));
    BOOST_CHECK(contains(shown.output, "imprint:          sha256 " + to_hex(record->imprint)));
    BOOST_CHECK(contains(shown.output, "nonce:            " + to_hex(*record->nonce)));
    BOOST_CHECK(contains(shown.output, "client:           frontend-1"));
    BOOST_CHECK(contains(shown.output, "remote:           192.0.2.7"));
    BOOST_CHECK(contains(shown.output, "node:             test:1"));

    BOOST_CHECK_EQUAL(ctl({"tsa", "show", "00" + to_hex(reply.serial)}).exit_code, 0);
    BOOST_CHECK_EQUAL(ctl({"tsa", "show", "0badc0de"}).exit_code, 3);
    BOOST_CHECK_EQUAL(ctl({"tsa", "show", "not-hex"}).exit_code, 2);
    BOOST_CHECK_EQUAL(ctl({"tsa", "show"}).exit_code, 2);
}

BOOST_FIXTURE_TEST_CASE(verify_checks_signature_chain_query_and_record, CliFixture) {
    const tsa::Reply reply = issue("a", *responder);
    const std::vector<std::string> trust{"--ca-file", path("root.pem"), "--untrusted",
                                         path("issuing.pem")};
    auto verify = [&](std::vector<std::string> args) {
        args.insert(args.end(), trust.begin(), trust.end());
        return ctl(args);
    };

    const auto ok = verify({"tsa", "verify", path("a.tsr"), "--query", path("a.tsq")});
    BOOST_CHECK_EQUAL(ok.exit_code, 0);
    BOOST_CHECK(contains(ok.output, "serial:           " + to_hex(reply.serial)));
    BOOST_CHECK(contains(ok.output, "signature:        OK"));
    BOOST_CHECK(contains(ok.output, "query:            OK"));
    BOOST_CHECK(contains(ok.output, "record:           OK (recorded by node test:1"));

    // The bare token, as a signature would embed it.
    const tsa::ParsedToken parsed = tsa::parse_token(reply.der);
    const Bytes bare_token = to_der(i2d_PKCS7, parsed.token.get());
    write_file(dir.path() / "a.tst", std::string(bare_token.begin(), bare_token.end()));
    const auto bare = verify({"tsa", "verify", path("a.tst")});
    BOOST_CHECK_EQUAL(bare.exit_code, 0);
    BOOST_CHECK(contains(bare.output, "input:            TimeStampToken"));

    // Offline: no database, the record not checked.
    const auto offline = verify({"tsa", "verify", path("a.tsr"), "--offline"});
    BOOST_CHECK_EQUAL(offline.exit_code, 0);
    BOOST_CHECK(contains(offline.output, "record:           not checked"));

    // Another query: the imprint and nonce differ.
    issue("b", *responder);
    const auto mismatch = verify({"tsa", "verify", path("a.tsr"), "--query", path("b.tsq")});
    BOOST_CHECK_EQUAL(mismatch.exit_code, 7);  // failed precondition: a check fails
    BOOST_CHECK(contains(mismatch.output, "does not verify"));

    // A tampered token: a byte of the signature changed.
    Bytes tampered = reply.der;
    tampered[tampered.size() - 5] ^= 0x01;
    write_file(dir.path() / "tampered.tsr", std::string(tampered.begin(), tampered.end()));
    const auto bad = verify({"tsa", "verify", path("tampered.tsr")});
    BOOST_CHECK_EQUAL(bad.exit_code, 7);  // failed precondition: a check fails

    // A rejection carries no token.
    const tsa::Reply refused = responder->respond(make_request({.digest_nid = NID_sha1}), {});
    write_file(dir.path() / "refused.tsr", std::string(refused.der.begin(), refused.der.end()));
    const auto rejection = verify({"tsa", "verify", path("refused.tsr")});
    BOOST_CHECK_EQUAL(rejection.exit_code, 7);  // failed precondition: a check fails
    BOOST_CHECK(contains(rejection.output, "badAlg"));

    // A token this appliance never recorded verifies, but is reported.
    auto forgetful_options = responder_options(options.settings);
    forgetful_options.journal = std::make_shared<ForgetfulJournal>();
    tsa::Responder forgetful(std::move(forgetful_options));
    issue("unrecorded", forgetful);
    const auto unrecorded = verify({"tsa", "verify", path("unrecorded.tsr")});
    BOOST_CHECK_EQUAL(unrecorded.exit_code, 7);  // failed precondition: a check fails
    BOOST_CHECK(contains(unrecorded.output, "no record"));

    // The database holds no root of this test PKI: without --ca-file there is nothing to trust.
    const auto no_anchor = ctl({"tsa", "verify", path("a.tsr")});
    BOOST_CHECK_EQUAL(no_anchor.exit_code, 7);  // failed precondition: a check fails
    BOOST_CHECK(contains(no_anchor.output, "no root CA"));
    // Usage errors.
    BOOST_CHECK_EQUAL(ctl({"tsa", "verify", path("a.tsr"), "--offline"}).exit_code, 2);
    BOOST_CHECK_EQUAL(
        ctl({"tsa", "verify", path("missing.tsr"), "--offline", "--ca-file", path("root.pem")})
            .exit_code,
        3);
}

BOOST_AUTO_TEST_SUITE_END()
