// signetctl's HSM commands, run as the operator runs them, against a real SoftHSM token.
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "tests/support/softhsm.hpp"

using signet::testing::CommandResult;
using signet::testing::run_command;
using signet::testing::SoftHsm;

namespace {

std::string signetctl() {
    const char* dir = std::getenv("SIGNET_BINARY_DIR");
    BOOST_REQUIRE_MESSAGE(dir != nullptr, "SIGNET_BINARY_DIR is not set (run through ctest)");
    return std::string(dir) + "/ops/signetctl";
}

CommandResult ctl(const signet::hsm::TokenConfig& token, std::vector<std::string> args) {
    std::vector<std::string> argv{signetctl()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--module", token.module_path.string(), "--token", token.token_label,
                             "--pin", "file:" + SoftHsm::instance().pin_file().string()});
    auto result = run_command(argv);
    BOOST_TEST_MESSAGE("signetctl " << args.front() << " " << args.at(1) << " -> "
                                    << result.exit_code << "\n"
                                    << result.output);
    return result;
}

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signetctl_hsm)

BOOST_AUTO_TEST_CASE(keygen_list_and_info) {
    const auto token = SoftHsm::instance().new_token("ctl");
    for (const std::string type : {"ec-p256", "ec-p384", "rsa-2048"}) {
        auto result = ctl(token, {"hsm", "keygen", "--label", "key-" + type, "--type", type});
        BOOST_CHECK_EQUAL(result.exit_code, 0);
        BOOST_CHECK(contains(result.output, "generated " + type + " key 'key-" + type + "'"));
        BOOST_CHECK(contains(result.output, "public key SHA-256: "));
    }
    BOOST_CHECK_EQUAL(ctl(token, {"hsm", "kek", "--label", "user-kek"}).exit_code, 0);

    auto list = ctl(token, {"hsm", "list"});
    BOOST_CHECK_EQUAL(list.exit_code, 0);
    for (const std::string line : {"key-ec-p256", "key-ec-p384", "key-rsa-2048", "user-kek"}) {
        BOOST_CHECK(contains(list.output, line));
    }
    BOOST_CHECK(contains(list.output, "aes-256"));
    BOOST_CHECK(!contains(list.output, "extractable  yes"));

    auto info = ctl(token, {"hsm", "info"});
    BOOST_CHECK_EQUAL(info.exit_code, 0);
    BOOST_CHECK(contains(info.output, "token:       " + token.token_label));
    BOOST_CHECK(contains(info.output, "CKM_ECDSA"));
    BOOST_CHECK(contains(info.output, "CKM_AES_KEY_WRAP_PAD"));
}

BOOST_AUTO_TEST_CASE(hmac_key_is_made_once_and_listed) {
    const auto token = SoftHsm::instance().new_token("ctlhmac");
    auto made = ctl(token, {"hsm", "hmac-key", "--label", "subject-hmac"});
    BOOST_CHECK_EQUAL(made.exit_code, 0);
    BOOST_CHECK(contains(made.output, "generated hmac-sha256 key 'subject-hmac'"));
    auto again = ctl(token, {"hsm", "hmac-key", "--label", "subject-hmac"});
    BOOST_CHECK_EQUAL(again.exit_code, 5);
    BOOST_CHECK(contains(again.output, "already holds a secret key labelled 'subject-hmac'"));
    auto list = ctl(token, {"hsm", "list"});
    BOOST_CHECK(contains(list.output, "subject-hmac"));
    BOOST_CHECK(contains(list.output, "secret-256"));
    BOOST_CHECK(!contains(list.output, "extractable  yes"));
    BOOST_CHECK_NE(ctl(token, {"hsm", "hmac-key"}).exit_code, 0);  // --label is required
}

BOOST_AUTO_TEST_CASE(errors_have_messages_and_exit_codes) {
    const auto token = SoftHsm::instance().new_token("ctlerr");
    BOOST_CHECK_EQUAL(ctl(token, {"hsm", "keygen", "--label", "a", "--type", "ec-p256"}).exit_code,
                      0);

    auto duplicate = ctl(token, {"hsm", "keygen", "--label", "a", "--type", "ec-p256"});
    BOOST_CHECK_EQUAL(duplicate.exit_code, 5);
    BOOST_CHECK(contains(duplicate.output, "already holds a key labelled 'a'"));

    auto bad_type = ctl(token, {"hsm", "keygen", "--label", "b", "--type", "dsa-1024"});
    BOOST_CHECK_EQUAL(bad_type.exit_code, 2);
    BOOST_CHECK(contains(bad_type.output, "unknown key type 'dsa-1024'"));

    auto missing_label = ctl(token, {"hsm", "keygen", "--type", "ec-p256"});
    BOOST_CHECK_EQUAL(missing_label.exit_code, 2);
    BOOST_CHECK(contains(missing_label.output, "missing --label"));

    auto unknown = ctl(token, {"hsm", "frobnicate", "--label", "x"});
    BOOST_CHECK_EQUAL(unknown.exit_code, 2);
    BOOST_CHECK(contains(unknown.output, "unknown command 'hsm frobnicate'"));

    auto no_token = run_command({signetctl(), "hsm", "list", "--token", "no-such-token", "--pin",
                                 "file:" + SoftHsm::instance().pin_file().string()});
    BOOST_CHECK_EQUAL(no_token.exit_code, 3);
    BOOST_CHECK(contains(no_token.output, "no token labelled 'no-such-token'"));

    // A PIN on argv is refused without being echoed.
    auto pin_on_argv = run_command(
        {signetctl(), "hsm", "list", "--token", token.token_label, "--pin", SoftHsm::kUserPin});
    BOOST_CHECK_EQUAL(pin_on_argv.exit_code, 2);
    BOOST_CHECK(!contains(pin_on_argv.output, SoftHsm::kUserPin));

    BOOST_CHECK_EQUAL(run_command({signetctl(), "--version"}).exit_code, 0);
    const auto help = run_command({signetctl(), "--help"});
    BOOST_CHECK_EQUAL(help.exit_code, 0);
    BOOST_CHECK(contains(help.output, "hsm keygen"));
    // The table signetd shares (common/exit_status.hpp).
    BOOST_CHECK(contains(help.output, "Exit status (the same for signetd and signetctl)"));
    BOOST_CHECK(contains(help.output, "  5  already exists"));
    BOOST_CHECK(contains(help.output, "  7  failed precondition"));
}

BOOST_AUTO_TEST_CASE(wrong_pin_exits_with_permission_denied) {
    const auto token = SoftHsm::instance().new_token("ctlpin");
    signet::testing::TempDir dir;
    signet::testing::write_file(dir / "wrong", "wrong-pin-value\n");
    auto result = run_command({signetctl(), "hsm", "list", "--token", token.token_label, "--pin",
                               "file:" + (dir / "wrong").string()});
    BOOST_CHECK_EQUAL(result.exit_code, 4);
    BOOST_CHECK(contains(result.output, "CKR_PIN_INCORRECT"));
    BOOST_CHECK(!contains(result.output, "wrong-pin-value"));
}

BOOST_AUTO_TEST_SUITE_END()
