// `signetctl db status`, run as the operator runs it: on a state directory nobody owns (it
// starts the embedded cluster itself), on one a running owner holds (it connects to that
// owner's cluster), and with --dsn.
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"
#include "tests/support/process.hpp"

using signet::testing::CommandResult;
using signet::testing::run_command;
using signet::testing::TempDir;

namespace {

std::string signetctl() {
    const char* dir = std::getenv("SIGNET_BINARY_DIR");
    BOOST_REQUIRE_MESSAGE(dir != nullptr, "SIGNET_BINARY_DIR is not set (run through ctest)");
    return std::string(dir) + "/ops/signetctl";
}

CommandResult ctl(std::vector<std::string> args) {
    std::vector<std::string> argv{signetctl()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = run_command(argv);
    BOOST_TEST_MESSAGE("signetctl " << args.at(0) << " " << args.at(1) << " -> " << result.exit_code
                                    << "\n"
                                    << result.output);
    return result;
}

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signetctl_db)

BOOST_AUTO_TEST_CASE(status_of_the_embedded_database) {
    TempDir state("signet-ctl");
    const std::string latest =
        std::to_string(signet::store::known_migrations().back().version);
    // Nobody owns the state directory: signetctl makes and starts the cluster, then stops it.
    auto fresh = ctl({"db", "status", "--state-dir", state.path().string()});
    BOOST_CHECK_EQUAL(fresh.exit_code, 0);
    BOOST_CHECK(contains(fresh.output, "server:          PostgreSQL 15"));
    BOOST_CHECK(contains(fresh.output, "schema version:  0"));
    BOOST_CHECK(contains(fresh.output, "pending:         " + latest));
    BOOST_CHECK(!signet::store::EmbeddedPostgres::in_use(state.path()));

    // A running owner (signetd) holds it: signetctl uses that owner's cluster.
    signet::store::EmbeddedPostgres owner({.state_dir = state.path(), .unsafe_fast = true});
    {
        signet::store::Database database({.dsn = owner.dsn(), .pool_size = 1});
        signet::store::migrate(database);
    }
    auto migrated = ctl({"db", "status", "--state-dir", state.path().string()});
    BOOST_CHECK_EQUAL(migrated.exit_code, 0);
    BOOST_CHECK(contains(migrated.output, "run by the Signet process holding its lock"));
    BOOST_CHECK(contains(migrated.output, "schema version:  " + latest));
    BOOST_CHECK(contains(migrated.output, "api_clients and audit_events"));
    BOOST_CHECK(contains(migrated.output, "pending:         none"));

    auto by_dsn = ctl({"db", "status", "--dsn", owner.dsn()});
    BOOST_CHECK_EQUAL(by_dsn.exit_code, 0);
    BOOST_CHECK(contains(by_dsn.output, "schema version:  " + latest));
}

BOOST_AUTO_TEST_CASE(status_refuses_a_password_in_argv_and_reports_an_unreachable_server) {
    auto password = ctl({"db", "status", "--dsn", "host=/nonexistent password=hunter2"});
    BOOST_CHECK_EQUAL(password.exit_code, 2);
    BOOST_CHECK(contains(password.output, "never taken on the command line"));
    BOOST_CHECK(!contains(password.output, "hunter2"));

    auto down = ctl({"db", "status", "--dsn", "host=/nonexistent-signet dbname=x"});
    BOOST_CHECK_EQUAL(down.exit_code, 6);
    BOOST_CHECK(contains(down.output, "database unavailable: "));

    auto both = ctl({"db", "status", "--dsn", "host=/x", "--state-dir", "/y"});
    BOOST_CHECK_EQUAL(both.exit_code, 2);
}

BOOST_AUTO_TEST_SUITE_END()
