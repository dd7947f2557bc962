// The embedded cluster: one owner per state directory, Unix socket only, restarts under a live
// pool, a server left behind by a dead owner.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "tests/store/test_cluster.hpp"

using namespace signet;
using namespace signet::store;
using signet::testing::expect_error;
using signet::testing::TempDir;
using signet::testing::RestartGuard;
using signet::testing::TestCluster;

BOOST_AUTO_TEST_SUITE(embedded_postgres)

BOOST_AUTO_TEST_CASE(serves_on_a_private_unix_socket_only) {
    auto& server = TestCluster::instance().server();
    BOOST_CHECK(server.running());
    BOOST_TEST_MESSAGE("PostgreSQL " << server.server_version() << " from " << server.bin_dir());
    Database db({.dsn = server.dsn(), .pool_size = 1});
    db.with_connection([](Connection& c) {
        BOOST_CHECK_EQUAL(c.exec("SELECT current_database()").one()[0].text(), "signet");
        BOOST_CHECK_EQUAL(c.exec("SHOW listen_addresses").one()[0].text(), "");
        BOOST_CHECK_EQUAL(c.exec("SELECT current_user").one()[0].text(), "signet");
        BOOST_CHECK_EQUAL(c.exec("SHOW server_encoding").one()[0].text(), "UTF8");
    });
    struct stat st {};
    BOOST_REQUIRE_EQUAL(stat(server.socket_dir().c_str(), &st), 0);
    BOOST_CHECK_EQUAL(st.st_mode & 0777, 0700u);
    BOOST_REQUIRE_EQUAL(stat(server.data_dir().c_str(), &st), 0);
    BOOST_CHECK_EQUAL(st.st_mode & 0777, 0700u);
    if (geteuid() == 0) {
        BOOST_CHECK_NE(st.st_uid, 0u);  // PostgreSQL does not run as root
    }
    BOOST_CHECK(std::filesystem::exists(server.socket_dir() / ".s.PGSQL.5432"));
    BOOST_CHECK(EmbeddedPostgres::dsn_for(server.state_dir()) == server.dsn());
}

BOOST_AUTO_TEST_CASE(a_second_owner_of_the_state_directory_is_refused) {
    auto& server = TestCluster::instance().server();
    BOOST_CHECK(EmbeddedPostgres::in_use(server.state_dir()));
    expect_error(
        [&] { EmbeddedPostgres second({.state_dir = server.state_dir(), .unsafe_fast = true}); },
        Errc::failed_precondition,
        "is in use by another Signet process (pid " + std::to_string(getpid()));
    // The refused owner touched nothing: the first still serves.
    Database db({.dsn = server.dsn(), .pool_size = 1});
    BOOST_CHECK(db.health().ok);
    TempDir unused("signet-pg-unused");
    BOOST_CHECK(!EmbeddedPostgres::in_use(unused.path()));
}

// signetctl restore: the state directory held, nothing made or started, the data directory
// left to the caller; directories for the server's user (pgBackRest's) made reachable or refused.
BOOST_AUTO_TEST_CASE(holding_the_state_directory_without_a_server) {
    TempDir dir("signet-pg-hold");
    std::filesystem::permissions(dir.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    EmbeddedPostgres held({.state_dir = dir.path(), .start_server = false});
    BOOST_CHECK(EmbeddedPostgres::in_use(dir.path()));
    BOOST_CHECK(!held.running());
    BOOST_CHECK(!std::filesystem::exists(held.data_dir()));
    const auto as = held.server_identity();
    BOOST_CHECK_EQUAL(as.has_value(), geteuid() == 0);

    make_directory_for(dir.path() / "pgbackrest" / "log", as);
    struct stat st {};
    BOOST_REQUIRE_EQUAL(stat((dir.path() / "pgbackrest" / "log").c_str(), &st), 0);
    BOOST_CHECK_EQUAL(st.st_mode & 0777, 0700u);
    BOOST_CHECK_EQUAL(st.st_uid, as ? as->uid : geteuid());
    if (as) {
        // A directory its user could not reach is refused, naming the parent in the way.
        TempDir closed("signet-pg-closed");  // 0700, root's
        expect_error([&] { make_directory_for(closed.path() / "repo", as); },
                     Errc::failed_precondition, closed.path().string() + " is not searchable");
    }
}

BOOST_AUTO_TEST_CASE(a_state_directory_too_long_for_a_socket_is_refused) {
    TempDir dir("signet-pg-long");
    const auto deep = dir.path() / std::string(100, 'd');
    expect_error([&] { EmbeddedPostgres server({.state_dir = deep, .unsafe_fast = true}); },
                 Errc::invalid_argument, "too long for a Unix socket");
}

BOOST_AUTO_TEST_CASE(server_restart_under_a_live_pool) {
    auto& server = TestCluster::instance().server();
    Database db({.dsn = TestCluster::instance().fresh_database("restart"), .pool_size = 4});
    {
        // Open all four connections, so every one of them sees the restart.
        std::vector<Database::Lease> leases;
        for (int i = 0; i < 4; ++i)
            leases.push_back(db.acquire());
        for (auto& lease : leases)
            lease->exec("SELECT 1");
    }
    BOOST_CHECK_EQUAL(db.stats().open, 4u);
    {
        RestartGuard guard{server};
        server.stop();
        BOOST_CHECK(!server.running());
        for (int i = 0; i < 6; ++i) {
            try {
                db.with_connection([](Connection& c) { c.exec("SELECT 1"); });
                BOOST_ERROR("a query succeeded while the server was down");
            } catch (const Error& e) {
                BOOST_CHECK_EQUAL(to_string(e.code()), "unavailable");
                BOOST_CHECK(std::string(e.what()).starts_with("database unavailable: "));
                if (i == 0)
                    BOOST_TEST_MESSAGE("while down: " << e.what());
            }
        }
        const auto health = db.health(std::chrono::milliseconds(500));
        BOOST_CHECK(!health.ok);
        BOOST_TEST_MESSAGE("health while down: " << health.detail);
        expect_error([&] { db.transaction([](Connection& c) { c.exec("SELECT 1"); }); },
                     Errc::unavailable, "database unavailable");
    }
    BOOST_REQUIRE(server.running());
    // Back: the same pool, no restart of anything, and every call succeeds at once.
    for (int i = 0; i < 8; ++i) {
        db.with_connection(
            [](Connection& c) { BOOST_CHECK_EQUAL(c.exec("SELECT 41 + 1").one()[0].int64(), 42); });
    }
    std::vector<Database::Lease> leases;
    for (int i = 0; i < 4; ++i)
        leases.push_back(db.acquire());
    for (auto& lease : leases)
        BOOST_CHECK_EQUAL(lease->exec("SELECT 1").one()[0].int64(), 1);
    leases.clear();
    BOOST_CHECK(db.health().ok);
    const auto stats = db.stats();
    BOOST_TEST_MESSAGE("after the restart: open " << stats.open << ", connects " << stats.connects
                                                  << ", reconnects " << stats.reconnects
                                                  << ", errors " << stats.errors);
    BOOST_CHECK_GE(stats.reconnects, 1u);
    BOOST_CHECK_GE(stats.errors, 6u);
    BOOST_CHECK_EQUAL(stats.in_use, 0u);
}

BOOST_AUTO_TEST_CASE(a_server_left_by_a_dead_owner_is_taken_over) {
    TempDir dir("signet-pg-orphan");
    // An owner that dies without stopping its server (kill -9): a child process that starts
    // the cluster and exits without running any destructor.
    const pid_t child = fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        try {
            new EmbeddedPostgres({.state_dir = dir.path(), .unsafe_fast = true});  // never deleted
            _exit(0);
        } catch (...) {
            _exit(1);
        }
    }
    int status = 0;
    waitpid(child, &status, 0);
    BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    BOOST_CHECK(!EmbeddedPostgres::in_use(dir.path()));  // the lock died with its owner
    std::ifstream pid_file(dir.path() / "postgres" / "postmaster.pid");
    pid_t orphan = 0;
    pid_file >> orphan;
    BOOST_REQUIRE_GT(orphan, 0);
    BOOST_CHECK_EQUAL(kill(orphan, 0), 0);  // still running

    std::vector<std::string> notes;
    {
        EmbeddedPostgres owner({.state_dir = dir.path(),
                                .unsafe_fast = true,
                                .log = [&](std::string_view m) { notes.emplace_back(m); }});
        Database db({.dsn = owner.dsn(), .pool_size = 1});
        BOOST_CHECK(db.health().ok);
    }
    BOOST_CHECK(std::any_of(notes.begin(), notes.end(), [](const std::string& n) {
        return n.find("left running") != std::string::npos;
    }));
    // The new owner stopped on destruction: nothing is left running.
    BOOST_CHECK(!std::filesystem::exists(dir.path() / "postgres" / "postmaster.pid"));
}

BOOST_AUTO_TEST_SUITE_END()
