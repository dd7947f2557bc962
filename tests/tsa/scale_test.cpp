// Serial numbers at scale: 100,000 tokens from one responder, all distinct and all recorded;
// two responders ("nodes": each its own HSM session pool, database pool, journal and serial
// source) on one database at once; and a responder started again on the same database.
#include <boost/test/unit_test.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "hsm/bridge.hpp"
#include "tests/tsa/tsa_fixture.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

// Issues `count` tokens from `threads` threads; returns their serials.
std::vector<Bytes> issue(tsa::Responder& responder, int count, int threads) {
    std::vector<Bytes> serials;
    std::mutex mutex;
    std::atomic<int> next{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> pool;
    // A few requests, reused: what varies per token is the TSA's part.
    std::vector<Bytes> requests;
    for (int i = 0; i < 64; ++i)
        requests.push_back(make_request({.nonce = i % 2 == 0, .cert_req = i % 3 == 0}));
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            std::vector<Bytes> mine;
            for (int i; (i = next++) < count;) {
                const tsa::Reply reply =
                    responder.respond(requests[static_cast<std::size_t>(i) % requests.size()],
                                      {std::nullopt, "127.0.0.1"});
                if (reply.failure) {
                    ++failures;
                    continue;
                }
                mine.push_back(reply.serial);
            }
            std::lock_guard lock(mutex);
            serials.insert(serials.end(), mine.begin(), mine.end());
        });
    }
    for (auto& thread : pool)
        thread.join();
    BOOST_CHECK_EQUAL(failures.load(), 0);
    return serials;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tsa_scale)

BOOST_AUTO_TEST_CASE(one_hundred_thousand_tokens_have_distinct_serials) {
    TsaFixture f({.database = "tsa_scale"});
    constexpr int kTokens = 100'000;
    const auto started = std::chrono::steady_clock::now();
    const std::vector<Bytes> serials = issue(*f.responder, kTokens, 8);
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    BOOST_TEST_MESSAGE(kTokens << " tokens in " << seconds.count() << " s; "
                               << f.journal->stats().batches << " commits");
    BOOST_REQUIRE_EQUAL(serials.size(), static_cast<std::size_t>(kTokens));
    const std::set<Bytes> distinct(serials.begin(), serials.end());
    BOOST_CHECK_EQUAL(distinct.size(), serials.size());
    std::size_t longest = 0;
    for (const Bytes& serial : serials)
        longest = std::max(longest, serial.size());
    BOOST_CHECK_LE(longest, 20u);
    // Every token is in the database, once.
    BOOST_CHECK_EQUAL(f.tokens->count(), kTokens);
    // And group commit shared the commits.
    BOOST_CHECK_LT(f.journal->stats().batches, static_cast<std::uint64_t>(kTokens));
}

BOOST_AUTO_TEST_CASE(two_nodes_on_one_database_never_repeat_a_serial) {
    TsaFixture a({.database = "tsa_two_nodes"});
    // Node B: the same HSM token opened again (its own sessions), its own database pool,
    // journal and serial source, on the same database; the same TSA certificate and key label.
    auto token_b = hsm::Token::open(a.token_config);
    store::Database database_b({.dsn = a.dsn, .pool_size = 4});
    store::PostgresTsaTokens tokens_b(database_b);
    auto journal_b = std::make_shared<tsa::GroupCommitJournal>(database_b, tokens_b);
    tsa::ResponderOptions options_b = a.responder_options(a.options.settings);
    options_b.identity.key = hsm::bridge_key(token_b->find_key("tsa"));
    options_b.serials = std::make_shared<tsa::RandomSerials>(
        [token_b](std::size_t n) { return token_b->random(n); });
    options_b.journal = journal_b;
    options_b.node = "test:2";
    tsa::Responder b(std::move(options_b));

    constexpr int kEach = 5'000;
    std::vector<Bytes> from_a, from_b;
    std::thread node_a([&] { from_a = issue(*a.responder, kEach, 4); });
    std::thread node_b([&] { from_b = issue(b, kEach, 4); });
    node_a.join();
    node_b.join();
    BOOST_REQUIRE_EQUAL(from_a.size(), static_cast<std::size_t>(kEach));
    BOOST_REQUIRE_EQUAL(from_b.size(), static_cast<std::size_t>(kEach));
    std::set<Bytes> all(from_a.begin(), from_a.end());
    all.insert(from_b.begin(), from_b.end());
    BOOST_CHECK_EQUAL(all.size(), static_cast<std::size_t>(2 * kEach));
    BOOST_CHECK_EQUAL(a.tokens->count(), 2 * kEach);
    // Each row names the node that issued it.
    BOOST_CHECK_EQUAL(a.tokens->find(from_a.front())->node, "test:1");
    BOOST_CHECK_EQUAL(a.tokens->find(from_b.front())->node, "test:2");
    journal_b.reset();
}

BOOST_AUTO_TEST_CASE(a_restarted_responder_continues_without_repeats) {
    TsaFixture f({.database = "tsa_restart"});
    const std::vector<Bytes> before = issue(*f.responder, 2'000, 4);
    // A restart: a new responder, a new serial source (nothing of the old one's state).
    f.restart(f.options.settings);
    const std::vector<Bytes> after = issue(*f.responder, 2'000, 4);
    std::set<Bytes> all(before.begin(), before.end());
    all.insert(after.begin(), after.end());
    BOOST_CHECK_EQUAL(all.size(), 4'000u);
    BOOST_CHECK_EQUAL(f.tokens->count(), 4'000);
}

BOOST_AUTO_TEST_SUITE_END()
