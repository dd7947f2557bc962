// `signetctl verify` as an operator runs it: offline (no configuration, database or HSM), on
// documents the tests signed with real parts; exit 0 valid, 1 not valid, 2 bad usage or input.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "sign/validation_data.hpp"
#include "tests/sign/pades_kit.hpp"
#include "tests/sign/pdf_kit.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

CommandResult signetctl_verify(const std::vector<std::string>& args) {
    const char* dir = std::getenv("SIGNET_BINARY_DIR");
    BOOST_REQUIRE_MESSAGE(dir != nullptr, "SIGNET_BINARY_DIR is not set (run through ctest)");
    std::vector<std::string> argv{std::string(dir) + "/ops/signetctl", "verify"};
    argv.insert(argv.end(), args.begin(), args.end());
    // No configuration to find: the command must not need one.
    argv.insert(argv.begin(), {"env", "-u", "SIGNET_CONFIG", "-u", "SIGNET_DATABASE_DSN"});
    auto result = run_command(argv);
    BOOST_TEST_MESSAGE("signetctl verify -> " << result.exit_code << "\n" << result.output);
    return result;
}

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(verify_cli)

BOOST_AUTO_TEST_CASE(exit_codes_text_and_json) {
    SignFixture f("verify_cli");
    const Person alice = f.issue_person(KeyType::ec_p256);
    const Bytes lta = pades_add_document_timestamp(
        f, pades_add_dss(pades_sign(f, alice, ghostscript_pdf(f.dir), "Alice"),
                         f.validation_data(alice)));
    const std::string signed_pdf = f.save("signed.pdf", lta);

    auto result = signetctl_verify({signed_pdf, "--trust", f.root_pem()});
    BOOST_CHECK_EQUAL(result.exit_code, 0);
    BOOST_CHECK(contains(result.output, "PDF, 2 signatures: VALID"));
    BOOST_CHECK(contains(result.output, "signature 'Alice' (ETSI.CAdES.detached): valid, level B-LTA"));
    BOOST_CHECK(contains(result.output, "complete, trusted"));

    result = signetctl_verify({signed_pdf, "--json"});
    BOOST_CHECK_EQUAL(result.exit_code, 0);
    const auto json = nlohmann::json::parse(result.output);
    BOOST_CHECK_EQUAL(json["valid"], true);
    BOOST_CHECK_EQUAL(json["signatures"][0]["level"], "B-LTA");
    BOOST_CHECK_EQUAL(json["signatures"][0]["chain"]["trusted"], false);  // no --trust

    // One byte of the original document changed: not valid, exit 1.
    Bytes changed = lta;
    const std::string text(lta.begin(), lta.end());
    changed[text.find("\n%") + 2] ^= 0x01;
    result = signetctl_verify({f.save("changed.pdf", changed)});
    BOOST_CHECK_EQUAL(result.exit_code, 1);
    BOOST_CHECK(contains(result.output, "NOT VALID"));

    // A detached CMS: with its data 0, other data 1, without data 2 naming the file and --data.
    const std::string content = "Loan agreement no. 7";
    const std::string cms = f.save(
        "loan.p7s",
        sign::add_validation_data(f.sign(alice, as_bytes(content)), f.validation_data(alice)));
    const std::string data = f.save("loan.txt", as_bytes(content));
    result = signetctl_verify({cms, "--data", data});
    BOOST_CHECK_EQUAL(result.exit_code, 0);
    BOOST_CHECK(contains(result.output, "CMS, 1 signature: VALID"));
    BOOST_CHECK(contains(result.output, "level B-LT"));
    BOOST_CHECK_EQUAL(signetctl_verify({cms, "--data", signed_pdf}).exit_code, 1);
    result = signetctl_verify({cms});
    BOOST_CHECK_EQUAL(result.exit_code, 2);
    BOOST_CHECK(contains(result.output, cms + ": "));
    BOOST_CHECK(contains(result.output, "--data"));

    // Unreadable and malformed input, bad usage: 2, naming the file.
    result = signetctl_verify({(f.dir / "missing.pdf").string()});
    BOOST_CHECK_EQUAL(result.exit_code, 2);
    BOOST_CHECK(contains(result.output, "missing.pdf"));
    result = signetctl_verify({data});
    BOOST_CHECK_EQUAL(result.exit_code, 2);
    BOOST_CHECK(contains(result.output, data + ": neither a PDF"));
    BOOST_CHECK_EQUAL(signetctl_verify({}).exit_code, 2);
    BOOST_CHECK_EQUAL(signetctl_verify({signed_pdf, "--bogus", "x"}).exit_code, 2);
    BOOST_CHECK_EQUAL(signetctl_verify({signed_pdf, "--trust", data}).exit_code, 2);
}

BOOST_AUTO_TEST_SUITE_END()
