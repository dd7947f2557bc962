#include "common/clock.hpp"

#include <sys/timex.h>

#include <cstdio>
#include <ctime>

namespace signet {

Clock::Health SystemClock::health() const {
    // adjtimex with modes 0 only reads the kernel's NTP state (man 2 adjtimex).
    struct timex tx {};
    const int state = adjtimex(&tx);
    Health h;
    h.estimated_error = std::chrono::microseconds(tx.esterror);
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

}  // namespace signet
