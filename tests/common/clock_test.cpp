// The HTTP date (RFC 9110 §5.6.7 IMF-fixdate), formatted by calendar arithmetic: checked
// against the C library's gmtime_r and strftime in the C locale.
#include "common/clock.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <clocale>
#include <cstdint>
#include <ctime>
#include <string>

using namespace signet;

namespace {

std::string libc_http_date(std::time_t when) {
    std::tm tm{};
    gmtime_r(&when, &tm);
    char text[64];
    const std::size_t n = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return std::string(text, n);
}

Clock::time_point at(std::int64_t unix_seconds) {
    return Clock::time_point(std::chrono::seconds(unix_seconds));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_date)

BOOST_AUTO_TEST_CASE(http_date_is_rfc_9110s_example) {
    BOOST_CHECK_EQUAL(format_http_date(at(784111777)), "Sun, 06 Nov 1994 08:49:37 GMT");
}

BOOST_AUTO_TEST_CASE(http_date_agrees_with_gmtime_across_leap_years_and_month_ends) {
    std::setlocale(LC_TIME, "C");
    // Every 7 hours and 13 seconds from 1960 to 2100: every weekday, month end, leap day (2000
    // is one, 2100 is not) and hour; and the instants around the epoch.
    for (std::int64_t t = -315619200; t < 4102444800; t += 7 * 3600 + 13)
        BOOST_REQUIRE_EQUAL(format_http_date(at(t)), libc_http_date(t));
    for (std::int64_t t = -2; t <= 2; ++t)
        BOOST_REQUIRE_EQUAL(format_http_date(at(t)), libc_http_date(t));
    BOOST_CHECK_EQUAL(format_http_date(at(951782400)), "Tue, 29 Feb 2000 00:00:00 GMT");
    BOOST_CHECK_EQUAL(format_http_date(at(4107542399)), "Sun, 28 Feb 2100 23:59:59 GMT");
}

BOOST_AUTO_TEST_CASE(http_date_drops_the_fraction_of_a_second) {
    const auto t = at(784111777) + std::chrono::milliseconds(999);
    BOOST_CHECK_EQUAL(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
}

BOOST_AUTO_TEST_SUITE_END()
