// The libpq pool against a real PostgreSQL server (tests/store/test_cluster.hpp).
#include <signal.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <future>
#include <latch>
#include <map>
#include <thread>
#include <vector>

#include "tests/store/test_cluster.hpp"

using namespace signet;
using namespace signet::store;
using signet::testing::expect_error;
using signet::testing::TestCluster;

namespace {

DatabaseOptions options_for(const std::string& dsn, std::size_t pool_size = 4) {
    DatabaseOptions options;
    options.dsn = dsn;
    options.pool_size = pool_size;
    return options;
}

pid_t backend_pid(Database& db) {
    return static_cast<pid_t>(db.with_connection(
        [](Connection& c) { return c.exec("SELECT pg_backend_pid()").one()[0].int64(); }));
}

// Server processes stopped with SIGSTOP (as a host that hangs), in the order given, and let go
// again with SIGCONT when it goes, whatever the test did.
class Stopped {
  public:
    explicit Stopped(std::vector<pid_t> pids) : pids_(std::move(pids)) {
        bool all = true;
        for (const pid_t pid : pids_)
            all = kill(pid, SIGSTOP) == 0 && all;
        if (!all)
            resume();  // the destructor does not run when the constructor throws
        BOOST_REQUIRE_MESSAGE(all, "could not stop the server's processes");
    }
    Stopped(const Stopped&) = delete;
    Stopped& operator=(const Stopped&) = delete;
    ~Stopped() { resume(); }
    void resume() {
        for (const pid_t pid : pids_)
            kill(pid, SIGCONT);
    }

  private:
    std::vector<pid_t> pids_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(database)

BOOST_AUTO_TEST_CASE(crud_through_the_pool) {
    Database db(options_for(TestCluster::instance().fresh_database("crud")));
    db.with_connection([](Connection& c) {
        c.exec(
            "CREATE TABLE things (id bigint PRIMARY KEY, name text NOT NULL, note text, ok boolean "
            "NOT NULL)");
        c.exec("INSERT INTO things VALUES ($1, $2, $3, $4)", {1, "one", std::nullopt, true});
        c.exec("INSERT INTO things VALUES ($1, $2, $3, $4)",
               {2, std::string("two"), std::optional<std::string>("n"), false});
    });
    db.with_connection([](Connection& c) {
        const Result rows = c.exec("SELECT id, name, note, ok FROM things ORDER BY id");
        BOOST_REQUIRE_EQUAL(rows.size(), 2u);
        BOOST_CHECK_EQUAL(rows[0]["id"].int64(), 1);
        BOOST_CHECK_EQUAL(rows[0]["name"].as<std::string>(), "one");
        BOOST_CHECK(rows[0]["note"].is_null());
        BOOST_CHECK(!rows[0]["note"].optional<std::string>().has_value());
        BOOST_CHECK(rows[0]["ok"].boolean());
        BOOST_CHECK_EQUAL(rows[1]["note"].optional<std::string>().value(), "n");
        BOOST_CHECK(!rows[1]["ok"].as<bool>());
        expect_error([&] { (void)rows[0]["note"].text(); }, Errc::internal, "is NULL");
        expect_error([&] { (void)rows[0]["missing"]; }, Errc::internal, "no column 'missing'");

        BOOST_CHECK_EQUAL(
            c.exec("UPDATE things SET note = $1 WHERE id = $2", {"x", 1}).affected_rows(), 1u);
        BOOST_CHECK_EQUAL(c.exec("DELETE FROM things WHERE id = $1", {2}).affected_rows(), 1u);
        BOOST_CHECK_EQUAL(c.exec("SELECT count(*) FROM things").one()[0].int64(), 1);
    });
}

BOOST_AUTO_TEST_CASE(prepared_statements_are_prepared_once_per_connection) {
    Database db(options_for(TestCluster::instance().fresh_database("prepared"), 1));
    static constexpr Statement kAdd{"test.add", "SELECT $1::bigint + $2::bigint AS sum"};
    db.with_connection([](Connection& c) {
        for (int i = 0; i < 5; ++i)
            BOOST_CHECK_EQUAL(c.exec(kAdd, {i, 10}).one()["sum"].int64(), i + 10);
        const Result prepared = c.exec("SELECT name FROM pg_prepared_statements");
        BOOST_REQUIRE_EQUAL(prepared.size(), 1u);
        BOOST_CHECK_EQUAL(prepared[0]["name"].text(), "test.add");
        // Same name, other SQL: a bug, refused.
        static constexpr Statement kClash{"test.add", "SELECT 1"};
        expect_error([&] { c.exec(kClash); }, Errc::internal, "share the name");
        // The session lost its statements (a pooler's DISCARD ALL): prepared again.
        c.exec("DEALLOCATE ALL");
        BOOST_CHECK_EQUAL(c.exec(kAdd, {1, 1}).one()["sum"].int64(), 2);
    });
    // The same (only) connection again: still prepared.
    db.with_connection([](Connection& c) {
        BOOST_CHECK_EQUAL(c.exec(kAdd, {2, 2}).one()["sum"].int64(), 4);
    });
}

BOOST_AUTO_TEST_CASE(bytea_round_trip) {
    Database db(options_for(TestCluster::instance().fresh_database("bytea")));
    Bytes all(256);
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = static_cast<std::uint8_t>(i);
    Bytes large(1 << 20);
    for (std::size_t i = 0; i < large.size(); ++i)
        large[i] = static_cast<std::uint8_t>((i * 7919) >> 3);
    db.with_connection([&](Connection& c) {
        c.exec("CREATE TABLE blobs (id int PRIMARY KEY, data bytea NOT NULL)");
        c.exec("INSERT INTO blobs VALUES (1, $1)", {all});
        c.exec("INSERT INTO blobs VALUES (2, $1)", {Bytes{}});
        c.exec("INSERT INTO blobs VALUES (3, $1)", {large});
        BOOST_CHECK(c.exec("SELECT data FROM blobs WHERE id = 1").one()[0].bytes() == all);
        BOOST_CHECK(c.exec("SELECT data FROM blobs WHERE id = 2").one()[0].bytes().empty());
        BOOST_CHECK(c.exec("SELECT data FROM blobs WHERE id = 3").one()[0].bytes() == large);
        // The server stored exactly those bytes (binary parameter, not text).
        BOOST_CHECK_EQUAL(c.exec("SELECT length(data) FROM blobs WHERE id = 1").one()[0].int64(),
                          256);
        BOOST_CHECK_EQUAL(
            c.exec("SELECT get_byte(data, 255) FROM blobs WHERE id = 1").one()[0].int64(), 255);
        // A server configured for the old escape output format.
        c.exec("SET bytea_output = 'escape'");
        BOOST_CHECK(c.exec("SELECT data FROM blobs WHERE id = 1").one()[0].bytes() == all);
        c.exec("RESET bytea_output");
    });
}

BOOST_AUTO_TEST_CASE(arrays_and_timestamps_round_trip) {
    Database db(options_for(TestCluster::instance().fresh_database("types")));
    const std::vector<std::string> tricky{"plain",   "",        "with space",
                                          "com,ma",  "quo\"te", "back\\slash",
                                          "{brace}", "NULL",    "ünï€ode"};
    const std::vector<Clock::time_point> times{
        Clock::time_point(
            std::chrono::microseconds(1795341300123456)),  // 2026-11-22T09:55:00.123456Z
        Clock::time_point(std::chrono::microseconds(-1)),  // 1969-12-31T23:59:59.999999Z
        Clock::time_point(std::chrono::microseconds(0))};
    db.with_connection([&](Connection& c) {
        const Result r = c.exec("SELECT $1::text[] AS a, cardinality($1::text[]) AS n",
                                {Param::text_array(tricky)});
        BOOST_CHECK_EQUAL(r.one()["n"].int64(), static_cast<std::int64_t>(tricky.size()));
        BOOST_CHECK(r.one()["a"].text_array() == tricky);
        BOOST_CHECK(c.exec("SELECT '{}'::text[]").one()[0].text_array().empty());
        // Absent elements are NULL elements, not empty strings (nor the text "NULL").
        const std::vector<std::optional<std::string>> with_nulls{"a", std::nullopt, "NULL", ""};
        const Result nulls = c.exec(
            "SELECT count(*) FILTER (WHERE e IS NULL) AS nulls, string_agg(e, '|' ORDER BY i) AS s "
            "FROM unnest($1::text[]) WITH ORDINALITY AS u(e, i)",
            {Param::text_array(with_nulls)});
        BOOST_CHECK_EQUAL(nulls.one()["nulls"].int64(), 1);
        BOOST_CHECK_EQUAL(nulls.one()["s"].as<std::string>(), "a|NULL|");
        for (const auto& t : times) {
            BOOST_CHECK(c.exec("SELECT $1::timestamptz", {t}).one()[0].time() == t);
        }
        // Whatever the session's time zone, the instant is the same.
        c.exec("SET timezone = 'Asia/Kolkata'");
        BOOST_CHECK(c.exec("SELECT $1::timestamptz", {times[0]}).one()[0].time() == times[0]);
    });
}

BOOST_AUTO_TEST_CASE(transaction_commits_and_rolls_back_on_exception) {
    Database db(options_for(TestCluster::instance().fresh_database("tx"), 1));
    db.with_connection([](Connection& c) { c.exec("CREATE TABLE t (v int)"); });
    const int committed = db.transaction([](Connection& c) {
        c.exec("INSERT INTO t VALUES (1)");
        return 7;
    });
    BOOST_CHECK_EQUAL(committed, 7);
    BOOST_CHECK_THROW(db.transaction([](Connection& c) {
        c.exec("INSERT INTO t VALUES (2)");
        throw std::runtime_error("the service failed after writing");
    }),
                      std::runtime_error);
    // A database error inside: rolled back too, the error goes on.
    expect_error(
        [&] {
            db.transaction([](Connection& c) {
                c.exec("INSERT INTO t VALUES (3)");
                c.exec("INSERT INTO t VALUES ('not a number')");
            });
        },
        Errc::invalid_argument, "22P02");
    // An error caught inside leaves the transaction aborted: COMMIT must not pretend.
    expect_error(
        [&] {
            db.transaction([](Connection& c) {
                c.exec("INSERT INTO t VALUES (4)");
                try {
                    c.exec("SELECT 1/0");
                } catch (const DatabaseError&) {
                }
            });
        },
        Errc::internal, "nothing was committed");
    // A connection left inside a transaction by with_connection is rolled back, not reused so.
    BOOST_CHECK_THROW(db.with_connection([](Connection& c) {
        c.exec("BEGIN");
        c.exec("INSERT INTO t VALUES (5)");
        throw std::runtime_error("forgot to commit");
    }),
                      std::runtime_error);
    db.with_connection([](Connection& c) {
        BOOST_CHECK(!c.in_transaction());
        const Result rows = c.exec("SELECT v FROM t ORDER BY v");
        BOOST_REQUIRE_EQUAL(rows.size(), 1u);
        BOOST_CHECK_EQUAL(rows[0]["v"].int64(), 1);
    });
}

BOOST_AUTO_TEST_CASE(sqlstates_map_to_signet_errors) {
    Database db(options_for(TestCluster::instance().fresh_database("sqlstates"), 1));
    db.with_connection([](Connection& c) {
        c.exec(
            "CREATE TABLE parent (id int PRIMARY KEY, name text UNIQUE NOT NULL CHECK (name <> "
            "''))");
        c.exec("CREATE TABLE child (parent_id int REFERENCES parent(id))");
        c.exec("INSERT INTO parent VALUES (1, 'a')");
        try {
            c.exec("INSERT INTO parent VALUES ($1, $2)", {2, "a"});
            BOOST_ERROR("expected a unique violation");
        } catch (const DatabaseError& e) {
            BOOST_CHECK(e.code() == Errc::already_exists);
            BOOST_CHECK_EQUAL(e.sqlstate(), "23505");
            BOOST_CHECK(!e.retryable());
            BOOST_TEST_MESSAGE(e.what());
        }
        expect_error([&] { c.exec("INSERT INTO parent VALUES (3, NULL)"); }, Errc::invalid_argument,
                     "23502");
        expect_error([&] { c.exec("INSERT INTO parent VALUES (3, '')"); }, Errc::invalid_argument,
                     "23514");
        expect_error([&] { c.exec("INSERT INTO child VALUES (99)"); }, Errc::failed_precondition,
                     "23503");
        expect_error([&] { c.exec("SELEC 1"); }, Errc::internal, "42601");
        expect_error([&] { c.exec("SELECT $1::text", {std::string("a\0b", 3)}); },
                     Errc::invalid_argument, "NUL");
        expect_error([&] { c.exec("SET statement_timeout = 50; SELECT pg_sleep(1)"); },
                     Errc::unavailable, "57014");
        c.exec("RESET statement_timeout");
        // The detail (which would quote the duplicate value) stays out of the message.
        expect_error([&] { c.exec("INSERT INTO parent VALUES (5, 'a')"); }, Errc::already_exists,
                     "parent_name_key");
    });
    BOOST_CHECK(errc_for_sqlstate("40001") == Errc::unavailable);
    BOOST_CHECK(is_retryable_sqlstate("40001"));
    BOOST_CHECK(is_retryable_sqlstate("40P01"));
    BOOST_CHECK(errc_for_sqlstate("57P01") == Errc::unavailable);
    BOOST_CHECK(errc_for_sqlstate("08006") == Errc::unavailable);
    BOOST_CHECK(errc_for_sqlstate("42501") == Errc::permission_denied);
    BOOST_CHECK(errc_for_sqlstate("25006") == Errc::failed_precondition);
}

BOOST_AUTO_TEST_CASE(serializable_transactions_retry_on_40001) {
    Database db(options_for(TestCluster::instance().fresh_database("serializable"), 2));
    db.with_connection([](Connection& c) { c.exec("CREATE TABLE ledger (n int NOT NULL)"); });
    std::latch both_read(2);
    std::atomic<int> attempts{0};
    auto writer = [&] {
        db.transaction(
            [&](Connection& c) {
                const int attempt = ++attempts;
                const auto count = c.exec("SELECT count(*) FROM ledger").one()[0].int64();
                if (attempt <= 2)
                    both_read.arrive_and_wait();  // both read before either writes
                c.exec("INSERT INTO ledger VALUES ($1)", {count + 1});
            },
            TransactionOptions::serializable());
    };
    std::thread first(writer);
    std::thread second(writer);
    first.join();
    second.join();
    BOOST_CHECK_GE(attempts.load(), 3);  // one of them ran again
    db.with_connection([](Connection& c) {
        // Serial order: the second saw the first's row.
        BOOST_CHECK_EQUAL(
            c.exec("SELECT string_agg(n::text, ',' ORDER BY n) FROM ledger").one()[0].text(),
            "1,2");
    });
    // Without retries the conflict reaches the caller as a retryable error.
    std::latch again(2);
    std::atomic<int> failures{0};
    auto once = [&] {
        try {
            db.transaction(
                [&](Connection& c) {
                    c.exec("SELECT count(*) FROM ledger");
                    again.arrive_and_wait();
                    c.exec("INSERT INTO ledger VALUES (0)");
                },
                TransactionOptions{Isolation::serializable, false, 1});
        } catch (const DatabaseError& e) {
            BOOST_CHECK(e.retryable());
            BOOST_CHECK(e.code() == Errc::unavailable);
            ++failures;
        }
    };
    std::thread a(once);
    std::thread b(once);
    a.join();
    b.join();
    BOOST_CHECK_EQUAL(failures.load(), 1);
}

BOOST_AUTO_TEST_CASE(pool_bounds_connections_and_times_out) {
    Database db(options_for(TestCluster::instance().fresh_database("pool"), 3));
    std::vector<std::thread> threads;
    std::atomic<int> done{0};
    for (int t = 0; t < 12; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 20; ++i) {
                db.with_connection([](Connection& c) { c.exec("SELECT pg_sleep(0.001)"); });
            }
            ++done;
        });
    }
    for (auto& t : threads)
        t.join();
    BOOST_CHECK_EQUAL(done.load(), 12);
    PoolStats stats = db.stats();
    BOOST_CHECK_EQUAL(stats.size, 3u);
    BOOST_CHECK_LE(stats.open, 3u);
    BOOST_CHECK_EQUAL(stats.in_use, 0u);
    BOOST_CHECK_EQUAL(stats.errors, 0u);

    auto a = db.acquire();
    auto b = db.acquire();
    auto c = db.acquire();
    stats = db.stats();
    BOOST_CHECK_EQUAL(stats.in_use, 3u);
    BOOST_CHECK_EQUAL(stats.idle, 0u);
    expect_error([&] { db.acquire(std::chrono::milliseconds(100)); }, Errc::unavailable,
                 "all 3 connections stayed busy");
}

BOOST_AUTO_TEST_CASE(a_statement_past_the_statement_timeout_is_cancelled_by_the_server) {
    auto options = options_for(TestCluster::instance().fresh_database("timeout"), 1);
    options.statement_timeout = std::chrono::milliseconds(200);
    Database db(options);
    // The server's own setting on every connection.
    db.with_connection([](Connection& c) {
        BOOST_CHECK_EQUAL(c.exec("SHOW statement_timeout").one()[0].text(), "200ms");
    });
    expect_error([&] { db.with_connection([](Connection& c) { c.exec("SELECT pg_sleep(10)"); }); },
                 Errc::unavailable, "57014");
    // A clean cancellation: the same connection serves on, nothing reconnected.
    db.with_connection(
        [](Connection& c) { BOOST_CHECK_EQUAL(c.exec("SELECT 1").one()[0].int64(), 1); });
    BOOST_CHECK_EQUAL(db.stats().connects, 1u);
    BOOST_CHECK(db.health().ok);
}

BOOST_AUTO_TEST_CASE(a_statement_waiting_for_a_lock_gives_unavailable) {
    auto options = options_for(TestCluster::instance().fresh_database("lock_wait"), 2);
    options.statement_timeout = std::chrono::milliseconds(300);
    Database db(options);
    db.with_connection([](Connection& c) { c.exec("CREATE TABLE held (v int)"); });
    // Another session holds the table: the insert waits for its lock, and not forever.
    Database other(options_for(db.options().dsn, 1));
    auto holder = other.acquire();
    holder->begin({});
    holder->exec("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
    expect_error(
        [&] { db.with_connection([](Connection& c) { c.exec("INSERT INTO held VALUES (1)"); }); },
        Errc::unavailable, "statement timeout");
    expect_error(
        [&] { db.transaction([](Connection& c) { c.exec("SELECT count(*) FROM held"); }); },
        Errc::unavailable, "57014");
    holder->rollback();
    db.with_connection([](Connection& c) { c.exec("INSERT INTO held VALUES (1)"); });
}

BOOST_AUTO_TEST_CASE(a_backend_that_stops_answering_gives_unavailable_and_is_replaced) {
    auto options = options_for(TestCluster::instance().fresh_database("stopped"), 1);
    options.statement_timeout = std::chrono::milliseconds(200);
    Database db(options);
    const pid_t backend = backend_pid(db);
    // The server process behind the pool's connection stops (as a host that hangs would): it
    // cannot even cancel its statement. The client gives up on its own, a grace after the
    // statement timeout.
    Stopped stopped({backend});
    expect_error([&] { db.with_connection([](Connection& c) { c.exec("SELECT 1"); }); },
                 Errc::unavailable,
                 "no answer within " +
                     std::to_string((options.statement_timeout + kAnswerGrace).count()) + " ms");
    stopped.resume();
    // That connection is given up; the next caller gets a fresh one.
    db.with_connection([&](Connection& c) {
        BOOST_CHECK_NE(c.exec("SELECT pg_backend_pid()").one()[0].int64(), backend);
    });
    BOOST_CHECK_EQUAL(db.stats().connects, 2u);
}

BOOST_AUTO_TEST_CASE(a_server_that_stops_answering_entirely_still_gives_unavailable) {
    // The whole server hangs (its postmaster too, as a black-holed host would): the request to
    // cancel the query, which opens a connection of its own, gets no answer either. The caller
    // must still get its error after the statement timeout and the grace, not wait for ever.
    auto options = options_for(TestCluster::instance().fresh_database("frozen"), 1);
    options.statement_timeout = std::chrono::milliseconds(200);
    Database db(options);
    const pid_t backend = backend_pid(db);
    pid_t postmaster = 0;
    {
        std::ifstream stat("/proc/" + std::to_string(backend) + "/stat");
        std::string pid, name, state;
        stat >> pid >> name >> state >> postmaster;  // proc(5): field 4 is the parent
    }
    BOOST_REQUIRE_GT(postmaster, 1);
    std::future<std::string> outcome;  // destroyed last: after the server runs again
    Stopped stopped({postmaster, backend});
    outcome = std::async(std::launch::async, [&db]() -> std::string {
        try {
            db.with_connection([](Connection& c) { c.exec("SELECT 1"); });
            return "answered";
        } catch (const Error& e) {
            return e.what();
        }
    });
    // The bound tells an error given after the timeout from a caller that never returns.
    BOOST_REQUIRE_MESSAGE(outcome.wait_for(std::chrono::seconds(20)) == std::future_status::ready,
                          "the query did not give up while the server was stopped");
    BOOST_CHECK_NE(outcome.get().find("no answer within"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_pool_of_one_held_busy_gives_unavailable_after_the_wait) {
    auto options = options_for(TestCluster::instance().fresh_database("busy"), 1);
    options.acquire_timeout = std::chrono::milliseconds(200);
    Database db(options);
    auto held = db.acquire();
    expect_error([&] { db.with_connection([](Connection&) {}); }, Errc::unavailable,
                 "all 1 connections stayed busy for 200 ms");
    expect_error([&] { db.transaction([](Connection&) {}); }, Errc::unavailable, "stayed busy");
    BOOST_CHECK(!db.health(std::chrono::milliseconds(100)).ok);
    { auto released = std::move(held); }
    db.with_connection([](Connection& c) { c.exec("SELECT 1"); });
}

namespace {

// host, port and user of the test cluster, for DSNs of our own making.
std::map<std::string, std::string> cluster_parameters() {
    char* error = nullptr;
    handle<PQconninfoOption, PQconninfoFree> parsed(
        PQconninfoParse(TestCluster::instance().server().dsn("postgres").c_str(), &error));
    BOOST_REQUIRE(parsed);
    std::map<std::string, std::string> values;
    for (const PQconninfoOption* o = parsed.get(); o->keyword != nullptr; ++o) {
        if (o->val != nullptr)
            values[o->keyword] = o->val;
    }
    return values;
}

std::string percent_encoded(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.') {
            out += static_cast<char>(c);
        } else {
            char buffer[4];
            std::snprintf(buffer, sizeof buffer, "%%%02X", c);
            out += buffer;
        }
    }
    return out;
}

}  // namespace

// libpq never prints a password, so a test of messages from failed connections alone would
// pass without any redaction. These drive the redaction itself, in both DSN forms, and a real
// server error that quotes the password: the database name, when it equals the password.
BOOST_AUTO_TEST_CASE(the_redactor_removes_the_password_in_every_form) {
    const DsnRedactor keywords("host=/srv/run dbname=signet password=hunter2-topsecret");
    BOOST_CHECK_EQUAL(keywords.redact("FATAL:  database \"hunter2-topsecret\"\n\tdoes not exist"),
                      "FATAL: database \"***\" does not exist");
    BOOST_CHECK_EQUAL(
        keywords.redact("connecting with host=/srv/run dbname=signet password=hunter2-topsecret"),
        "connecting with ***");
    // Quoted in the DSN, as libpq allows.
    const DsnRedactor quoted("host=x password='it\\'s a secret'");
    BOOST_CHECK_EQUAL(quoted.redact("role said: it's a secret!"), "role said: ***!");

    // A URI: the password percent-encoded in the userinfo; libpq reads it decoded.
    const DsnRedactor uri("postgresql://signet:hunter2%40topsecret@db.internal/signet");
    BOOST_CHECK_EQUAL(uri.redact("decoded hunter2@topsecret, as written hunter2%40topsecret"),
                      "decoded ***, as written ***");
    BOOST_CHECK_EQUAL(uri.redact("postgresql://signet:hunter2%40topsecret@db.internal/signet"),
                      "***");
    // ... or in the query.
    const DsnRedactor query("postgresql:///signet?host=/srv/run&password=s%65cret-pw&user=u");
    BOOST_CHECK_EQUAL(query.redact("secret-pw or s%65cret-pw"), "*** or ***");
    // A DSN libpq cannot parse is still kept out whole.
    const DsnRedactor broken("host=x password=hunter2 'unterminated");
    BOOST_CHECK_EQUAL(broken.redact("bad: host=x password=hunter2 'unterminated"), "bad: ***");
    // Whitespace inside the password survives the making of one line: found before it.
    const DsnRedactor spaced("host=x password='two  spaces\tand a tab'");
    BOOST_CHECK_EQUAL(spaced.redact("said:\ttwo  spaces\tand a tab\n"), "said: ***");
    // Nothing to hide: the message is only made one line.
    BOOST_CHECK_EQUAL(DsnRedactor("").redact(" a\n  b\t"), "a b");
}

BOOST_AUTO_TEST_CASE(a_server_error_quoting_the_password_is_redacted) {
    const auto cluster = cluster_parameters();
    const std::string password = "hunter2-topsecret";
    const std::string uri_password = "hunter2@topsecret";
    const std::vector<std::pair<std::string, std::string>> cases{
        // key=value: the later dbname wins; the server refuses a database by that name.
        {TestCluster::instance().server().dsn("postgres") + " dbname=" + password +
             " password=" + password,
         password},
        {"postgresql://" + percent_encoded(cluster.at("user")) + ":" +
             percent_encoded(uri_password) + "@/" + percent_encoded(uri_password) +
             "?host=" + percent_encoded(cluster.at("host")) + "&port=" + cluster.at("port"),
         uri_password},
    };
    for (const auto& [dsn, secret] : cases) {
        Database db(options_for(dsn, 1));
        try {
            db.with_connection([](Connection&) {});
            BOOST_ERROR("expected the connection to fail");
        } catch (const Error& e) {
            const std::string message = e.what();
            BOOST_TEST_MESSAGE(message);
            BOOST_CHECK(e.code() == Errc::unavailable);
            // The server did quote it, and only the redaction kept it out.
            BOOST_CHECK(message.find("database \"***\" does not exist") != std::string::npos);
            BOOST_CHECK(message.find("hunter2") == std::string::npos);
            BOOST_CHECK(message.find('\n') == std::string::npos);
        }
        const auto health = db.health(std::chrono::milliseconds(2000));
        BOOST_CHECK(!health.ok);
        BOOST_CHECK(health.detail.find("hunter2") == std::string::npos);
    }
    try {
        Database bad(options_for("host=x password=hunter2 'unterminated", 1));
        BOOST_ERROR("expected an invalid DSN");
    } catch (const Error& e) {
        BOOST_CHECK(e.code() == Errc::invalid_argument);
        BOOST_CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    }
    BOOST_CHECK(dsn_has_password("host=x password=y"));
    BOOST_CHECK(dsn_has_password("postgresql://u:p@h/d"));
    BOOST_CHECK(!dsn_has_password("host=x dbname=y"));
    BOOST_CHECK(!dsn_has_password("postgresql://u@h/d"));
}

BOOST_AUTO_TEST_SUITE_END()
