#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace signet {

enum class LogLevel : std::uint8_t { debug, info, warn, error };

std::string_view to_string(LogLevel level) noexcept;

// One key and value of a log line. It holds views: build it in the call, never keep it.
class LogField {
  public:
    enum class Kind : std::uint8_t {
        string,
        signed_integer,
        unsigned_integer,
        real,
        boolean,
        null
    };

    LogField(std::string_view key, std::string_view value) noexcept
        : key_(key), kind_(Kind::string), text_(value) {}
    LogField(std::string_view key, const char* value) noexcept
        : LogField(key, value ? std::string_view(value) : std::string_view()) {}
    LogField(std::string_view key, const std::string& value) noexcept
        : LogField(key, std::string_view(value)) {}
    LogField(std::string_view key, bool value) noexcept
        : key_(key), kind_(Kind::boolean), unsigned_(value ? 1 : 0) {}
    template <std::signed_integral T>
    LogField(std::string_view key, T value) noexcept
        : key_(key), kind_(Kind::signed_integer), signed_(value) {}
    template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>) LogField(std::string_view key, T value)
    noexcept : key_(key), kind_(Kind::unsigned_integer), unsigned_(value) {}
    LogField(std::string_view key, double value) noexcept
        : key_(key), kind_(Kind::real), real_(value) {}
    LogField(std::string_view key, std::nullptr_t) noexcept : key_(key), kind_(Kind::null) {}

    std::string_view key() const noexcept { return key_; }
    Kind kind() const noexcept { return kind_; }
    std::string_view text() const noexcept { return text_; }
    std::int64_t signed_value() const noexcept { return signed_; }
    std::uint64_t unsigned_value() const noexcept { return unsigned_; }
    double real_value() const noexcept { return real_; }

  private:
    std::string_view key_;
    Kind kind_;
    std::string_view text_;
    union {
        std::int64_t signed_;
        std::uint64_t unsigned_ = 0;
        double real_;
    };
};

// Where the lines go: standard output, standard error, or a file opened for appending.
class LogDestination {
  public:
    static LogDestination standard_output();
    static LogDestination standard_error();
    // Errc::io when the file cannot be opened.
    static LogDestination file(const std::filesystem::path& path);

    LogDestination(LogDestination&& other) noexcept;
    LogDestination& operator=(LogDestination&&) = delete;
    ~LogDestination();

    int fd() const noexcept { return fd_; }

  private:
    LogDestination(int fd, bool owned) noexcept : fd_(fd), owned_(owned) {}
    int fd_;
    bool owned_;
};

struct LoggerOptions {
    LogLevel minimum = LogLevel::info;
    // How long a line may wait in memory before it is written.
    std::chrono::milliseconds flush_interval{100};
    // Per buffer shard; beyond it lines are dropped (and counted) rather than blocking the caller.
    std::size_t max_buffered_bytes = 4 * 1024 * 1024;
};

// A structured logger writing JSON lines: {"time":..., "level":..., "msg":..., <fields>}.
//
// Thread-safe and asynchronous, because the access log sits on the request path: a caller
// formats its line in a thread-local buffer and appends it to one of several shards (chosen per
// thread, so shard mutexes are practically uncontended); a writer thread drains the shards every
// flush_interval. Lines of one thread keep their order; lines of different threads may
// interleave out of time order within one flush (each carries its own time). A caller never
// waits for the disk: when the writer falls behind, lines are dropped and counted.
class Logger {
  public:
    explicit Logger(LogDestination destination, LoggerOptions options = {});
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;
    ~Logger();  // writes what is buffered

    bool enabled(LogLevel level) const noexcept {
        return level >= minimum_.load(std::memory_order_relaxed);
    }
    void set_minimum(LogLevel level) noexcept { minimum_.store(level, std::memory_order_relaxed); }

    // Field keys "time", "level" and "msg" are the logger's own; do not pass them.
    void log(LogLevel level, std::string_view message,
             std::initializer_list<LogField> fields = {}) noexcept;
    void debug(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::debug, message, fields);
    }
    void info(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::info, message, fields);
    }
    void warn(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::warn, message, fields);
    }
    void error(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::error, message, fields);
    }

    // Writes everything logged before the call; returns when it is written.
    void flush() noexcept;

    std::uint64_t dropped_lines() const noexcept {
        return dropped_.load(std::memory_order_relaxed);
    }

  private:
    static constexpr std::size_t kShards = 8;
    struct alignas(64) Shard {
        std::mutex mutex;
        std::string buffer;
    };

    void append(std::string_view line) noexcept;
    void writer_loop();
    void drain() noexcept;
    void write_all(std::string_view data) noexcept;

    LogDestination destination_;
    LoggerOptions options_;
    std::atomic<LogLevel> minimum_;
    std::atomic<std::uint64_t> dropped_{0};
    std::array<Shard, kShards> shards_;

    std::mutex drain_mutex_;  // one drain at a time (writer thread or flush())
    std::string spare_;       // guarded by drain_mutex_

    std::mutex wake_mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by wake_mutex_
    std::atomic<bool> wake_requested_{false};
    std::thread writer_;
};

// Appends `text` to `out` as the inside of a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (so a line always parses).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace signet
