#include "common/clock.hpp"

#include <sys/timex.h>

#include <cstdio>
#include <ctime>

#include "common/error.hpp"

namespace signet {

Clock::Health SystemClock::health() const {
    // adjtimex with modes 0 only reads the kernel's NTP state (man 2 adjtimex).
    struct timex tx {};
    const int state = adjtimex(&tx);
    Health h;
    h.estimated_error = std::chrono::microseconds(tx.esterror);
    h.maximum_error = std::chrono::microseconds(tx.maxerror);
    if (state == -1) {
        h.synchronized = false;
        h.detail = "adjtimex failed";
    } else if (state == TIME_ERROR || (tx.status & STA_UNSYNC) != 0) {
        h.synchronized = false;
        h.detail = "the kernel reports the clock unsynchronised";
    }
    return h;
}

std::string format_utc(Clock::time_point t) {
    const auto since_epoch = t.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds);
    const std::time_t tt = static_cast<std::time_t>(seconds.count());
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(micros.count()));
    return buf;
}

Clock::time_point parse_utc(std::string_view text) {
    const auto fail = [&]() -> Error {
        return Error(Errc::invalid_argument,
                     "'" + std::string(text.substr(0, 64)) +
                         "' is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SS[.fraction]Z)");
    };
    auto digits = [&](std::size_t at, std::size_t count) -> int {
        if (at + count > text.size())
            throw fail();
        int value = 0;
        for (std::size_t i = at; i < at + count; ++i) {
            if (text[i] < '0' || text[i] > '9')
                throw fail();
            value = value * 10 + (text[i] - '0');
        }
        return value;
    };
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':' || text.back() != 'Z')
        throw fail();
    const int year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
    const int hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
    std::chrono::microseconds fraction{0};
    std::size_t end = 19;
    if (text[end] == '.') {
        std::size_t n = 0;
        long long micros = 0;
        for (end = 20; end < text.size() && text[end] >= '0' && text[end] <= '9'; ++end, ++n) {
            if (n < 6)
                micros = micros * 10 + (text[end] - '0');
        }
        if (n == 0 || n > 9)
            throw fail();
        for (; n < 6; ++n)
            micros *= 10;
        fraction = std::chrono::microseconds(micros);
    }
    if (end != text.size() - 1)
        throw fail();
    const std::chrono::year_month_day date{std::chrono::year(year),
                                           std::chrono::month(static_cast<unsigned>(month)),
                                           std::chrono::day(static_cast<unsigned>(day))};
    // No leap second: X.509 and PostgreSQL have none either.
    if (!date.ok() || hour > 23 || minute > 59 || second > 59)
        throw fail();
    return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
           std::chrono::seconds(second) + fraction;
}

std::string format_http_date(Clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(
        std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

}  // namespace signet
