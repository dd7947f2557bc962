// `signetctl audit verify | checkpoint | export`, run as the operator runs them, against a real
// log (SoftHSM keys, PostgreSQL, checkpoints signed and time-stamped). Each tampering — an event,
// a checkpoint's root or signature, a stored subtree hash — is made as a superuser would, behind
// the append-only triggers, and must be found and named.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>

#include "tests/audit/checkpoint_fixture.hpp"
#include "tests/support/softhsm.hpp"

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

struct CliFixture : CheckpointFixture {
    CliFixture() : CheckpointFixture("audit_cli") {
        config = dir.path() / "signet.yaml";
        std::string quoted_dsn;
        for (char c : dsn)
            quoted_dsn += c == '\'' ? std::string("''") : std::string(1, c);
        write_file(config, "state_dir: " + (dir.path() / "state").string() +
                               "\nhsm:\n  token: " + token_config.token_label +
                               "\n  pin: file:" + SoftHsm::instance().pin_file().string() +
                               "\ndatabase:\n  dsn: '" + quoted_dsn +
                               "'\naudit:\n  log_name: test.signet/log\n"
                               // This machine's clock may be unsynchronised (the TSA refuses).
                               "tsa:\n  allow_unsynchronized_clock: true\n");
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

    // Runs `sql` with the append-only triggers off (as a superuser could), then back on.
    void behind_the_triggers(const std::string& sql) {
        database->with_connection([&](store::Connection& c) {
            c.exec(
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; "
                "ALTER TABLE audit_tree DISABLE TRIGGER audit_tree_append_only; "
                "ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_append_only");
            c.exec(sql);
            c.exec(
                "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only; "
                "ALTER TABLE audit_tree ENABLE TRIGGER audit_tree_append_only; "
                "ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_append_only");
        });
    }

    // `audit verify` fails naming `needle`; then `undo` puts things back and it passes again.
    void detected(const std::string& tamper, const std::string& undo, const std::string& needle) {
        behind_the_triggers(tamper);
        const auto bad = ctl({"audit", "verify"});
        BOOST_CHECK_NE(bad.exit_code, 0);
        BOOST_CHECK_MESSAGE(contains(bad.output, "FIRST PROBLEM:    " + needle), bad.output);
        behind_the_triggers(undo);
        BOOST_CHECK_EQUAL(ctl({"audit", "verify"}).exit_code, 0);
    }

    std::filesystem::path config;
};

std::size_t lines_of(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);)
        n += line.empty() ? 0 : 1;
    return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signetctl_audit)

BOOST_FIXTURE_TEST_CASE(verify_checkpoint_export_and_every_tampering_named, CliFixture) {
    record(40);
    auto checkpoints = checkpointer("node:test");
    const auto first = checkpoints->checkpoint_now();
    record(25);
    const auto second = checkpoints->checkpoint_now();

    const auto clean = ctl({"audit", "verify"});
    BOOST_CHECK_EQUAL(clean.exit_code, 0);
    BOOST_CHECK(contains(clean.output, "the audit log is intact"));
    BOOST_CHECK(contains(clean.output, "checkpoint roots: 2 checked"));

    // A checkpoint made by the operator's command, with the policy's log name.
    record(3);
    const auto made = ctl({"audit", "checkpoint"});
    BOOST_REQUIRE_EQUAL(made.exit_code, 0);
    BOOST_CHECK(contains(made.output, "test.signet/log\n"));
    BOOST_CHECK(contains(ctl({"audit", "verify"}).output, "3 checkpoints signed and time-stamped"));

    // The witness's copy: every checkpoint once, then only new ones.
    const auto file = dir.path() / "witness.jsonl";
    BOOST_CHECK_EQUAL(ctl({"audit", "export", "--to", file.string()}).exit_code, 0);
    BOOST_CHECK_EQUAL(lines_of(file), 3u);
    BOOST_CHECK(
        contains(ctl({"audit", "export", "--to", file.string()}).output, "0 checkpoint(s)"));
    BOOST_CHECK_EQUAL(lines_of(file), 3u);

    // An event changed: named by its seq.
    detected("UPDATE audit_events SET actor = actor || 'x' WHERE seq = 7",
             "UPDATE audit_events SET actor = left(actor, -1) WHERE seq = 7", "event 7");
    // A checkpoint's stored root, then its signature.
    const std::string size = std::to_string(first.checkpoint.size);
    detected("UPDATE audit_checkpoints SET root = sha256(root) WHERE size = " + size,
             "UPDATE audit_checkpoints SET root = decode('" + to_hex(first.checkpoint.root) +
                 "', 'hex') WHERE size = " + size,
             "checkpoint " + size + ": its stored root");
    const std::string second_size = std::to_string(second.checkpoint.size);
    detected(
        "UPDATE audit_checkpoints SET signature = set_byte(signature, 10, "
        "get_byte(signature, 10) # 1) WHERE size = " +
            second_size,
        "UPDATE audit_checkpoints SET signature = set_byte(signature, 10, "
        "get_byte(signature, 10) # 1) WHERE size = " +
            second_size,
        "checkpoint " + second_size + ": its signature does not verify");
    // A stored subtree hash.
    detected(
        "UPDATE audit_tree SET hash = set_byte(hash, 0, get_byte(hash, 0) # 1) "
        "WHERE level = 4 AND idx = 1",
        "UPDATE audit_tree SET hash = set_byte(hash, 0, get_byte(hash, 0) # 1) "
        "WHERE level = 4 AND idx = 1",
        "stored subtree level 4 index 1 (events 17..32)");
}

// Whoever can rewrite the database can rewrite the roots it records; `--root` checks the
// checkpoints against a root kept elsewhere. The ceremony's own root passes; another root (made
// here by openssl) fails, naming the first checkpoint.
BOOST_FIXTURE_TEST_CASE(verify_against_a_root_given_on_the_command_line, CliFixture) {
    record(5);
    const auto made = checkpointer("node:test")->checkpoint_now();

    const auto own = ctl({"audit", "verify", "--root", root_pem()});
    BOOST_CHECK_EQUAL(own.exit_code, 0);
    BOOST_CHECK(contains(own.output, "roots:            from " + root_pem()));
    BOOST_CHECK(contains(own.output, "the audit log is intact"));

    const std::string other = (dir.path() / "other-root.pem").string();
    const auto generated = run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                        "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                                        (dir.path() / "other-root.key").string(), "-out", other,
                                        "-days", "30", "-subj", "/CN=Another Root"});
    BOOST_REQUIRE_EQUAL(generated.exit_code, 0);
    const auto foreign = ctl({"audit", "verify", "--root", other});
    BOOST_CHECK_NE(foreign.exit_code, 0);
    BOOST_CHECK_MESSAGE(
        contains(foreign.output, "FIRST PROBLEM:    checkpoint " +
                                     std::to_string(made.checkpoint.size) +
                                     ": its certificate does not chain to the root"),
        foreign.output);

    const auto missing = ctl({"audit", "verify", "--root", (dir.path() / "none.pem").string()});
    BOOST_CHECK_NE(missing.exit_code, 0);
    BOOST_CHECK_MESSAGE(contains(missing.output, "--root: "), missing.output);
}

BOOST_AUTO_TEST_SUITE_END()
