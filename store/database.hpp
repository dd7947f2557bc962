#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"

namespace signet::store {

using PgConnPtr = handle<PGconn, PQfinish>;
using PgResultPtr = handle<PGresult, PQclear>;

// A failed database call: a signet::Error whose code the SQLSTATE decides (see
// errc_for_sqlstate), keeping the SQLSTATE for callers that need finer distinctions.
class DatabaseError : public Error {
  public:
    DatabaseError(Errc code, const std::string& message, std::string sqlstate, bool retryable);

    // Five characters ("23505"), or empty when the failure was not the server's (a lost
    // connection, a timeout).
    const std::string& sqlstate() const noexcept { return sqlstate_; }
    // A serialization failure (40001) or a deadlock (40P01): the server rolled the transaction
    // back and running the whole transaction again may succeed. Code Errc::unavailable.
    bool retryable() const noexcept { return retryable_; }

  private:
    std::string sqlstate_;
    bool retryable_;
};

// 23505 unique_violation -> already_exists; 23503 foreign key, 23001 restrict ->
// failed_precondition; other 23xxx (not null, check) and 22xxx data exceptions -> invalid_argument;
// 40001, 40P01, 55P03, 57014 -> unavailable (retry later); 08xxx, 53xxx, 57P01-57P05 ->
// unavailable; 42501 -> permission_denied; 25006 read-only transaction -> failed_precondition; the
// rest -> internal.
Errc errc_for_sqlstate(std::string_view sqlstate) noexcept;
// What no message may show of a DSN: its password as libpq reads it, as written in a URI
// (percent-encoded, in the userinfo or the query), and the DSN itself. libpq's own messages do
// not quote a password, but the server's may quote a value the password equals (a database
// name), and every message goes to logs and HTTP problem details.
class DsnRedactor {
  public:
    // Never throws; a DSN libpq cannot parse is still kept out whole.
    explicit DsnRedactor(const std::string& dsn);
    // The message on one line (each run of whitespace one space) with every secret "***".
    std::string redact(std::string_view message) const;

  private:
    std::vector<std::string> secrets_;  // longest first
};

// Whether a libpq connection string or URI carries a password (the CLI refuses those in argv).
// False for a string libpq cannot parse.
bool dsn_has_password(const std::string& dsn);
bool is_retryable_sqlstate(std::string_view sqlstate) noexcept;

// Lock keys for pg_advisory_lock, one place for all of them so two features never share one.
namespace advisory_lock {
inline constexpr std::int64_t kMigrations = 0x5349474e45540001;   // "SIGNET" 0001
inline constexpr std::int64_t kAuditAppend = 0x5349474e45540002;  // "SIGNET" 0002
// One node at a time renews the OCSP responder certificates (ca/responder_renewal.hpp).
inline constexpr std::int64_t kOcspResponderRenewal = 0x5349474e45540003;  // "SIGNET" 0003
// Writes of pre-signed OCSP responses, one at a time (store/ocsp_responses.cpp).
inline constexpr std::int64_t kOcspResponseWrites = 0x5349474e45540004;  // "SIGNET" 0004
// One extender of the audit log's stored subtree hashes at a time (audit/tree_store.cpp).
inline constexpr std::int64_t kAuditTree = 0x5349474e45540005;  // "SIGNET" 0005
// One checkpoint maker at a time across the nodes (audit/checkpoints.cpp).
inline constexpr std::int64_t kAuditCheckpoint = 0x5349474e45540006;  // "SIGNET" 0006
}  // namespace advisory_lock

// One query parameter. Text parameters go in PostgreSQL's text format; bytes go in binary
// format (the server's bytea receive function takes them as they are, no escaping), so a
// parameter holding Bytes must be a bytea in the statement.
class Param {
  public:
    Param(std::nullopt_t) : null_(true) {}
    Param(std::string_view text) : value_(text) {}
    Param(const char* text) : value_(text) {}
    Param(const std::string& text) : value_(text) {}
    Param(std::string&& text) : value_(std::move(text)) {}
    Param(ByteView bytes)
        : value_(reinterpret_cast<const char*>(bytes.data()), bytes.size()), binary_(true) {}
    Param(const Bytes& bytes) : Param(ByteView(bytes)) {}
    template <std::size_t N>
    Param(const std::array<std::uint8_t, N>& bytes) : Param(ByteView(bytes)) {}
    Param(bool value) : value_(value ? "true" : "false") {}
    template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>)
        Param(T value)
        : value_(std::to_string(value)) {}
    // A timestamptz as RFC 3339 UTC with microseconds (PostgreSQL's own resolution).
    Param(Clock::time_point time);
    template <class T>
    Param(const std::optional<T>& value) : Param(std::nullopt) {
        if (value)
            *this = Param(*value);
    }

    // A one-dimensional text[] (each element quoted, so commas, quotes and braces are safe).
    static Param text_array(std::span<const std::string> elements);
    // The same with NULL elements where an element is absent.
    static Param text_array(std::span<const std::optional<std::string>> elements);

    bool is_null() const noexcept { return null_; }
    bool is_binary() const noexcept { return binary_; }
    const std::string& value() const noexcept { return value_; }

  private:
    std::string value_;
    bool null_ = false;
    bool binary_ = false;
};

// A prepared statement: prepared once per connection, on first use, under its name. Declare
// them as constants next to the code that runs them, e.g.
//   constexpr Statement kFindClient{"api_clients.find_by_name", "SELECT ... WHERE name = $1"};
struct Statement {
    std::string_view name;
    std::string_view sql;
};

class Result;

// One value of a result row. Results come in text format; the getters convert and throw
// Errc::internal when the value is NULL or does not parse as asked (a bug in the SQL).
class Field {
  public:
    bool is_null() const;
    std::string_view text() const;
    std::int64_t int64() const;
    bool boolean() const;
    Bytes bytes() const;                          // bytea, either output format
    Clock::time_point time() const;               // timestamptz in ISO DateStyle
    std::vector<std::string> text_array() const;  // one-dimensional, no NULL elements

    // as<T>() for std::string, std::string_view, std::int64_t, int, bool, Bytes,
    // Clock::time_point, std::vector<std::string>; optional<T>() gives nullopt for NULL.
    template <class T>
    T as() const;
    template <class T>
    std::optional<T> optional() const {
        if (is_null())
            return std::nullopt;
        return as<T>();
    }

  private:
    friend class Row;
    Field(const Result& result, int row, int column)
        : result_(&result), row_(row), column_(column) {}
    [[noreturn]] void fail(std::string_view what) const;
    const Result* result_;
    int row_;
    int column_;
};

class Row {
  public:
    Field operator[](std::string_view column) const;  // Errc::internal if there is no such column
    Field operator[](int column) const;

  private:
    friend class Result;
    Row(const Result& result, int row) : result_(&result), row_(row) {}
    const Result* result_;
    int row_;
};

// The rows of one query. Rows and fields refer to it: keep it alive while using them.
class Result {
  public:
    explicit Result(PgResultPtr result) : result_(std::move(result)) {}

    std::size_t size() const noexcept;  // rows
    bool empty() const noexcept { return size() == 0; }
    int columns() const noexcept;
    int column(std::string_view name) const;  // index, Errc::internal if absent
    std::string_view column_name(int index) const;
    // Rows an INSERT/UPDATE/DELETE touched.
    std::uint64_t affected_rows() const;
    Row operator[](std::size_t row) const;
    // The only row; Errc::internal when there are none or several.
    Row one() const;
    const PGresult* native() const noexcept { return result_.get(); }

  private:
    PgResultPtr result_;
};

template <class T>
T Field::as() const {
    if constexpr (std::is_same_v<T, std::string>) {
        return std::string(text());
    } else if constexpr (std::is_same_v<T, std::string_view>) {
        return text();
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
        return int64();
    } else if constexpr (std::is_same_v<T, int>) {
        const std::int64_t value = int64();
        if (value < INT32_MIN || value > INT32_MAX)
            fail("does not fit an int");
        return static_cast<int>(value);
    } else if constexpr (std::is_same_v<T, bool>) {
        return boolean();
    } else if constexpr (std::is_same_v<T, Bytes>) {
        return bytes();
    } else if constexpr (std::is_same_v<T, Clock::time_point>) {
        return time();
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        return text_array();
    } else {
        static_assert(sizeof(T) == 0, "Field::as<T>: no conversion for this type");
    }
}

enum class Isolation { read_committed, repeatable_read, serializable };

struct TransactionOptions {
    Isolation isolation = Isolation::read_committed;
    bool read_only = false;
    // How often the whole transaction runs when the server aborts it with a serialization
    // failure or a deadlock (DatabaseError::retryable). 1 = never again. The function then runs
    // several times: keep every side effect of it inside the transaction.
    int max_attempts = 1;

    static TransactionOptions serializable(int attempts = 5) {
        return {Isolation::serializable, false, attempts};
    }
};

namespace detail {
struct ConnectionContext;
struct PoolState;
}  // namespace detail

// One open connection, used by one thread at a time (Database hands it out). Errors are
// DatabaseError; a connection that is lost or that stops answering within the query timeout is
// Errc::unavailable ("database unavailable: ...") and is replaced by the pool.
class Connection {
  public:
    Connection(PgConnPtr connection, std::shared_ptr<const detail::ConnectionContext> context);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Without parameters the simple protocol runs, so `sql` may hold several statements
    // (migrations do); with parameters it is one statement and $1, $2... refer to them.
    Result exec(std::string_view sql, std::span<const Param> params = {});
    Result exec(std::string_view sql, std::initializer_list<Param> params) {
        return exec(sql, std::span<const Param>(params.begin(), params.size()));
    }
    // Prepares the statement on this connection the first time, then executes it by name.
    Result exec(const Statement& statement, std::span<const Param> params = {});
    Result exec(const Statement& statement, std::initializer_list<Param> params) {
        return exec(statement, std::span<const Param>(params.begin(), params.size()));
    }

    bool in_transaction() const noexcept;
    // The connection is usable (not lost, not left waiting for an answer).
    bool healthy() const noexcept;
    // For the pool, before handing out an idle connection: false when it is broken or when the
    // server sent something while it was idle (its goodbye when it shut down, an EOF). Cheap:
    // one poll(2) with no wait.
    bool still_alive() noexcept;
    int server_version() const noexcept;
    // The client-side bound on each query of this connection (DatabaseOptions::
    // statement_timeout + kAnswerGrace to begin with; 0 = none). The server's statement_timeout
    // is the connection's own setting (SET LOCAL statement_timeout changes it for a transaction).
    void set_query_timeout(std::chrono::milliseconds timeout) noexcept { query_timeout_ = timeout; }
    std::chrono::milliseconds query_timeout() const noexcept { return query_timeout_; }

    // For the pool and transaction(): BEGIN with the options, COMMIT (refusing to commit a
    // transaction an earlier, caught error aborted), ROLLBACK that never throws.
    void begin(const TransactionOptions& options);
    void commit();
    void rollback() noexcept;

    PGconn* native() noexcept { return connection_.get(); }

  private:
    Result run(const char* sql, const Statement* statement, std::span<const Param> params);
    PgResultPtr wait_for_result(std::string_view what);
    void prepare(const Statement& statement);
    [[noreturn]] void throw_lost(std::string_view what);
    [[noreturn]] void throw_for(const PGresult* result);

    PgConnPtr connection_;
    std::shared_ptr<const detail::ConnectionContext> context_;
    std::chrono::milliseconds query_timeout_;
    std::map<std::string, std::string, std::less<>> prepared_;  // name -> SQL
    bool broken_ = false;
};

// How much longer than the statement timeout the client waits for an answer: the server's own
// cancellation (a clean 57014, the connection kept) comes first whenever the server can answer.
inline constexpr std::chrono::milliseconds kAnswerGrace{1000};

struct DatabaseOptions {
    // A libpq connection string or URI ("host=/srv/run dbname=signet", "postgresql://..."). It
    // may name a password; no message, log or metric ever shows it (prefer ~/.pgpass or
    // PGPASSFILE all the same).
    std::string dsn{};
    std::size_t pool_size = 8;
    // libpq's connect_timeout, unless the DSN sets its own (libpq's minimum is 2 s).
    std::chrono::seconds connect_timeout{5};
    // How long a caller waits for a free connection before Errc::unavailable (database.wait_ms;
    // the group commits built on this database wait as long for their batch's commit).
    std::chrono::milliseconds acquire_timeout{5000};
    // The bound on one statement (database.statement_timeout_ms), waits for locks included, in
    // two places. The server's own statement_timeout, set on every connection: past it the
    // server cancels the statement (SQLSTATE 57014) and the caller gets Errc::unavailable, the
    // connection staying usable. And the client's, kAnswerGrace later, for a server that cannot
    // even cancel (stopped, a network partition): the query is cancelled, the connection
    // replaced and the caller gets Errc::unavailable. At least 1 ms. migrate() lifts both for
    // its own transaction.
    std::chrono::milliseconds statement_timeout{30000};
    std::string application_name = "signet";
};

// For /metrics.
struct PoolStats {
    std::size_t size = 0;  // the most connections the pool opens
    std::size_t open = 0;  // open now (in use + idle)
    std::size_t in_use = 0;
    std::size_t idle = 0;
    std::size_t waiting = 0;       // callers waiting for a connection
    std::uint64_t connects = 0;    // connections opened, ever
    std::uint64_t reconnects = 0;  // of those, ones that replaced a lost connection
    std::uint64_t connect_failures = 0;
    std::uint64_t errors = 0;  // queries that failed, whatever the reason
};

// For /healthz.
struct DatabaseHealth {
    bool ok = false;
    std::chrono::microseconds latency{0};
    std::string detail;  // why not ok, or the server version
};

// A pool of libpq connections to one database. Thread-safe. Connections open lazily, up to
// pool_size; a connection found lost (at checkout, or when a call fails) is dropped, the caller
// gets Errc::unavailable, and the next checkout opens a new one — so when the server comes back
// the pool recovers by itself.
class Database {
  public:
    explicit Database(DatabaseOptions options);
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    // Every Lease must be gone by then.
    ~Database();

    // A checked-out connection, back to the pool when the lease ends (dropped if it is broken
    // or was left inside a transaction, which is rolled back).
    class Lease {
      public:
        Lease(Lease&& other) noexcept
            : database_(std::exchange(other.database_, nullptr)),
              connection_(std::move(other.connection_)) {}
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        Connection& operator*() const noexcept { return *connection_; }
        Connection* operator->() const noexcept { return connection_.get(); }

      private:
        friend class Database;
        Lease(Database* database, std::unique_ptr<Connection> connection)
            : database_(database), connection_(std::move(connection)) {}
        Database* database_;
        std::unique_ptr<Connection> connection_;
    };

    // Errc::unavailable when the server cannot be reached or every connection stays busy for
    // acquire_timeout.
    Lease acquire() { return acquire(options_.acquire_timeout); }
    Lease acquire(std::chrono::milliseconds timeout);

    template <class F>
    decltype(auto) with_connection(F&& fn) {
        Lease lease = acquire();
        return std::invoke(std::forward<F>(fn), *lease);
    }

    // BEGIN; fn(connection); COMMIT — ROLLBACK when fn (or COMMIT) throws, and the exception
    // goes on. Serialization failures and deadlocks run fn again, up to options.max_attempts.
    template <class F>
    auto transaction(F&& fn, TransactionOptions options = {})
        -> std::invoke_result_t<F&, Connection&> {
        using R = std::invoke_result_t<F&, Connection&>;
        for (int attempt = 1;; ++attempt) {
            try {
                Lease lease = acquire();
                Connection& connection = *lease;
                connection.begin(options);
                try {
                    if constexpr (std::is_void_v<R>) {
                        fn(connection);
                        connection.commit();
                        return;
                    } else {
                        R result = fn(connection);
                        connection.commit();
                        return result;
                    }
                } catch (...) {
                    connection.rollback();
                    throw;
                }
            } catch (const DatabaseError& e) {
                if (!e.retryable() || attempt >= options.max_attempts)
                    throw;
                pause_before_retry(attempt);
            }
        }
    }

    // SELECT 1 on a pooled connection, bounded by `timeout` (plus connect time when the pool
    // has to open a connection first). Never throws.
    DatabaseHealth health(
        std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) noexcept;
    PoolStats stats() const;
    const DatabaseOptions& options() const noexcept { return options_; }

  private:
    void release(std::unique_ptr<Connection> connection) noexcept;
    std::unique_ptr<Connection> connect();
    static void pause_before_retry(int attempt);

    DatabaseOptions options_;
    std::shared_ptr<detail::ConnectionContext> context_;
    std::unique_ptr<detail::PoolState> pool_;
};

}  // namespace signet::store
