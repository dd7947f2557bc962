#pragma once

// What the files of the database pool share (internal to store/): the context every connection
// of one pool shares (connection.cpp, database.cpp), and the owner of a parsed libpq connection
// string (dsn.cpp, database.cpp).

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/handle.hpp"
#include "store/database.hpp"

namespace signet::store {

namespace detail {

// What every connection of one pool shares: what no message may show, and the counters behind
// PoolStats.
struct ConnectionContext {
    explicit ConnectionContext(const std::string& dsn) : redactor(dsn) {}
    DsnRedactor redactor;
    std::chrono::milliseconds query_timeout{0};
    mutable std::atomic<std::uint64_t> errors{0};
    mutable std::atomic<std::uint64_t> connects{0};
    mutable std::atomic<std::uint64_t> reconnects{0};
    mutable std::atomic<std::uint64_t> connect_failures{0};

    std::string clean(std::string_view message) const { return redactor.redact(message); }
};

}  // namespace detail

using ConninfoPtr = handle<PQconninfoOption, PQconninfoFree>;

}  // namespace signet::store
