#include "common/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

#include "common/error.hpp"

namespace signet {

std::string_view to_string(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
    }
    return "unknown";
}

LogDestination LogDestination::standard_output() {
    return LogDestination(STDOUT_FILENO, false);
}

LogDestination LogDestination::standard_error() {
    return LogDestination(STDERR_FILENO, false);
}

LogDestination LogDestination::file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        throw Error(Errc::io,
                    "cannot open log file " + path.string() + ": " + std::strerror(errno));
    }
    return LogDestination(fd, true);
}

LogDestination::LogDestination(LogDestination&& other) noexcept
    : fd_(other.fd_), owned_(other.owned_) {
    other.owned_ = false;
}

LogDestination::~LogDestination() {
    if (owned_) {
        ::close(fd_);
    }
}

namespace {

void append_hex4(std::string& out, unsigned value) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\u00";
    out += kHex[(value >> 4) & 0xF];
    out += kHex[value & 0xF];
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is not valid
// (RFC 3629 §4: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0)
            low = 0xA0;
        if (lead == 0xED)
            high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0)
            low = 0x90;
        if (lead == 0xF4)
            high = 0x8F;
    } else {
        return 0;
    }
    if (i + length > text.size())
        return 0;
    if (byte(i + 1) < low || byte(i + 1) > high)
        return 0;
    for (std::size_t k = 2; k < length; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
            return 0;
    }
    return length;
}

// "2026-11-22T09:55:00.123456Z"; the part up to the seconds is cached per thread, since
// gmtime_r costs more than the rest of a log line.
void append_time(std::string& out, std::chrono::system_clock::time_point now) {
    struct SecondCache {
        std::int64_t second = -1;
        char text[64] = {};
    };
    thread_local SecondCache cache;
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
    const std::int64_t second = micros / 1'000'000;
    if (second != cache.second) {
        const std::time_t tt = static_cast<std::time_t>(second);
        std::tm tm{};
        gmtime_r(&tt, &tm);
        std::snprintf(cache.text, sizeof cache.text, "%04d-%02d-%02dT%02d:%02d:%02d",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec);
        cache.second = second;
    }
    out += cache.text;
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%06lld", static_cast<long long>(micros % 1'000'000));
    out += fraction;
    out += 'Z';
}

template <class T>
void append_number(std::string& out, T value) {
    char text[32];
    const auto result = std::to_chars(text, text + sizeof text, value);
    out.append(text, result.ptr);
}

void append_field(std::string& out, const LogField& field) {
    out += ",\"";
    append_json_escaped(out, field.key());
    out += "\":";
    switch (field.kind()) {
        case LogField::Kind::string:
            out += '"';
            append_json_escaped(out, field.text());
            out += '"';
            break;
        case LogField::Kind::signed_integer:
            append_number(out, field.signed_value());
            break;
        case LogField::Kind::unsigned_integer:
            append_number(out, field.unsigned_value());
            break;
        case LogField::Kind::real:
            // JSON has no NaN or infinity.
            if (field.real_value() != field.real_value() ||
                field.real_value() > 1.7976931348623157e308 ||
                field.real_value() < -1.7976931348623157e308) {
                out += "null";
            } else {
                append_number(out, field.real_value());
            }
            break;
        case LogField::Kind::boolean:
            out += field.unsigned_value() != 0 ? "true" : "false";
            break;
        case LogField::Kind::null:
            out += "null";
            break;
    }
}

// Threads are spread over the shards round robin, once each.
std::size_t this_thread_shard(std::size_t shards) {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t index = next.fetch_add(1, std::memory_order_relaxed);
    return index % shards;
}

// Lines reaching this size wake the writer before its interval is up.
constexpr std::size_t kWakeThreshold = 64 * 1024;

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            // Copy the run of plain characters at once.
            std::size_t end = i + 1;
            while (end < text.size()) {
                const unsigned char d = static_cast<unsigned char>(text[end]);
                if (d < 0x20 || d >= 0x80 || d == '"' || d == '\\')
                    break;
                ++end;
            }
            out.append(text.data() + i, end - i);
            i = end;
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                ++i;
                continue;
            case '\\':
                out += "\\\\";
                ++i;
                continue;
            case '\n':
                out += "\\n";
                ++i;
                continue;
            case '\r':
                out += "\\r";
                ++i;
                continue;
            case '\t':
                out += "\\t";
                ++i;
                continue;
            default:
                break;
        }
        if (c < 0x20) {
            append_hex4(out, c);
            ++i;
            continue;
        }
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            out += "\\ufffd";
            ++i;
        } else {
            out.append(text.data() + i, length);
            i += length;
        }
    }
}

Logger::Logger(LogDestination destination, LoggerOptions options)
    : destination_(std::move(destination)), options_(options), minimum_(options.minimum) {
    writer_ = std::thread([this] { writer_loop(); });
}

Logger::~Logger() {
    {
        std::lock_guard lock(wake_mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
    drain();
}

void Logger::log(LogLevel level, std::string_view message,
                 std::initializer_list<LogField> fields) noexcept {
    if (!enabled(level))
        return;
    try {
        thread_local std::string line;
        line.clear();
        line += "{\"time\":\"";
        append_time(line, std::chrono::system_clock::now());
        line += "\",\"level\":\"";
        line += to_string(level);
        line += "\",\"msg\":\"";
        append_json_escaped(line, message);
        line += '"';
        for (const LogField& field : fields) {
            append_field(line, field);
        }
        line += "}\n";
        append(line);
    } catch (...) {
        // Out of memory while formatting: the line is lost, the caller is not.
        dropped_.fetch_add(1, std::memory_order_relaxed);
    }
}

void Logger::append(std::string_view line) noexcept {
    Shard& shard = shards_[this_thread_shard(kShards)];
    bool wake = false;
    {
        std::lock_guard lock(shard.mutex);
        if (shard.buffer.size() + line.size() > options_.max_buffered_bytes) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        try {
            shard.buffer.append(line);
        } catch (...) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        wake = shard.buffer.size() >= kWakeThreshold;
    }
    if (wake && !wake_requested_.exchange(true, std::memory_order_relaxed)) {
        wake_.notify_one();
    }
}

void Logger::writer_loop() {
    std::unique_lock lock(wake_mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, options_.flush_interval, [this] {
            return stopping_ || wake_requested_.load(std::memory_order_relaxed);
        });
        wake_requested_.store(false, std::memory_order_relaxed);
        lock.unlock();
        drain();
        lock.lock();
    }
}

void Logger::drain() noexcept {
    std::lock_guard drain_lock(drain_mutex_);
    for (Shard& shard : shards_) {
        {
            std::lock_guard lock(shard.mutex);
            if (shard.buffer.empty())
                continue;
            // The shard gets the spare's capacity back, so steady state allocates nothing.
            shard.buffer.swap(spare_);
        }
        write_all(spare_);
        spare_.clear();
        if (spare_.capacity() > options_.max_buffered_bytes) {
            spare_ = std::string();  // give a burst's memory back
        }
    }
}

void Logger::write_all(std::string_view data) noexcept {
    while (!data.empty()) {
        const ssize_t written = ::write(destination_.fd(), data.data(), data.size());
        if (written < 0) {
            if (errno == EINTR)
                continue;
            // A full disk or a closed pipe: there is nowhere to report it but the count.
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        data.remove_prefix(static_cast<std::size_t>(written));
    }
}

void Logger::flush() noexcept {
    drain();
}

}  // namespace signet
