// `signetctl db status` and `db migrate`, run as the operator runs them: on a state directory
// nobody owns (it starts the embedded cluster itself), on one a running owner holds (it connects
// to that owner's cluster), and with --dsn; and two processes migrating one database at once.
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <thread>

#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/process.hpp"

using signet::testing::CommandResult;
using signet::testing::run_command;
using signet::testing::TempDir;
using signet::testing::TestCluster;

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

// Sessions of the database `connection` is on that wait for the migrations' advisory lock.
std::int64_t waiting_for_the_migration_lock(signet::store::Connection& connection) {
    // A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits).
    return connection
        .exec(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND ((classid::bigint << 32) | objid::bigint) = $1",
            {signet::store::advisory_lock::kMigrations})
        .one()[0]
        .int64();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signetctl_db)

BOOST_AUTO_TEST_CASE(status_of_the_embedded_database) {
    TempDir state("signet-ctl");
    const std::string latest = std::to_string(signet::store::known_migrations().back().version);
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

BOOST_AUTO_TEST_CASE(migrate_applies_the_pending_migrations_once) {
    const std::string dsn = TestCluster::instance().fresh_database("ctl_migrate");
    const std::string latest = std::to_string(signet::store::known_migrations().back().version);
    auto first = ctl({"db", "migrate", "--dsn", dsn});
    BOOST_CHECK_EQUAL(first.exit_code, 0);
    BOOST_CHECK(contains(first.output, "schema version:  0 -> " + latest));
    BOOST_CHECK(contains(first.output, "api_clients and audit_events"));

    auto again = ctl({"db", "migrate", "--dsn", dsn});
    BOOST_CHECK_EQUAL(again.exit_code, 0);
    BOOST_CHECK(contains(again.output, "schema version:  " + latest + " -> " + latest));
    BOOST_CHECK(contains(again.output, "applied:         none"));
}

BOOST_AUTO_TEST_CASE(migrate_refuses_a_database_from_a_newer_signet_with_exit_7) {
    const std::string dsn = TestCluster::instance().migrated_database("ctl_migrate_newer");
    {
        signet::store::Database database({.dsn = dsn, .pool_size = 1});
        database.with_connection([](signet::store::Connection& c) {
            c.exec("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')");
        });
    }
    auto newer = ctl({"db", "migrate", "--dsn", dsn});
    BOOST_CHECK_EQUAL(newer.exit_code, 7);  // failed precondition
    BOOST_CHECK(contains(newer.output, "run a newer Signet"));

    auto down = ctl({"db", "migrate", "--dsn", "host=/nonexistent-signet dbname=x"});
    BOOST_CHECK_EQUAL(down.exit_code, 6);  // unavailable
}

// Two nodes (here two signetctl processes, each its own libpq session) start against one fresh
// external database at the same moment. The test holds the migrations' advisory lock until both
// processes are waiting for it inside migrate(), so they truly overlap, then releases it: one
// applies every migration, the other finds nothing left to do, and each migration is recorded
// once. Several rounds, each on a fresh database, so either process may win.
BOOST_AUTO_TEST_CASE(two_processes_migrating_one_database_at_once_both_succeed_and_apply_once) {
    const auto known = signet::store::known_migrations();
    const auto latest = known.back().version;
    constexpr int kRounds = 4;
    constexpr int kProcesses = 2;
    const std::string binary = signetctl();  // Boost.Test checks stay on this thread
    for (int round = 0; round < kRounds; ++round) {
        BOOST_TEST_CONTEXT("round " << round) {
            const std::string dsn =
                TestCluster::instance().fresh_database("two_processes_" + std::to_string(round));
            std::vector<CommandResult> results(kProcesses);
            std::atomic<int> exited{0};
            {
                // Destroyed in reverse: the gate's pool first (closing its session releases the
                // lock even when a check below throws), then the threads are joined.
                std::vector<std::jthread> processes;
                signet::store::Database gate({.dsn = dsn, .pool_size = 2});
                gate.with_connection([&](signet::store::Connection& holder) {
                    holder.exec("SELECT pg_advisory_lock($1::bigint)",
                                {signet::store::advisory_lock::kMigrations});
                    for (int i = 0; i < kProcesses; ++i) {
                        processes.emplace_back([&, i] {
                            results[i] = run_command({binary, "db", "migrate", "--dsn", dsn});
                            ++exited;
                        });
                    }
                    // Both processes queue on the lock; a process that exits first failed.
                    gate.with_connection([&](signet::store::Connection& observer) {
                        while (waiting_for_the_migration_lock(observer) < kProcesses &&
                               exited.load() == 0) {
                            std::this_thread::sleep_for(std::chrono::milliseconds(10));
                        }
                    });
                    BOOST_REQUIRE_MESSAGE(exited.load() == 0,
                                          "a signetctl exited before waiting for the lock");
                    holder.exec("SELECT pg_advisory_unlock($1::bigint)",
                                {signet::store::advisory_lock::kMigrations});
                });
            }
            int appliers = 0;
            for (const auto& result : results) {
                BOOST_CHECK_MESSAGE(result.exit_code == 0, result.output);
                BOOST_CHECK_MESSAGE(contains(result.output, "-> " + std::to_string(latest)),
                                    result.output);
                if (contains(result.output, "schema version:  0 -> "))
                    ++appliers;
                else
                    BOOST_CHECK_MESSAGE(contains(result.output, "applied:         none"),
                                        result.output);
            }
            BOOST_CHECK_EQUAL(appliers, 1);

            signet::store::Database database({.dsn = dsn, .pool_size = 1});
            database.with_connection([&](signet::store::Connection& c) {
                const auto counts = c.exec(
                    "SELECT count(*) AS row_count, count(DISTINCT version) AS version_count,"
                    " max(version) AS latest_version FROM schema_migrations");
                BOOST_CHECK_EQUAL(counts.one()["row_count"].int64(),
                                  static_cast<std::int64_t>(known.size()));
                BOOST_CHECK_EQUAL(counts.one()["version_count"].int64(),
                                  static_cast<std::int64_t>(known.size()));
                BOOST_CHECK_EQUAL(counts.one()["latest_version"].int64(), latest);
            });
            BOOST_CHECK_EQUAL(signet::store::schema_version(database), latest);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
