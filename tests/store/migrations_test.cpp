// Versioned migrations and the schema they make, against a real PostgreSQL server.
#include <boost/test/unit_test.hpp>
#include <latch>
#include <thread>

#include "store/api_clients.hpp"
#include "tests/store/test_cluster.hpp"

using namespace signet;
using namespace signet::store;
using signet::testing::expect_error;
using signet::testing::TestCluster;

namespace {

int latest() {
    return known_migrations().back().version;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(migrations)

BOOST_AUTO_TEST_CASE(known_migrations_are_numbered_from_one) {
    const auto all = known_migrations();
    BOOST_REQUIRE(!all.empty());
    for (std::size_t i = 0; i < all.size(); ++i) {
        BOOST_CHECK_EQUAL(all[i].version, static_cast<int>(i) + 1);
        BOOST_CHECK(!all[i].name.empty());
        BOOST_CHECK(!all[i].sql.empty());
    }
}

BOOST_AUTO_TEST_CASE(migrate_is_idempotent) {
    Database db({.dsn = TestCluster::instance().fresh_database("migrate_twice"), .pool_size = 2});
    BOOST_CHECK_EQUAL(schema_version(db), 0);
    BOOST_CHECK(applied_migrations(db).empty());

    const MigrationReport first = migrate(db);
    BOOST_CHECK_EQUAL(first.from_version, 0);
    BOOST_CHECK_EQUAL(first.to_version, latest());
    BOOST_CHECK_EQUAL(first.applied.size(), known_migrations().size());
    BOOST_CHECK_EQUAL(schema_version(db), latest());

    const MigrationReport second = migrate(db);
    BOOST_CHECK_EQUAL(second.from_version, latest());
    BOOST_CHECK_EQUAL(second.to_version, latest());
    BOOST_CHECK(second.applied.empty());

    const auto applied = applied_migrations(db);
    BOOST_REQUIRE_EQUAL(applied.size(), known_migrations().size());
    BOOST_CHECK_EQUAL(applied[0].version, 1);
    BOOST_CHECK_EQUAL(applied[0].name, known_migrations()[0].name);
    BOOST_CHECK(applied[0].applied_at == first.applied[0].applied_at);
    const auto age = std::chrono::system_clock::now() - applied[0].applied_at;
    BOOST_CHECK(age < std::chrono::minutes(5) && age > -std::chrono::minutes(5));
}

BOOST_AUTO_TEST_CASE(concurrent_migrations_apply_once) {
    // Several nodes starting together: separate pools (separate sessions), released at once.
    const std::string dsn = TestCluster::instance().fresh_database("migrate_race");
    constexpr int kNodes = 4;
    std::latch start(kNodes);
    std::vector<MigrationReport> reports(kNodes);
    std::vector<std::string> failures(kNodes);
    std::vector<std::thread> nodes;
    for (int i = 0; i < kNodes; ++i) {
        nodes.emplace_back([&, i] {
            try {
                Database db({.dsn = dsn, .pool_size = 1});
                db.health();  // connected before the race starts
                start.arrive_and_wait();
                reports[i] = migrate(db);
            } catch (const std::exception& e) {
                failures[i] = e.what();
            }
        });
    }
    for (auto& n : nodes)
        n.join();
    int appliers = 0;
    for (int i = 0; i < kNodes; ++i) {
        BOOST_CHECK_MESSAGE(failures[i].empty(), "node " << i << ": " << failures[i]);
        BOOST_CHECK_EQUAL(reports[i].to_version, latest());
        if (!reports[i].applied.empty())
            ++appliers;
    }
    BOOST_CHECK_EQUAL(appliers, 1);
    Database db({.dsn = dsn, .pool_size = 1});
    db.with_connection([](Connection& c) {
        BOOST_CHECK_EQUAL(c.exec("SELECT count(*) FROM schema_migrations").one()[0].int64(),
                          static_cast<std::int64_t>(known_migrations().size()));
    });
}

BOOST_AUTO_TEST_CASE(a_newer_or_different_database_is_refused) {
    Database db({.dsn = TestCluster::instance().fresh_database("migrate_newer"), .pool_size = 1});
    migrate(db);
    db.with_connection([](Connection& c) {
        c.exec("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')");
    });
    expect_error([&] { migrate(db); }, Errc::failed_precondition, "run a newer Signet");

    Database other(
        {.dsn = TestCluster::instance().fresh_database("migrate_other"), .pool_size = 1});
    migrate(other);
    other.with_connection(
        [](Connection& c) { c.exec("UPDATE schema_migrations SET name = 'something else'"); });
    expect_error([&] { migrate(other); }, Errc::failed_precondition, "different history");
}

BOOST_AUTO_TEST_CASE(the_audit_table_is_append_only_and_gapless) {
    Database db({.dsn = TestCluster::instance().migrated_database("audit_schema"), .pool_size = 1});
    static constexpr std::string_view kInsert =
        "INSERT INTO audit_events VALUES ($1, now(), 'test', 'tester', '', '{}', $2::bytea)";
    const Bytes hash(32, 0xAB);
    db.with_connection([&](Connection& c) {
        c.exec(kInsert, {1, hash});
        c.exec(kInsert, {2, hash});
        expect_error([&] { c.exec("UPDATE audit_events SET actor = 'mallory'"); },
                     Errc::permission_denied, "append-only: UPDATE refused");
        expect_error([&] { c.exec("DELETE FROM audit_events WHERE seq = 2"); },
                     Errc::permission_denied, "append-only: DELETE refused");
        // Even a statement that matches nothing.
        expect_error([&] { c.exec("DELETE FROM audit_events WHERE false"); },
                     Errc::permission_denied, "append-only");
        expect_error([&] { c.exec("TRUNCATE audit_events"); }, Errc::permission_denied,
                     "append-only: TRUNCATE refused");
        // Gapless: only the next number goes in.
        expect_error(
            [&] {
                c.exec(kInsert, {5, hash});
            },
            Errc::invalid_argument, "seq 5 inserted where 3 is next");
        expect_error([&] { c.exec(kInsert, {2, hash}); }, Errc::invalid_argument, "gapless");
        expect_error([&] { c.exec(kInsert, {3, Bytes(31, 0)}); }, Errc::invalid_argument, "23514");
        BOOST_CHECK_EQUAL(c.exec("SELECT count(*) FROM audit_events").one()[0].int64(), 2);
    });
}

BOOST_AUTO_TEST_CASE(api_client_repository) {
    Database db({.dsn = TestCluster::instance().migrated_database("api_clients"), .pool_size = 2});
    PostgresApiClients clients(db);
    const ApiClientReader& reader = clients;  // what authentication gets
    (void)reader;
    const Clock::time_point created =
        Clock::time_point(std::chrono::microseconds(1795341300123456));
    Sha256 certificate{};
    certificate.fill(0x11);
    Sha256 token{};
    token.fill(0x22);

    db.transaction([&](Connection& tx) {
        clients.add(tx, {"frontend-1", {"sign", "tsa"}, certificate, std::nullopt, created});
        clients.add(tx, {"batch", {}, std::nullopt, token, created});
    });
    const auto by_name = clients.find_by_name("frontend-1");
    BOOST_REQUIRE(by_name);
    BOOST_CHECK(by_name->scopes == (std::vector<std::string>{"sign", "tsa"}));
    BOOST_CHECK(by_name->certificate_sha256 == certificate);
    BOOST_CHECK(!by_name->token_sha256);
    BOOST_CHECK(by_name->created_at == created);
    BOOST_CHECK(clients.find_by_certificate(certificate)->name == "frontend-1");
    BOOST_CHECK(clients.find_by_token(token)->name == "batch");
    BOOST_CHECK(!clients.find_by_token(certificate));
    BOOST_CHECK(!clients.find_by_name("nobody"));
    const auto all = clients.list();
    BOOST_REQUIRE_EQUAL(all.size(), 2u);
    BOOST_CHECK_EQUAL(all[0].name, "batch");
    BOOST_CHECK(all[0].scopes.empty());

    expect_error(
        [&] {
            db.transaction([&](Connection& tx) {
                clients.add(tx, {"frontend-1", {}, {}, {}, created});
            });
        },
        Errc::already_exists, "api_clients_name_key");
    expect_error(
        [&] {
            db.transaction([&](Connection& tx) {
                clients.add(tx, {"other", {}, certificate, {}, created});
            });
        },
        Errc::already_exists, "certificate_sha256");
    expect_error(
        [&] {
            db.transaction([&](Connection& tx) { clients.add(tx, {"", {}, {}, {}, created}); });
        },
        Errc::invalid_argument, "1 to 200");

    db.transaction([&](Connection& tx) { clients.set_scopes(tx, "batch", {"ocsp"}); });
    BOOST_CHECK(clients.find_by_name("batch")->scopes == std::vector<std::string>{"ocsp"});
    db.transaction([&](Connection& tx) { clients.remove(tx, "batch"); });
    BOOST_CHECK(!clients.find_by_name("batch"));
    expect_error([&] { db.transaction([&](Connection& tx) { clients.remove(tx, "batch"); }); },
                 Errc::not_found, "no API client named 'batch'");
}

BOOST_AUTO_TEST_SUITE_END()
