// The pool of libpq connections (store/database.hpp): checkout with a deadline, a connection lost
// while idle replaced, the pause between the runs of a transaction the server aborted, health
// and stats. One connection is connection.cpp; parameters and results query_values.cpp; errors
// database_errors.cpp; DSN redaction dsn.cpp.
#include "store/database.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "store/connection_context.hpp"

namespace signet::store {

namespace detail {

struct PoolState {
    std::mutex mutex;
    std::condition_variable available;
    std::vector<std::unique_ptr<Connection>> idle;  // most recently used last
    std::size_t open = 0;
    std::size_t waiting = 0;
    std::size_t lost = 0;  // connections dropped as lost and not yet replaced
};

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Database

Database::Database(DatabaseOptions options)
    : options_(std::move(options)),
      context_(std::make_shared<detail::ConnectionContext>(options_.dsn)),
      pool_(std::make_unique<detail::PoolState>()) {
    if (options_.pool_size == 0)
        throw Error(Errc::invalid_argument, "database pool size must be at least 1");
    if (options_.statement_timeout.count() < 1 || options_.acquire_timeout.count() < 0)
        throw Error(
            Errc::invalid_argument,
            "the database's statement timeout must be at least 1 ms, its wait not negative");
    char* parse_error = nullptr;
    ConninfoPtr parsed(PQconninfoParse(options_.dsn.c_str(), &parse_error));
    if (!parsed) {
        // libpq's parse messages may quote a fragment of the DSN: name only a bad keyword.
        std::string reason = parse_error != nullptr ? parse_error : "";
        if (parse_error != nullptr)
            PQfreemem(parse_error);
        std::string message = "the database DSN is not a valid libpq connection string or URI";
        if (reason.starts_with("invalid connection option")) {
            message += ": " + context_->clean(reason);
        }
        throw Error(Errc::invalid_argument, message);
    }
    context_->query_timeout = options_.statement_timeout + kAnswerGrace;
}

Database::~Database() {
    std::vector<std::unique_ptr<Connection>> idle;
    {
        std::lock_guard lock(pool_->mutex);
        idle.swap(pool_->idle);
    }
}

std::unique_ptr<Connection> Database::connect() {
    // Our defaults first: a value the DSN (expanded from "dbname") sets wins over them, except
    // client_encoding, which must be UTF8 for the text Signet stores. TCP keepalives (ignored on
    // a Unix socket) notice a dead peer in about a minute rather than the kernel's two hours.
    const std::string timeout =
        std::to_string(std::max<std::int64_t>(options_.connect_timeout.count(), 1));
    const char* keywords[] = {"connect_timeout",  "fallback_application_name",
                              "keepalives_idle",  "keepalives_interval",
                              "keepalives_count", "dbname",
                              "client_encoding",  nullptr};
    const char* values[] = {timeout.c_str(),
                            options_.application_name.c_str(),
                            "30",
                            "10",
                            "3",
                            options_.dsn.c_str(),
                            "UTF8",
                            nullptr};
    PgConnPtr conn(PQconnectdbParams(keywords, values, 1));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
        context_->connect_failures.fetch_add(1, std::memory_order_relaxed);
        context_->errors.fetch_add(1, std::memory_order_relaxed);
        std::string reason = conn ? context_->clean(PQerrorMessage(conn.get())) : "out of memory";
        throw DatabaseError(Errc::unavailable, "database unavailable: " + reason, "", false);
    }
    // NOTICEs (e.g. "relation already exists, skipping") are not errors and must not reach
    // stderr through libpq's default processor.
    PQsetNoticeProcessor(
        conn.get(), [](void*, const char*) {}, nullptr);
    // Timestamps come back in the form Field::time() reads whatever the server's defaults; no
    // statement runs longer than the policy allows, whoever holds the lock it waits for.
    const std::string session =
        "SET datestyle = 'ISO'; SET timezone = 'UTC'; SET statement_timeout = " +
        std::to_string(options_.statement_timeout.count());
    PgResultPtr settings(PQexec(conn.get(), session.c_str()));
    if (PQresultStatus(settings.get()) != PGRES_COMMAND_OK) {
        context_->connect_failures.fetch_add(1, std::memory_order_relaxed);
        context_->errors.fetch_add(1, std::memory_order_relaxed);
        throw DatabaseError(Errc::unavailable,
                            "database unavailable: " + context_->clean(PQerrorMessage(conn.get())),
                            "", false);
    }
    context_->connects.fetch_add(1, std::memory_order_relaxed);
    return std::make_unique<Connection>(std::move(conn), context_);
}

Database::Lease Database::acquire(std::chrono::milliseconds timeout) {
    auto& pool = *pool_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(pool.mutex);
    for (;;) {
        if (pool.idle.empty() && pool.open >= options_.pool_size) {
            ++pool.waiting;
            const bool got = pool.available.wait_until(lock, deadline, [&] {
                return !pool.idle.empty() || pool.open < options_.pool_size;
            });
            --pool.waiting;
            if (!got) {
                context_->errors.fetch_add(1, std::memory_order_relaxed);
                throw DatabaseError(
                    Errc::unavailable,
                    "database unavailable: all " + std::to_string(options_.pool_size) +
                        " connections stayed busy for " + std::to_string(timeout.count()) + " ms",
                    "", false);
            }
        }
        if (!pool.idle.empty()) {
            std::unique_ptr<Connection> connection = std::move(pool.idle.back());
            pool.idle.pop_back();
            lock.unlock();
            if (connection->still_alive())
                return Lease(this, std::move(connection));
            // Lost while idle (the server restarted): drop it and open a new one below.
            connection.reset();
            lock.lock();
            --pool.open;
            ++pool.lost;
            continue;
        }
        ++pool.open;
        lock.unlock();
        try {
            auto connection = connect();
            lock.lock();
            if (pool.lost > 0) {
                --pool.lost;
                context_->reconnects.fetch_add(1, std::memory_order_relaxed);
            }
            lock.unlock();
            return Lease(this, std::move(connection));
        } catch (...) {
            lock.lock();
            --pool.open;
            lock.unlock();
            pool.available.notify_one();
            throw;
        }
    }
}

void Database::release(std::unique_ptr<Connection> connection) noexcept {
    auto& pool = *pool_;
    bool keep = connection && connection->healthy();
    if (keep)
        connection->set_query_timeout(context_->query_timeout);  // a caller may have changed it
    if (keep && connection->in_transaction()) {
        // Left inside a transaction (an exception out of with_connection): never hand that on.
        connection->rollback();
        keep = connection->healthy() && !connection->in_transaction();
    }
    if (!keep)
        connection.reset();  // closes outside the lock
    {
        std::lock_guard lock(pool.mutex);
        if (keep) {
            pool.idle.push_back(std::move(connection));
        } else {
            --pool.open;
            ++pool.lost;
        }
    }
    pool.available.notify_one();
}

Database::Lease::~Lease() {
    if (database_ != nullptr)
        database_->release(std::move(connection_));
}

void Database::pause_before_retry(int attempt) {
    // Exponential backoff with full jitter, so transactions that collided do not collide again.
    thread_local std::minstd_rand random{std::random_device{}()};
    const int ceiling_ms = std::min(200, 5 << std::min(attempt, 6));
    std::uniform_int_distribution<int> pause(1, ceiling_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(pause(random)));
}

DatabaseHealth Database::health(std::chrono::milliseconds timeout) noexcept {
    DatabaseHealth health;
    const auto start = std::chrono::steady_clock::now();
    try {
        Lease lease = acquire(timeout);
        const auto saved = lease->query_timeout();
        lease->set_query_timeout(timeout);
        lease->exec("SELECT 1");
        lease->set_query_timeout(saved);
        const int version = lease->server_version();
        health.ok = true;
        health.detail =
            "PostgreSQL " + std::to_string(version / 10000) + "." + std::to_string(version % 10000);
    } catch (const std::exception& e) {
        health.ok = false;
        health.detail = e.what();
    }
    health.latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    return health;
}

PoolStats Database::stats() const {
    PoolStats stats;
    {
        std::lock_guard lock(pool_->mutex);
        stats.size = options_.pool_size;
        stats.open = pool_->open;
        stats.idle = pool_->idle.size();
        stats.in_use = pool_->open - pool_->idle.size();
        stats.waiting = pool_->waiting;
    }
    stats.connects = context_->connects.load(std::memory_order_relaxed);
    stats.reconnects = context_->reconnects.load(std::memory_order_relaxed);
    stats.connect_failures = context_->connect_failures.load(std::memory_order_relaxed);
    stats.errors = context_->errors.load(std::memory_order_relaxed);
    return stats;
}

}  // namespace signet::store
