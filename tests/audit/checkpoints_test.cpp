// Checkpoints (audit/checkpoints.hpp) on a real SoftHSM token, a real PostgreSQL and our TSA in
// process, checked by openssl apart from Signet: the signature with `openssl dgst -verify`, the
// time-stamp token with `openssl ts -verify -data body`.
#include "audit/checkpoints.hpp"

#include <boost/test/unit_test.hpp>
#include <barrier>
#include <set>
#include <thread>

#include "tests/audit/checkpoint_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::audit;
using signet::testing::CheckpointFixture;
using signet::testing::expect_error;
using signet::testing::run_command;

namespace {

std::vector<Hash> leaves(store::Database& db, std::uint64_t size) {
    return db.with_connection([&](store::Connection& c) {
        std::vector<Hash> out;
        const auto rows =
            c.exec("SELECT leaf_hash FROM audit_events WHERE seq <= $1 ORDER BY seq", {size});
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Bytes b = rows[i]["leaf_hash"].bytes();
            Hash h{};
            std::copy(b.begin(), b.end(), h.begin());
            out.push_back(h);
        }
        return out;
    });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_checkpoints)

BOOST_AUTO_TEST_CASE(a_checkpoint_is_signed_and_time_stamped_as_openssl_sees_it) {
    CheckpointFixture f("checkpoint_openssl");
    f.record(20);
    auto checkpoints = f.checkpointer("node:a");
    const SignedCheckpoint made = checkpoints->checkpoint_now();
    const std::uint64_t size = made.checkpoint.size;
    BOOST_CHECK_EQUAL(static_cast<std::int64_t>(size), f.audit->size() - 1);  // then its event
    BOOST_CHECK(made.checkpoint.root == tree_root(leaves(*f.database, size)));
    BOOST_CHECK_EQUAL(made.body, checkpoint_body(made.checkpoint));
    BOOST_CHECK_EQUAL(made.checkpoint.origin, "test.signet/log");

    const auto body = f.save("body.txt", made.body);
    const auto signature = f.save("body.sig", made.signature);
    const auto certificate = f.save("checkpoint.der", made.certificate_der);
    const auto pubkey = run_command({"openssl", "x509", "-inform", "DER", "-in", certificate,
                                     "-pubkey", "-noout"});
    BOOST_REQUIRE_EQUAL(pubkey.exit_code, 0);
    const auto pubkey_pem = f.save("checkpoint.pub.pem", pubkey.output);
    const auto verified = run_command(
        {"openssl", "dgst", "-sha256", "-verify", pubkey_pem, "-signature", signature, body});
    BOOST_CHECK_MESSAGE(verified.exit_code == 0, verified.output);
    const auto token = f.save("body.tst", made.time_stamp_token);
    const auto stamped =
        run_command({"openssl", "ts", "-verify", "-data", body, "-in", token, "-token_in",
                     "-CAfile", f.root_pem(), "-untrusted", f.issuing_pem()});
    BOOST_CHECK_MESSAGE(stamped.exit_code == 0, stamped.output);

    // One changed byte of the body: neither verifies.
    std::string changed = made.body;
    changed[changed.size() - 3] ^= 1;
    const auto changed_body = f.save("changed.txt", changed);
    BOOST_CHECK_NE(run_command({"openssl", "dgst", "-sha256", "-verify", pubkey_pem, "-signature",
                                signature, changed_body})
                       .exit_code,
                   0);
    BOOST_CHECK_NE(run_command({"openssl", "ts", "-verify", "-data", changed_body, "-in", token,
                                "-token_in", "-CAfile", f.root_pem(), "-untrusted",
                                f.issuing_pem()})
                       .exit_code,
                   0);

    // Stored, and read back as made.
    const auto latest = checkpoints->latest();
    BOOST_REQUIRE(latest);
    BOOST_CHECK_EQUAL(latest->body, made.body);
    BOOST_CHECK(latest->signature == made.signature);
    BOOST_CHECK(latest->time_stamp_token == made.time_stamp_token);
    BOOST_CHECK_EQUAL(checkpoints->at_size(size).body, made.body);
    expect_error([&] { checkpoints->at_size(size + 1); }, Errc::not_found, "no checkpoint of size");
}

BOOST_AUTO_TEST_CASE(an_idle_log_keeps_its_checkpoint_and_the_checkpoint_event_is_in_the_next) {
    CheckpointFixture f("checkpoint_idle");
    f.record(5);
    auto checkpoints = f.checkpointer();
    const SignedCheckpoint first = checkpoints->checkpoint_now();
    const auto event_seq = static_cast<std::int64_t>(first.checkpoint.size) + 1;
    const auto event = f.audit->read(event_seq, event_seq);
    BOOST_REQUIRE_EQUAL(event.size(), 1u);
    BOOST_CHECK_EQUAL(event[0].event.type, "audit.checkpoint");
    BOOST_CHECK_EQUAL(event[0].event.details["size"].get<std::uint64_t>(), first.checkpoint.size);
    BOOST_CHECK_EQUAL(event[0].event.details["root"].get<std::string>(),
                      to_hex(first.checkpoint.root));

    // Nothing but its own event since: the same checkpoint, no new event.
    const SignedCheckpoint again = checkpoints->checkpoint_now();
    BOOST_CHECK_EQUAL(again.checkpoint.size, first.checkpoint.size);
    BOOST_CHECK_EQUAL(f.audit->size(), event_seq);

    // A new event: the next checkpoint covers the first's event too, and proves it.
    f.record(1);
    const SignedCheckpoint next = checkpoints->checkpoint_now();
    BOOST_CHECK_EQUAL(next.checkpoint.size, first.checkpoint.size + 2);
    const auto proof = checkpoints->inclusion(event_seq, next.checkpoint.size);
    BOOST_CHECK(verify_inclusion(static_cast<std::uint64_t>(event_seq) - 1, next.checkpoint.size,
                                 event[0].leaf_hash, proof, next.checkpoint.root));
    const auto consistency = checkpoints->consistency(first.checkpoint.size, next.checkpoint.size);
    BOOST_CHECK(verify_consistency(first.checkpoint.size, next.checkpoint.size,
                                   first.checkpoint.root, next.checkpoint.root, consistency));
}

BOOST_AUTO_TEST_CASE(two_checkpointers_racing_make_one_checkpoint_per_size) {
    CheckpointFixture f("checkpoint_race");
    auto a = f.checkpointer("node:a");
    auto b = f.checkpointer("node:b");
    for (int round = 0; round < 4; ++round) {
        f.record(2);
        // Both asked at once over the same log: one makes it, the other returns it.
        std::barrier start(2);
        SignedCheckpoint made_a, made_b;
        std::atomic<int> failures{0};
        auto run = [&](PostgresCheckpoints& checkpoints, SignedCheckpoint& out) {
            start.arrive_and_wait();
            try {
                out = checkpoints.checkpoint_now();
            } catch (const std::exception& e) {
                BOOST_TEST_MESSAGE("checkpoint failed: " << e.what());
                ++failures;
            }
        };
        std::thread ta([&] { run(*a, made_a); });
        std::thread tb([&] { run(*b, made_b); });
        ta.join();
        tb.join();
        BOOST_REQUIRE_EQUAL(failures.load(), 0);
        BOOST_CHECK_EQUAL(made_a.checkpoint.size, made_b.checkpoint.size);
        BOOST_CHECK_EQUAL(made_a.body, made_b.body);
        BOOST_CHECK(made_a.checkpoint.root ==
                    tree_root(leaves(*f.database, made_a.checkpoint.size)));
    }
    // One row per round, and one checkpoint event per row.
    const auto counts = f.database->with_connection([](store::Connection& c) {
        return std::pair{
            c.exec("SELECT count(*) FROM audit_checkpoints").one()[0].int64(),
            c.exec("SELECT count(*) FROM audit_events WHERE event_type = 'audit.checkpoint'")
                .one()[0]
                .int64()};
    });
    BOOST_CHECK_EQUAL(counts.first, 4);
    BOOST_CHECK_EQUAL(counts.second, 4);
}

// `database.pool_size: 1` is a valid setting: the making must never hold one connection while
// needing a second (the TSA's journal, the tree, the insert), and makers waiting their turn must
// not hold one either, or they starve the pool the TSA, OCSP and signing routes share.
BOOST_AUTO_TEST_CASE(a_pool_of_one_connection_makes_checkpoints_with_makers_waiting) {
    CheckpointFixture f("checkpoint_pool_of_one", 1);
    f.record(20);
    auto checkpoints = f.checkpointer();
    const SignedCheckpoint first = checkpoints->checkpoint_now();
    BOOST_CHECK_EQUAL(static_cast<std::int64_t>(first.checkpoint.size), f.audit->size() - 1);
    BOOST_CHECK(first.checkpoint.root == tree_root(leaves(*f.database, first.checkpoint.size)));

    f.record(3);
    constexpr int kMakers = 4;
    std::barrier start(kMakers);
    std::vector<SignedCheckpoint> made(kMakers);
    std::atomic<int> failures{0};
    std::vector<std::thread> makers;
    for (int i = 0; i < kMakers; ++i)
        makers.emplace_back([&, i] {
            start.arrive_and_wait();
            try {
                made[static_cast<std::size_t>(i)] = checkpoints->checkpoint_now();
            } catch (const std::exception& e) {
                BOOST_TEST_MESSAGE("checkpoint failed: " << e.what());
                ++failures;
            }
        });
    for (auto& t : makers)
        t.join();
    BOOST_REQUIRE_EQUAL(failures.load(), 0);
    // One made it, the others found it (the idle rule): one new checkpoint, one new event.
    for (const auto& m : made)
        BOOST_CHECK_EQUAL(m.body, made[0].body);
    BOOST_CHECK_EQUAL(made[0].checkpoint.size, first.checkpoint.size + 1 + 3);
    BOOST_CHECK_EQUAL(f.audit->size(), static_cast<std::int64_t>(made[0].checkpoint.size) + 1);
}

BOOST_AUTO_TEST_CASE(bad_proof_arguments_are_named) {
    CheckpointFixture f("checkpoint_args");
    f.record(4);
    PostgresCheckpoints reader(*f.database);
    const auto size = static_cast<std::uint64_t>(f.audit->size());
    expect_error([&] { reader.inclusion(0, size); }, Errc::invalid_argument, "seq 0 is not in 1..");
    expect_error([&] { reader.inclusion(static_cast<std::int64_t>(size) + 1, size); },
                 Errc::invalid_argument, "is not in 1..");
    expect_error([&] { reader.inclusion(1, size + 1); }, Errc::invalid_argument,
                 "beyond the audit log's size");
    expect_error([&] { reader.consistency(0, size); }, Errc::invalid_argument, "0 < first");
    expect_error([&] { reader.consistency(3, 2); }, Errc::invalid_argument, "0 < first");
    expect_error([&] { reader.consistency(1, size + 1); }, Errc::invalid_argument,
                 "second size");
    expect_error([&] { reader.checkpoint_now(); }, Errc::failed_precondition, "no audit-checkpoint key");
    BOOST_CHECK(!reader.latest());
}

BOOST_AUTO_TEST_CASE(checkpoint_bodies_round_trip_and_malformed_ones_are_named) {
    Checkpoint c{"example.com/log", 12345, {}, Clock::time_point(std::chrono::microseconds(1795341300123456))};
    c.root[0] = 0xab;
    const std::string body = checkpoint_body(c);
    BOOST_CHECK_EQUAL(body, "example.com/log\n12345\nqwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
                            "2026-11-22T09:55:00.123456Z\n");
    const Checkpoint back = parse_checkpoint_body(body);
    BOOST_CHECK_EQUAL(back.origin, c.origin);
    BOOST_CHECK_EQUAL(back.size, c.size);
    BOOST_CHECK(back.root == c.root);
    BOOST_CHECK(back.time == c.time);
    const std::string root = "qwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    const std::string time = "2026-11-22T09:55:00.123456Z\n";
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"a b\n1\n" + root + time, "origin line"},
        {"log\n01\n" + root + time, "size line"},
        {"log\n+1\n" + root + time, "size line"},
        {"log\n99999999999999999999\n" + root + time, "size line is out of range"},
        {"log\n1\nqw==\n" + time, "root line is not 32 bytes"},
        {"log\n1\nqwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n" + time, "root line is not canonical base64"},
        {"log\n1\n" + root + "2026-11-22T09:55:00Z\n", "time line"},
        {"log\n1\n" + root + time + "x", "text after the time line"},
        {"log\n1\n" + root + "2026-11-22T09:55:00.123456Z", "time line is missing"},
    };
    for (const auto& [text, needle] : bad)
        expect_error([&] { parse_checkpoint_body(text); }, Errc::invalid_argument, needle);
}

BOOST_AUTO_TEST_SUITE_END()
