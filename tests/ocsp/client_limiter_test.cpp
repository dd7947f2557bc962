// The per-client token buckets of live signing (ocsp/client_limiter.hpp): time is given, so
// nothing here waits or measures.
#include "ocsp/client_limiter.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

using namespace signet;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(ocsp_client_limiter)

BOOST_AUTO_TEST_CASE(a_client_gets_its_burst_then_its_rate_and_never_more_than_the_burst) {
    ocsp::ClientLimiter limiter(2, 3);
    const auto start = std::chrono::system_clock::now();
    for (int i = 0; i < 3; ++i)
        BOOST_CHECK(limiter.try_acquire("a", start));
    BOOST_CHECK(!limiter.try_acquire("a", start));
    BOOST_CHECK(limiter.try_acquire("b", start));  // its own bucket
    // Half a second at 2 a second: one more.
    BOOST_CHECK(limiter.try_acquire("a", start + 500ms));
    BOOST_CHECK(!limiter.try_acquire("a", start + 500ms));
    // An hour idle refills up to the burst, not beyond.
    const auto later = start + 1h;
    for (int i = 0; i < 3; ++i)
        BOOST_CHECK(limiter.try_acquire("a", later));
    BOOST_CHECK(!limiter.try_acquire("a", later));
    // A clock that steps back gives nothing and takes nothing.
    BOOST_CHECK(!limiter.try_acquire("a", start));
    BOOST_CHECK(limiter.try_acquire("a", later + 500ms));
}

BOOST_AUTO_TEST_CASE(the_client_table_stays_bounded_under_a_flood_of_addresses) {
    ocsp::ClientLimiter limiter(1, 1, 16);
    const auto now = std::chrono::system_clock::now();
    for (int i = 0; i < 1000; ++i)
        BOOST_CHECK(limiter.try_acquire("198.51.100." + std::to_string(i), now));
    BOOST_CHECK_EQUAL(limiter.clients(), 16u);
    // The most recently seen clients are still held, their buckets empty; the first were dropped
    // (a client seen again after eviction starts with a full bucket).
    BOOST_CHECK(!limiter.try_acquire("198.51.100.999", now));
    BOOST_CHECK(limiter.try_acquire("198.51.100.0", now));
    BOOST_CHECK_EQUAL(limiter.clients(), 16u);
}

BOOST_AUTO_TEST_SUITE_END()
