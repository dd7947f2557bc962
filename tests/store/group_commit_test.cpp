// The store's group committer (store/group_commit.hpp) on a real PostgreSQL, with a commit
// function of the test's own: writes of concurrent callers share one transaction, one member's
// failure stays its own, an unavailable database fails the whole batch, and no caller waits
// past its deadline. To make a batch deterministically, a lock held by another session stops the
// (single) writer at its first batch while the others queue behind it.
#include "store/group_commit.hpp"

#include <boost/test/unit_test.hpp>
#include <functional>
#include <thread>

#include "tests/store/test_cluster.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::store;
using namespace std::chrono_literals;
using signet::testing::expect_error;
using signet::testing::TestCluster;

namespace {

struct Item final : GroupCommitMember {
    Item(int i, std::string v) : id(i), value(std::move(v)) {}
    int id;
    std::string value;
};

struct Fixture {
    explicit Fixture(const std::string& name, GroupCommitOptions options = {.writers = 1})
        : database({.dsn = TestCluster::instance().fresh_database(name), .pool_size = 4}) {
        database.with_connection([](Connection& c) {
            c.exec(
                "CREATE TABLE items (id int PRIMARY KEY, value text NOT NULL CHECK "
                "(value <> 'bad'))");
        });
        committer = std::make_unique<GroupCommitter>(
            database, [this](std::span<GroupCommitMember* const> m) { commit(m); }, options);
    }
    ~Fixture() { committer.reset(); }

    // One INSERT per member in one transaction; a taken id is that member's own error.
    void commit(std::span<GroupCommitMember* const> members) {
        if (unavailable)
            throw Error(Errc::unavailable, "database unavailable: the test says so");
        std::vector<bool> inserted;
        database.transaction([&](Connection& tx) {
            inserted.clear();
            for (GroupCommitMember* member : members) {
                const auto* item = static_cast<Item*>(member);
                inserted.push_back(!tx.exec("INSERT INTO items VALUES ($1, $2) ON CONFLICT DO "
                                            "NOTHING RETURNING id",
                                            {item->id, item->value})
                                        .empty());
            }
        });
        for (std::size_t i = 0; i < members.size(); ++i) {
            if (!inserted[i])
                members[i]->error.emplace(Errc::already_exists, "taken");
        }
    }

    // The outcome of each write ("" for written, else the error code), the first one's batch
    // stopped by a lock until the others have queued behind it.
    std::vector<std::string> in_one_batch(std::vector<std::shared_ptr<Item>> items) {
        auto blocker = database.acquire();
        blocker->begin({});
        blocker->exec("LOCK TABLE items IN SHARE MODE");
        std::vector<std::string> outcomes(items.size());
        std::vector<std::jthread> threads;
        auto run = [&](std::size_t i) {
            threads.emplace_back([this, &outcomes, &items, i] {
                try {
                    committer->submit(items[i]);
                } catch (const Error& e) {
                    outcomes[i] = std::string(to_string(e.code()));
                }
            });
        };
        run(0);
        while (count("SELECT count(*) FROM pg_locks WHERE NOT granted") == 0)
            std::this_thread::sleep_for(5ms);
        for (std::size_t i = 1; i < items.size(); ++i)
            run(i);
        while (committer->stats().queued < items.size() - 1)
            std::this_thread::sleep_for(5ms);
        blocker->rollback();
        threads.clear();
        return outcomes;
    }

    std::int64_t count(const std::string& sql) {
        return database.with_connection(
            [&](Connection& c) { return c.exec(sql).one()[0].int64(); });
    }

    Database database;
    bool unavailable = false;
    std::unique_ptr<GroupCommitter> committer;
};

std::vector<std::shared_ptr<Item>> items(std::initializer_list<std::pair<int, const char*>> list) {
    std::vector<std::shared_ptr<Item>> out;
    for (const auto& [id, value] : list)
        out.push_back(std::make_shared<Item>(id, value));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(group_commit)

BOOST_AUTO_TEST_CASE(concurrent_writes_share_one_transaction) {
    Fixture f("group_commit_batch");
    const auto outcomes = f.in_one_batch(items({{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}, {5, "e"}}));
    for (const auto& outcome : outcomes)
        BOOST_CHECK_EQUAL(outcome, "");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM items"), 5);
    const GroupCommitStats stats = f.committer->stats();
    BOOST_CHECK_EQUAL(stats.batches, 2u);  // the first alone, then the four queued behind it
    BOOST_CHECK_EQUAL(stats.largest_batch, 4u);
    BOOST_CHECK_EQUAL(stats.writes, 5u);
    BOOST_CHECK_EQUAL(stats.failed_writes, 0u);
    BOOST_CHECK_EQUAL(stats.queued, 0u);
}

BOOST_AUTO_TEST_CASE(a_member_the_database_refuses_fails_alone) {
    Fixture f("group_commit_split");
    f.committer->submit(std::make_shared<Item>(10, "taken"));
    // In the second batch: a taken id (left out by the statement: its own error at once) and a
    // value the CHECK refuses (the whole transaction fails: run again member by member).
    const auto outcomes =
        f.in_one_batch(items({{1, "a"}, {10, "again"}, {2, "bad"}, {3, "c"}, {4, "d"}}));
    BOOST_CHECK_EQUAL(outcomes[0], "");
    BOOST_CHECK_EQUAL(outcomes[1], "already_exists");
    BOOST_CHECK_EQUAL(outcomes[2], "invalid_argument");
    BOOST_CHECK_EQUAL(outcomes[3], "");
    BOOST_CHECK_EQUAL(outcomes[4], "");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM items"), 4);  // 10, 1, 3, 4
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM items WHERE id = 2"), 0);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM items WHERE value = 'again'"), 0);
    const GroupCommitStats stats = f.committer->stats();
    BOOST_CHECK_EQUAL(stats.split_batches, 1u);
    BOOST_CHECK_EQUAL(stats.failed_writes, 2u);

    MetricsRegistry metrics;
    f.committer->register_metrics(metrics, "signet_test", "test items");
    const std::string text = metrics.render();
    for (const char* line :
         {"signet_test_commit_batches_total 3", "signet_test_committed_writes_total 6",
          "signet_test_commit_failures_total 2", "signet_test_commit_split_batches_total 1",
          "signet_test_commit_timeouts_total 0", "signet_test_commit_queued 0"})
        BOOST_CHECK_MESSAGE(text.find(line) != std::string::npos, line << " missing in\n" << text);
}

BOOST_AUTO_TEST_CASE(an_unavailable_database_fails_every_member_and_splits_nothing) {
    Fixture f("group_commit_away");
    f.unavailable = true;
    std::vector<std::string> outcomes(6);
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
            threads.emplace_back([&, i] {
                try {
                    f.committer->submit(std::make_shared<Item>(static_cast<int>(i), "v"));
                } catch (const Error& e) {
                    outcomes[i] = std::string(to_string(e.code()));
                }
            });
        }
    }
    for (const auto& outcome : outcomes)
        BOOST_CHECK_EQUAL(outcome, "unavailable");
    BOOST_CHECK_EQUAL(f.committer->stats().split_batches, 0u);
    BOOST_CHECK_EQUAL(f.committer->stats().failed_writes, 6u);
}

BOOST_AUTO_TEST_CASE(no_caller_waits_past_the_wait) {
    // The statement may wait for its lock for a minute; the callers only for 300 ms.
    Fixture f("group_commit_wait", {.writers = 1, .wait = 300ms});
    auto blocker = f.database.acquire();
    blocker->begin({});
    blocker->exec("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
    // Bounds the test if the callers never came back: releases the lock after a minute, and the
    // check below then fails (a hang bound, not a speed test).
    std::atomic<bool> released_by_watchdog{false};
    std::jthread watchdog([&](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        std::unique_lock lock(mutex);
        if (!wake.wait_for(lock, stop, 60s, [] { return false; }) && !stop.stop_requested()) {
            released_by_watchdog = true;
            blocker->rollback();
        }
    });
    // The first write is taken by the writer, which waits for the lock inside its transaction;
    // the second queues behind it with no writer free.
    const auto first = std::make_shared<Item>(1, "in flight");
    const auto second = std::make_shared<Item>(2, "queued");
    std::string first_error, second_error;
    std::jthread in_flight([&] {
        try {
            f.committer->submit(first);
        } catch (const Error& e) {
            first_error = std::string(to_string(e.code())) + ": " + e.what();
        }
    });
    while (f.count("SELECT count(*) FROM pg_locks WHERE NOT granted") == 0)
        std::this_thread::sleep_for(5ms);
    try {
        f.committer->submit(second);
    } catch (const Error& e) {
        second_error = std::string(to_string(e.code())) + ": " + e.what();
    }
    in_flight.join();
    BOOST_CHECK(!released_by_watchdog);
    BOOST_TEST_MESSAGE(first_error << "\n" << second_error);
    BOOST_CHECK(
        first_error.starts_with("unavailable: database unavailable: no commit within 300 "
                                "ms (database.wait_ms); the write may still commit"));
    BOOST_CHECK(second_error.starts_with(
        "unavailable: database unavailable: no writer free within 300 ms (database.wait_ms); "
        "nothing written"));
    BOOST_CHECK_EQUAL(f.committer->stats().timeouts, 2u);
    watchdog.request_stop();
    watchdog.join();
    if (!released_by_watchdog)
        blocker->rollback();
    // The lock gone, the write in flight commits after all; the withdrawn one never does.
    f.committer.reset();  // drains
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM items WHERE id = 1"), 1);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM items WHERE id = 2"), 0);
}

BOOST_AUTO_TEST_SUITE_END()
