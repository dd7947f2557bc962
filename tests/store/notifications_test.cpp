// NotificationListener on a real PostgreSQL: a NOTIFY from another connection arrives; a backend
// terminated under it (pg_terminate_backend) is replaced and on_reconnect runs; stop() is prompt
// even while the server cannot be reached.
#include "store/notifications.hpp"

#include <boost/test/unit_test.hpp>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "tests/store/test_cluster.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

// What the callbacks saw, and a wait for it (a bound on how long a test waits, not a timing
// claim: the checks are on what arrived).
struct Seen {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> payloads;
    int reconnects = 0;
    std::vector<std::string> errors;

    store::NotificationListener::Callbacks callbacks() {
        return {[this](std::string_view p) {
                    std::lock_guard lock(mutex);
                    payloads.emplace_back(p);
                    changed.notify_all();
                },
                [this] {
                    std::lock_guard lock(mutex);
                    ++reconnects;
                    changed.notify_all();
                },
                [this](std::string_view e) {
                    std::lock_guard lock(mutex);
                    errors.emplace_back(e);
                }};
    }
    template <class P>
    bool wait_for(P predicate) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, 30s, predicate);
    }
};

void notify(store::Database& database, const std::string& payload) {
    database.with_connection([&](store::Connection& c) {
        c.exec("SELECT pg_notify('signet_certificate_status', $1)", {payload});
    });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(notifications)

BOOST_AUTO_TEST_CASE(a_notify_from_another_connection_arrives) {
    const auto dsn = TestCluster::instance().migrated_database("notify_arrives");
    store::Database database({.dsn = dsn, .pool_size = 1});
    Seen seen;
    store::NotificationListener listener(dsn, "signet_certificate_status", seen.callbacks());
    BOOST_REQUIRE(listener.wait_until_listening(30s));
    notify(database, "issuing:0a0b");
    notify(database, "issuing:0c0d");
    BOOST_REQUIRE(seen.wait_for([&] { return seen.payloads.size() == 2; }));
    BOOST_CHECK_EQUAL(seen.payloads[0], "issuing:0a0b");
    BOOST_CHECK_EQUAL(seen.payloads[1], "issuing:0c0d");
    BOOST_CHECK_EQUAL(seen.reconnects, 0);
    // Another channel is not heard.
    database.with_connection(
        [](store::Connection& c) { c.exec("SELECT pg_notify('another_channel', 'x')"); });
    notify(database, "issuing:0e");
    BOOST_REQUIRE(seen.wait_for([&] { return seen.payloads.size() == 3; }));
    BOOST_CHECK_EQUAL(seen.payloads[2], "issuing:0e");
}

BOOST_AUTO_TEST_CASE(a_terminated_backend_is_replaced_and_on_reconnect_runs) {
    const auto dsn = TestCluster::instance().migrated_database("notify_reconnects");
    store::Database database({.dsn = dsn, .pool_size = 1});
    Seen seen;
    store::NotificationListener listener(dsn, "signet_certificate_status", seen.callbacks());
    BOOST_REQUIRE(listener.wait_until_listening(30s));
    BOOST_CHECK_EQUAL(listener.connections(), 1u);
    const auto terminated = database.with_connection([](store::Connection& c) {
        return c
            .exec(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                "application_name = 'signet-listener' AND datname = current_database()")
            .one()[0]
            .int64();
    });
    BOOST_REQUIRE_EQUAL(terminated, 1);
    BOOST_REQUIRE(seen.wait_for([&] { return seen.reconnects == 1; }));
    BOOST_CHECK_EQUAL(listener.connections(), 2u);
    BOOST_CHECK(!seen.errors.empty());
    // Listening again: a NOTIFY sent now arrives.
    BOOST_REQUIRE(listener.wait_until_listening(30s));
    notify(database, "issuing:ff");
    BOOST_REQUIRE(seen.wait_for([&] { return !seen.payloads.empty(); }));
    BOOST_CHECK_EQUAL(seen.payloads.back(), "issuing:ff");
}

BOOST_AUTO_TEST_CASE(stop_returns_while_the_server_cannot_be_reached) {
    Seen seen;
    // A socket directory with no server: every connection attempt fails, the listener backs off.
    TempDir nowhere("signet-no-pg");
    store::NotificationListener listener("host=" + nowhere.path().string() + " dbname=x",
                                         "signet_certificate_status", seen.callbacks());
    BOOST_CHECK(seen.wait_for([&] { return !seen.errors.empty(); }));
    BOOST_CHECK(!listener.listening());
    listener.stop();
    BOOST_CHECK_EQUAL(listener.connections(), 0u);
    BOOST_CHECK_NE(seen.errors.front().find("cannot listen"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
