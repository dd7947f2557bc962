#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace signet {

// The clock is injected (DESIGN.md invariant 4): services ask a Clock, never the system, so tests
// can move time and make the time source unhealthy.
class Clock {
  public:
    using time_point = std::chrono::system_clock::time_point;

    struct Health {
        bool synchronized = true;  // the kernel says the clock is synchronised (adjtimex)
        // adjtimex's esterror: the NTP daemon's estimate of the error, for display.
        std::chrono::microseconds estimated_error{0};
        // adjtimex's maxerror: the bound on the error (the daemon's, growing by the kernel's
        // 500 ppm tolerance between its updates). What a claim of accuracy rests on.
        std::chrono::microseconds maximum_error{0};
        std::string detail;  // why it is unhealthy, for /healthz and logs
    };

    virtual ~Clock() = default;
    virtual time_point now() const = 0;
    virtual Health health() const = 0;
};

// The system's clock, as the kernel reports it.
class SystemClock final : public Clock {
  public:
    time_point now() const override { return std::chrono::system_clock::now(); }
    Health health() const override;
};

// A clock for tests: stands still until told to move, healthy until told otherwise.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(time_point start = std::chrono::system_clock::now()) : now_(start) {}
    time_point now() const override {
        std::lock_guard lock(mutex_);
        return now_;
    }
    Health health() const override {
        std::lock_guard lock(mutex_);
        return health_;
    }
    void set(time_point t) {
        std::lock_guard lock(mutex_);
        now_ = t;
    }
    void advance(std::chrono::system_clock::duration d) {
        std::lock_guard lock(mutex_);
        now_ += d;
    }
    void set_health(Health h) {
        std::lock_guard lock(mutex_);
        health_ = std::move(h);
    }

  private:
    mutable std::mutex mutex_;
    time_point now_;
    Health health_;
};

// RFC 3339 / ISO 8601 UTC with microseconds, e.g. "2026-11-22T09:55:00.123456Z".
std::string format_utc(Clock::time_point t);

// Parses RFC 3339 in UTC: "YYYY-MM-DDTHH:MM:SSZ" with an optional fraction of up to 9 digits
// (kept to the microsecond). Offsets other than Z, lowercase t/z, impossible dates and years
// outside 1970-2199 are Errc::invalid_argument.
Clock::time_point parse_utc(std::string_view text);

// The instant `seconds` after the Unix epoch, or nullopt where a Clock::time_point cannot hold
// it: system_clock counts nanoseconds in 64 bits, so only 1677-09-21..2262-04-11 fit, while
// ASN.1 times reach 9999 (RFC 5280 §4.1.2.5: 99991231235959Z is "no well-defined expiration").
// Callers decide whether such a time is an error or "never".
std::optional<Clock::time_point> from_unix_seconds(std::int64_t seconds);

// The IMF-fixdate of HTTP (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(Clock::time_point t);

// The system clock's current second as an IMF-fixdate, for the HTTP server's Date header
// (RFC 9110 §6.6.1). Formatted at most once a second per thread (the server's hot path: no
// lock, no allocation); the view is valid until the calling thread's next call.
std::string_view http_date_now();

}  // namespace signet
