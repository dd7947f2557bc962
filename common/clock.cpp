#include "common/clock.hpp"

#include <sys/timex.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/error.hpp"
#include "common/text.hpp"

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
        return Error(
            Errc::invalid_argument,
            quote_input(text) + " is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SS[.fraction]Z)");
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
    // No leap second: X.509 and PostgreSQL have none either. Years 1970-2199: a time_point
    // counts nanoseconds in 64 bits, which overflow before 1678 and after 2262 (a fuzzer's
    // year 1013 did), and Signet has no use for dates outside.
    if (!date.ok() || hour > 23 || minute > 59 || second > 59 || year < 1970 || year > 2199)
        throw fail();
    return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
           std::chrono::seconds(second) + fraction;
}

std::optional<Clock::time_point> from_unix_seconds(std::int64_t seconds) {
    using std::chrono::duration_cast;
    using Seconds = std::chrono::seconds;
    // A whole second short of each end, so that adding a fraction of a second cannot overflow.
    constexpr auto kMax =
        duration_cast<Seconds>(Clock::time_point::max().time_since_epoch()).count() - 1;
    constexpr auto kMin =
        duration_cast<Seconds>(Clock::time_point::min().time_since_epoch()).count() + 1;
    if (seconds > kMax || seconds < kMin)
        return std::nullopt;
    return Clock::time_point(duration_cast<Clock::time_point::duration>(Seconds(seconds)));
}

namespace {

// The one IMF-fixdate formatter. Day and month names come from tables rather than strftime's
// %a and %b, which follow the locale: HTTP dates are always English (RFC 9110 §5.6.7).
struct HttpDate {
    char text[32] = {};
    std::size_t size = 0;
};

void format_imf_fixdate(std::time_t when, HttpDate& out) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    // Calendar arithmetic rather than gmtime_r, which takes glibc's time-zone lock on every call:
    // the OCSP GET path formats two dates per request on every I/O thread.
    using namespace std::chrono;
    const sys_seconds t{seconds(when)};
    const sys_days day = floor<days>(t);
    const year_month_day date{day};
    const hh_mm_ss<seconds> time{t - day};
    const int n = std::snprintf(
        out.text, sizeof out.text, "%s, %02u %s %04d %02ld:%02ld:%02lld GMT",
        kDays[weekday(day).c_encoding() % 7], static_cast<unsigned>(date.day()),
        kMonths[(static_cast<unsigned>(date.month()) + 11) % 12], static_cast<int>(date.year()),
        static_cast<long>(time.hours().count()), static_cast<long>(time.minutes().count()),
        static_cast<long long>(time.seconds().count()));
    out.size = n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace

std::string format_http_date(Clock::time_point t) {
    HttpDate date;
    format_imf_fixdate(std::chrono::system_clock::to_time_t(
                           std::chrono::time_point_cast<std::chrono::system_clock::duration>(t)),
                       date);
    return std::string(date.text, date.size);
}

std::string_view http_date_now() {
    struct Cache {
        std::time_t second = -1;
        HttpDate date;
    };
    thread_local Cache cache;
    const std::time_t now = std::time(nullptr);
    if (now != cache.second) {
        format_imf_fixdate(now, cache.date);
        cache.second = now;
    }
    return {cache.date.text, cache.date.size};
}

}  // namespace signet
