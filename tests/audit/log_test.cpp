// The audit log against a real PostgreSQL server (tests/store/test_cluster.hpp).
#include "audit/log.hpp"

#include <openssl/evp.h>

#include <boost/test/unit_test.hpp>
#include <set>
#include <thread>

#include "tests/store/test_cluster.hpp"

using namespace signet;
using namespace signet::audit;
using signet::store::Connection;
using signet::store::Database;
using signet::testing::expect_error;
using signet::testing::TestCluster;

namespace {

// 2026-11-22T09:55:00.123456Z
const Clock::time_point kNovember22 =
    Clock::time_point(std::chrono::microseconds(1795341300123456));

// SHA-256(0x00 || bytes) computed here, apart from audit/, with OpenSSL's one-shot digest.
std::string independent_leaf_hash_hex(const std::string& canonical) {
    std::string input(1, '\0');
    input += canonical;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    BOOST_REQUIRE(EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha256(), nullptr));
    return to_hex({digest, size});
}

AuditEvent sample_event() {
    return {"api_client.created", "operator:alice", "api_client:frontend-1",
            nlohmann::json{{"scopes", {"tsa", "sign"}}, {"count", 2}}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_log)

BOOST_AUTO_TEST_CASE(canonical_encoding_test_vector) {
    // The vector in audit/README.md; it also equals Python's
    //   json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    // Changing the encoding would orphan every leaf already in a log: this must never fail.
    const std::string canonical = canonical_encoding(1, kNovember22, sample_event());
    BOOST_CHECK_EQUAL(
        canonical,
        R"({"actor":"operator:alice","details":{"count":2,"scopes":["tsa","sign"]},)"
        R"("object":"api_client:frontend-1","seq":1,"time":"2026-11-22T09:55:00.123456Z",)"
        R"("type":"api_client.created"})");
    BOOST_CHECK_EQUAL(to_hex(leaf_hash(canonical)),
                      "f2f671e54ae23ba20e25c3cef74fbf7c7940b115a7bcd110c2b2af679d9796b9");
    BOOST_CHECK_EQUAL(to_hex(leaf_hash(canonical)), independent_leaf_hash_hex(canonical));

    // Escapes: only what JSON requires, short forms where they exist, lowercase \u00xx.
    AuditEvent e{"t", "a", "o", nlohmann::json{{"s", std::string("q\"b\\n\n\t\x01\x7f/é😀")}}};
    const std::string escaped = canonical_encoding(2, Clock::time_point{}, e);
    BOOST_CHECK_EQUAL(
        escaped,
        "{\"actor\":\"a\",\"details\":{\"s\":\"q\\\"b\\\\n\\n\\t\\u0001\x7f/é😀\"},"
        "\"object\":\"o\",\"seq\":2,\"time\":\"1970-01-01T00:00:00.000000Z\",\"type\":\"t\"}");
    // Keys by UTF-8 bytes at every level, whatever order they were built in.
    AuditEvent sorted{
        "t", "a", "o",
        nlohmann::json::parse(R"({"zeta":1,"é":{"b":1,"a":2},"Alpha":3,"aa":4,"a":5})")};
    BOOST_CHECK(canonical_encoding(3, Clock::time_point{}, sorted)
                    .find(R"({"Alpha":3,"a":5,"aa":4,"zeta":1,"é":{"a":2,"b":1}})") !=
                std::string::npos);
    // Sub-microsecond time is truncated, as stored.
    BOOST_CHECK(canonical_encoding(1, kNovember22 + std::chrono::nanoseconds(999),
                                   sample_event()) == canonical);
}

BOOST_AUTO_TEST_CASE(record_read_and_independent_recomputation) {
    Database db({.dsn = TestCluster::instance().migrated_database("audit_basic"), .pool_size = 2});
    ManualClock clock(kNovember22);
    PostgresAuditLog log(db, clock);
    BOOST_CHECK_EQUAL(log.size(), 0);

    const RecordedEvent first = log.record(sample_event());
    BOOST_CHECK_EQUAL(first.seq, 1);
    BOOST_CHECK(first.time == kNovember22);
    BOOST_CHECK_EQUAL(to_hex(first.leaf_hash),
                      "f2f671e54ae23ba20e25c3cef74fbf7c7940b115a7bcd110c2b2af679d9796b9");

    clock.advance(std::chrono::seconds(1));
    // Characters jsonb would reorder or normalise: key order by length, Unicode, big integers.
    AuditEvent tricky{
        "key.generated", "system", "",
        nlohmann::json::parse(R"({"zz":{"b":[1,-2,9007199254740991],"a":null},"a":true,)"
                              R"("label":"ключ \"1\"\n\t😀","n":-9007199254740991,"empty":{}})")};
    const RecordedEvent second = log.record(tricky);
    BOOST_CHECK_EQUAL(second.seq, 2);
    BOOST_CHECK_EQUAL(log.size(), 2);

    const auto events = log.read(1, 100);
    BOOST_REQUIRE_EQUAL(events.size(), 2u);
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& stored = events[i];
        const auto& recorded = i == 0 ? first : second;
        BOOST_CHECK_EQUAL(stored.seq, recorded.seq);
        BOOST_CHECK(stored.time == recorded.time);
        BOOST_CHECK_EQUAL(stored.event.type, recorded.event.type);
        BOOST_CHECK_EQUAL(stored.event.actor, recorded.event.actor);
        BOOST_CHECK_EQUAL(stored.event.object, recorded.event.object);
        BOOST_CHECK(stored.event.details == recorded.event.details);
        BOOST_CHECK(stored.leaf_hash == recorded.leaf_hash);
        // Rebuild the canonical form by hand from what the database returned, sorted keys and
        // all, and hash it apart from audit/.
        nlohmann::json doc;
        doc["seq"] = stored.seq;
        doc["time"] = format_utc(stored.time);
        doc["type"] = stored.event.type;
        doc["actor"] = stored.event.actor;
        doc["object"] = stored.event.object;
        doc["details"] = stored.event.details;
        BOOST_CHECK_EQUAL(independent_leaf_hash_hex(doc.dump()), to_hex(stored.leaf_hash));
    }
    // The leaf hash stored by the database equals the one computed in SQL from the same bytes.
    db.with_connection([&](Connection& c) {
        const auto row = c.exec(
            "SELECT leaf_hash = sha256('\\x00'::bytea || convert_to($1, 'UTF8')) AS same "
            "FROM audit_events WHERE seq = 2",
            {canonical_encoding(2, second.time, tricky)});
        BOOST_CHECK(row.one()["same"].boolean());
    });
    BOOST_CHECK(log.read(3, 10).empty());
    BOOST_CHECK_EQUAL(log.read(2, 2).size(), 1u);
    const auto report = verify(log);
    BOOST_CHECK(report.ok());
    BOOST_CHECK_EQUAL(report.checked, 2);
}

BOOST_AUTO_TEST_CASE(gapless_under_concurrent_appends) {
    Database db(
        {.dsn = TestCluster::instance().migrated_database("audit_concurrent"), .pool_size = 8});
    SystemClock clock;
    PostgresAuditLog log(db, clock);
    constexpr int kThreads = 8;
    constexpr int kEach = 40;
    std::vector<std::vector<std::int64_t>> seqs(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                AuditEvent e{"test.appended", "thread:" + std::to_string(t),
                             "item:" + std::to_string(i), nlohmann::json{{"thread", t}, {"i", i}}};
                // Half in a caller's transaction, half in their own.
                if (i % 2 == 0) {
                    seqs[t].push_back(log.record(e).seq);
                } else {
                    seqs[t].push_back(
                        db.transaction([&](Connection& tx) { return log.record(tx, e).seq; }));
                }
            }
        });
    }
    for (auto& t : threads)
        t.join();
    std::set<std::int64_t> all;
    for (const auto& s : seqs)
        all.insert(s.begin(), s.end());
    BOOST_CHECK_EQUAL(all.size(), static_cast<std::size_t>(kThreads * kEach));
    BOOST_CHECK_EQUAL(*all.begin(), 1);
    BOOST_CHECK_EQUAL(*all.rbegin(), kThreads * kEach);
    BOOST_CHECK_EQUAL(log.size(), kThreads * kEach);
    // Time never goes backwards along seq.
    const auto events = log.read(1, kThreads * kEach);
    for (std::size_t i = 1; i < events.size(); ++i)
        BOOST_CHECK(events[i - 1].time <= events[i].time);
    const auto report = verify(log);
    BOOST_CHECK_MESSAGE(report.ok(), (report.problems.empty() ? "" : report.problems.front()));
    BOOST_CHECK_EQUAL(report.checked, kThreads * kEach);
}

BOOST_AUTO_TEST_CASE(an_event_commits_and_rolls_back_with_the_change) {
    Database db({.dsn = TestCluster::instance().migrated_database("audit_atomic"), .pool_size = 2});
    ManualClock clock(kNovember22);
    PostgresAuditLog log(db, clock);
    db.with_connection(
        [](Connection& c) { c.exec("CREATE TABLE things (name text PRIMARY KEY)"); });

    BOOST_CHECK_THROW(db.transaction([&](Connection& tx) {
        tx.exec("INSERT INTO things VALUES ('a')");
        log.record(tx, {"thing.created", "tester", "thing:a", {}});
        throw std::runtime_error("the service failed after recording");
    }),
                      std::runtime_error);
    BOOST_CHECK_EQUAL(log.size(), 0);  // no event, and no hole either
    const auto recorded = db.transaction([&](Connection& tx) {
        tx.exec("INSERT INTO things VALUES ('b')");
        return log.record(tx, {"thing.created", "tester", "thing:b", {}});
    });
    BOOST_CHECK_EQUAL(recorded.seq, 1);
    db.with_connection([&](Connection& c) {
        expect_error(
            [&] {
                log.record(c, {"thing.created", "tester", "thing:c", {}});
            },
            Errc::failed_precondition, "inside a transaction");
    });
}

BOOST_AUTO_TEST_CASE(deferred_events_commit_with_the_change_and_enter_the_log_in_order) {
    Database db({.dsn = TestCluster::instance().migrated_database("audit_defer"), .pool_size = 4});
    ManualClock clock(kNovember22);
    PostgresAuditLog log(db, clock);
    db.with_connection(
        [](Connection& c) { c.exec("CREATE TABLE things (name text PRIMARY KEY)"); });

    // Rolled back with its change: never in the outbox, never in the log.
    BOOST_CHECK_THROW(db.transaction([&](Connection& tx) {
        tx.exec("INSERT INTO things VALUES ('a')");
        log.defer(tx, {"thing.created", "tester", "thing:a", {}});
        throw std::runtime_error("the service failed after deferring");
    }),
                      std::runtime_error);
    BOOST_CHECK_EQUAL(log.drain(), 0u);

    // Many writers defer at once (no append lock); one drain moves them all, in order.
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
        writers.emplace_back([&, w] {
            for (int i = 0; i < 25; ++i) {
                const std::string name = std::to_string(w) + "-" + std::to_string(i);
                db.transaction([&](Connection& tx) {
                    tx.exec("INSERT INTO things VALUES ($1)", {name});
                    log.defer(tx, {"thing.created", "tester", "thing:" + name, {{"i", i}}});
                });
            }
        });
    }
    for (auto& w : writers)
        w.join();
    BOOST_CHECK_EQUAL(log.size(), 0);
    clock.advance(std::chrono::seconds(5));
    BOOST_CHECK_EQUAL(log.drain(60), 60u);
    BOOST_CHECK_EQUAL(log.drain(), 40u);
    BOOST_CHECK_EQUAL(log.drain(), 0u);
    const auto events = log.read(1, 100);
    BOOST_REQUIRE_EQUAL(events.size(), 100u);
    for (const auto& e : events) {
        // The time the event happened travels in its details; the log's time is when it entered.
        BOOST_CHECK_EQUAL(e.event.details["occurred_at"], format_utc(kNovember22));
        BOOST_CHECK(e.time == kNovember22 + std::chrono::seconds(5));
    }
    const auto report = verify(log);
    BOOST_CHECK(report.ok());
    BOOST_CHECK_EQUAL(report.checked, 100);
    // Secrets are refused at defer time, as at record time.
    db.transaction([&](Connection& tx) {
        expect_error(
            [&] {
                log.defer(tx, {"x", "tester", "", {{"pin", "1234"}}});
            },
            Errc::invalid_argument, "pin");
    });
}

BOOST_AUTO_TEST_CASE(defer_many_writes_all_or_none_and_they_enter_the_log_in_order) {
    Database db(
        {.dsn = TestCluster::instance().migrated_database("audit_defer_many"), .pool_size = 2});
    ManualClock clock(kNovember22);
    PostgresAuditLog log(db, clock);
    std::vector<AuditEvent> events;
    for (int i = 0; i < 5; ++i)
        events.push_back({"thing.created", "tester", "thing:" + std::to_string(i), {{"i", i}}});
    db.transaction([&](Connection& tx) { log.defer_many(tx, events); });
    // One invalid event: none of the batch is written.
    auto with_secret = events;
    with_secret[3].details = {{"otp", "123456"}};
    db.transaction([&](Connection& tx) {
        expect_error([&] { log.defer_many(tx, with_secret); }, Errc::invalid_argument, "otp");
    });
    BOOST_CHECK_EQUAL(log.drain(), 5u);
    const auto recorded = log.read(1, 10);
    BOOST_REQUIRE_EQUAL(recorded.size(), 5u);
    for (std::size_t i = 0; i < recorded.size(); ++i) {
        BOOST_CHECK_EQUAL(recorded[i].seq, static_cast<std::int64_t>(i + 1));
        BOOST_CHECK_EQUAL(recorded[i].event.object, events[i].object);
    }
    BOOST_CHECK(verify(log).ok());
}

BOOST_AUTO_TEST_CASE(verify_finds_a_changed_event) {
    Database db({.dsn = TestCluster::instance().migrated_database("audit_tamper"), .pool_size = 1});
    ManualClock clock(kNovember22);
    PostgresAuditLog log(db, clock);
    for (int i = 0; i < 5; ++i)
        log.record({"test.event", "tester", "object:" + std::to_string(i), {{"i", i}}});
    BOOST_CHECK(verify(log).ok());
    // The database refuses the change; a superuser who disables the trigger gets past it, and
    // verify (and later the signed checkpoints) show it.
    db.with_connection([](Connection& c) {
        expect_error([&] { c.exec("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3"); },
                     Errc::permission_denied, "append-only");
        c.exec("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only");
        c.exec("UPDATE audit_events SET details = '{\"i\": 99}' WHERE seq = 3");
        c.exec("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only");
    });
    const auto report = verify(log);
    BOOST_CHECK(!report.ok());
    BOOST_REQUIRE_EQUAL(report.problems.size(), 1u);
    BOOST_CHECK_EQUAL(report.problems[0], "event 3: the leaf hash does not match its fields");
    BOOST_CHECK(verify(log, 4, 5).ok());
}

BOOST_AUTO_TEST_CASE(events_that_cannot_be_recorded_exactly_are_refused) {
    auto refused = [](AuditEvent e, const std::string& needle) {
        expect_error([&] { validate(e); }, Errc::invalid_argument, needle);
    };
    refused({"", "a", "", {}}, "type");
    refused({"Api.Created", "a", "", {}}, "type");
    refused({"t", "", "", {}}, "actor must have 1 to 512 bytes");
    refused({"t", "a\nb", "", {}}, "control character");
    refused({"t", "a", std::string("\xff\xfe"), {}}, "object is not valid UTF-8");
    refused({"t", "a", "", nlohmann::json::array()}, "must be a JSON object");
    refused({"t", "a", "", {{"ratio", 0.5}}}, "floating-point");
    refused({"t", "a", "", {{"n", 9007199254740992LL}}}, "2^53");
    refused({"t", "a", "", {{"n", std::numeric_limits<std::uint64_t>::max()}}}, "2^53");
    refused({"t", "a", "", {{"s", std::string("a\0b", 3)}}}, "U+0000");
    refused({"t", "a", "", {{"s", std::string("\xc3\x28")}}}, "not valid UTF-8");
    refused({"t", "a", "", {{"user", {{"PIN", "1234"}}}}}, "details.user.PIN names a secret");
    refused({"t", "a", "", {{"password", "x"}}}, "names a secret");
    nlohmann::json deep = nlohmann::json::object();
    for (int i = 0; i < 20; ++i)
        deep = nlohmann::json{{"d", deep}};
    refused({"t", "a", "", deep}, "deeper than 16");
    refused({"t", "a", "", {{"big", std::string(70000, 'x')}}}, "exceed 65536 bytes");
    // Fine: names that merely contain a secret's name, labels, empty object.
    validate({"key.generated",
              "operator:bob",
              "key:tsa-2026",
              {{"token_label", "signet"}, {"pin_source", "file"}}});
    validate({"t", "a", "", nlohmann::json::object()});
}

BOOST_AUTO_TEST_SUITE_END()
