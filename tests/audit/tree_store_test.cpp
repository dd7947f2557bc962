// audit/tree_store.hpp against a real PostgreSQL: the stored subtree hashes give the same roots
// and proofs as the tree computed in memory from the same leaves (audit/merkle.hpp, itself
// checked against the RFC and CT's vectors in merkle_test.cpp).
#include "audit/tree_store.hpp"

#include <boost/test/unit_test.hpp>
#include <random>
#include <set>
#include <thread>

#include "audit/compact_range.hpp"
#include "tests/store/test_cluster.hpp"

using namespace signet;
using namespace signet::audit;
using signet::store::Connection;
using signet::store::Database;
using signet::testing::expect_error;
using signet::testing::TestCluster;

namespace {

// Appends events up to `size` straight in SQL, each with a distinct leaf hash (the tree only
// reads leaf_hash; the canonical encoding is test_audit's business).
void grow_log(Database& db, std::int64_t size) {
    db.with_connection([&](Connection& c) {
        c.exec("INSERT INTO audit_events (seq, event_time, event_type, actor, object, details, "
               "leaf_hash) SELECT g, now(), 'test.event', 'system', '', '{}', "
               "sha256(int8send(g)) FROM generate_series((SELECT coalesce(max(seq), 0) + 1 FROM "
               "audit_events), $1::bigint) g",
               {size});
    });
}

std::vector<Hash> leaves_of(Database& db) {
    return db.with_connection([&](Connection& c) {
        std::vector<Hash> out;
        const auto rows = c.exec("SELECT leaf_hash FROM audit_events ORDER BY seq");
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Bytes b = rows[i]["leaf_hash"].bytes();
            Hash h{};
            std::copy(b.begin(), b.end(), h.begin());
            out.push_back(h);
        }
        return out;
    });
}

SubtreeHash in_memory(const std::vector<Hash>& leaves) {
    return [&leaves](std::uint64_t start, std::uint64_t size) {
        return tree_root(std::span<const Hash>(leaves).subspan(start, size));
    };
}

// Every row audit_tree should hold for these leaves, as "level:idx:hex", from an in-memory
// compact range built from scratch.
std::set<std::string> expected_rows(const std::vector<Hash>& leaves, std::uint64_t covered) {
    std::set<std::string> rows;
    CompactRange range;
    for (std::uint64_t i = 0; i < covered; ++i)
        range.append(leaves[i], [&](unsigned level, std::uint64_t index, const Hash& hash) {
            if (level >= TreeStore::kStoredLevel)
                rows.insert(std::to_string(level) + ":" + std::to_string(index) + ":" +
                            to_hex(hash));
        });
    return rows;
}

std::set<std::string> stored_rows(Database& db) {
    return db.with_connection([&](Connection& c) {
        std::set<std::string> rows;
        const auto r = c.exec("SELECT level, idx, encode(hash, 'hex') AS h FROM audit_tree");
        for (std::size_t i = 0; i < r.size(); ++i)
            rows.insert(std::string(r[i]["level"].text()) + ":" + std::string(r[i]["idx"].text()) +
                        ":" + std::string(r[i]["h"].text()));
        return rows;
    });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_tree_store)

BOOST_AUTO_TEST_CASE(extends_incrementally_and_stores_exactly_the_complete_subtrees) {
    Database db({.dsn = TestCluster::instance().migrated_database("tree_extend"), .pool_size = 2});
    TreeStore tree(db);
    BOOST_CHECK_EQUAL(tree.extend(), 0u);
    grow_log(db, 37);
    BOOST_CHECK_EQUAL(tree.extend(), 32u);  // 37 rounded down to a block of 16
    BOOST_CHECK_EQUAL(tree.extend(), 32u);  // nothing new: nothing written
    grow_log(db, 300);
    BOOST_CHECK_EQUAL(tree.extend(48), 288u);  // in batches of 48 leaves, resuming each time
    const auto leaves = leaves_of(db);
    BOOST_CHECK(stored_rows(db) == expected_rows(leaves, 288));
    BOOST_CHECK_EQUAL(stored_rows(db).size(), 288u / 16 + 288u / 32 + 288u / 64 + 288u / 128 +
                                                  288u / 256);
}

BOOST_AUTO_TEST_CASE(roots_and_proofs_equal_the_in_memory_tree) {
    Database db({.dsn = TestCluster::instance().migrated_database("tree_proofs"), .pool_size = 2});
    TreeStore tree(db);
    grow_log(db, 100);
    tree.extend();
    grow_log(db, 333);  // not extended: proofs beyond the stored part extend first
    const auto leaves = leaves_of(db);
    const auto memory = in_memory(leaves);
    for (std::uint64_t n = 1; n <= 333; n += (n < 70 ? 1 : 13)) {
        const auto d = std::span<const Hash>(leaves).first(n);
        BOOST_REQUIRE_MESSAGE(tree.root(n) == tree_root(d), "root of " << n);
    }
    BOOST_CHECK(tree.root(0) == empty_tree_hash());
    std::mt19937_64 random(14);
    for (int i = 0; i < 300; ++i) {
        const std::uint64_t n = 1 + random() % 333;
        const std::uint64_t m = random() % n;
        const auto d = std::span<const Hash>(leaves).first(n);
        const auto proof = tree.inclusion(m, n);
        BOOST_REQUIRE_MESSAGE(proof == inclusion_proof(m, n, in_memory(leaves)),
                              "inclusion " << m << " in " << n);
        BOOST_REQUIRE(verify_inclusion(m, n, leaves[m], proof, tree_root(d)));
        const std::uint64_t first = 1 + random() % n;
        BOOST_REQUIRE_MESSAGE(tree.consistency(first, n) == consistency_proof(first, n, memory),
                              "consistency " << first << " -> " << n);
    }
    BOOST_CHECK_EQUAL(tree.covered(), 320u);
}

BOOST_AUTO_TEST_CASE(bad_sizes_are_refused_by_name) {
    Database db({.dsn = TestCluster::instance().migrated_database("tree_bad"), .pool_size = 2});
    TreeStore tree(db);
    grow_log(db, 20);
    expect_error([&] { tree.root(21); }, Errc::invalid_argument, "beyond the audit log's size 20");
    expect_error([&] { tree.inclusion(3, 40); }, Errc::invalid_argument, "tree size 40");
    expect_error([&] { tree.inclusion(20, 20); }, Errc::invalid_argument, "leaf index 20");
    expect_error([&] { tree.consistency(0, 5); }, Errc::invalid_argument, "0 < first size");
    expect_error([&] { tree.consistency(6, 5); }, Errc::invalid_argument, "0 < first size");
}

BOOST_AUTO_TEST_CASE(concurrent_extenders_store_each_subtree_once) {
    Database db({.dsn = TestCluster::instance().migrated_database("tree_race"), .pool_size = 6});
    grow_log(db, 1000);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            try {
                TreeStore tree(db);
                tree.extend(64);
            } catch (const std::exception& e) {
                BOOST_TEST_MESSAGE("extend failed: " << e.what());
                ++failures;
            }
        });
    for (auto& t : threads)
        t.join();
    BOOST_CHECK_EQUAL(failures.load(), 0);
    BOOST_CHECK(stored_rows(db) == expected_rows(leaves_of(db), 992));
}

BOOST_AUTO_TEST_CASE(stored_subtrees_are_append_only) {
    Database db({.dsn = TestCluster::instance().migrated_database("tree_append"), .pool_size = 2});
    grow_log(db, 16);
    TreeStore(db).extend();
    expect_error([&] { db.with_connection([](Connection& c) { c.exec("DELETE FROM audit_tree"); }); },
                 Errc::permission_denied, "append-only");
}

BOOST_AUTO_TEST_SUITE_END()
