// One libpq connection (store/database.hpp): queries and prepared statements with a bound on
// every answer, a lost connection told apart from an error the server reports (SQLSTATE), and
// BEGIN, COMMIT and ROLLBACK for the pool's transactions.
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <system_error>
#include <thread>

#include "store/connection_context.hpp"
#include "store/database.hpp"

namespace signet::store {

namespace {

const char* isolation_sql(Isolation isolation) {
    switch (isolation) {
        case Isolation::read_committed:
            return "READ COMMITTED";
        case Isolation::repeatable_read:
            return "REPEATABLE READ";
        case Isolation::serializable:
            return "SERIALIZABLE";
    }
    return "READ COMMITTED";
}

using CancelPtr = handle<PGcancel, PQfreeCancel>;

// Asks the server to stop a query nobody waits for any more. PQcancel opens a connection of its
// own and blocks until the server closes it, with no deadline: against a server that stopped
// answering (SIGSTOP, a black-holed host) it would never return, so it runs on a thread of its
// own and the caller keeps its deadline. At most a few at once: a server that hangs would
// otherwise collect one stuck thread per timed-out query (its statement_timeout, set at
// connect, stops the query anyway).
void cancel_in_background(CancelPtr cancel) {
    static std::atomic<int> in_flight{0};
    constexpr int kMaxInFlight = 4;
    if (!cancel || in_flight.fetch_add(1) >= kMaxInFlight) {
        in_flight.fetch_sub(1);
        return;
    }
    try {
        std::thread([cancel = std::move(cancel)] {
            char ignored[256];
            PQcancel(cancel.get(), ignored, sizeof ignored);
            in_flight.fetch_sub(1);
        }).detach();
    } catch (const std::system_error&) {
        in_flight.fetch_sub(1);  // no thread to be had: the server's statement_timeout remains
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Connection

Connection::Connection(PgConnPtr connection,
                       std::shared_ptr<const detail::ConnectionContext> context)
    : connection_(std::move(connection)),
      context_(std::move(context)),
      query_timeout_(context_->query_timeout) {}

Connection::~Connection() = default;

bool Connection::in_transaction() const noexcept {
    return PQtransactionStatus(connection_.get()) != PQTRANS_IDLE;
}

bool Connection::healthy() const noexcept {
    return !broken_ && PQstatus(connection_.get()) == CONNECTION_OK &&
           PQtransactionStatus(connection_.get()) != PQTRANS_ACTIVE;
}

int Connection::server_version() const noexcept {
    return PQserverVersion(connection_.get());
}

bool Connection::still_alive() noexcept {
    if (!healthy())
        return false;
    pollfd fd{PQsocket(connection_.get()), POLLIN, 0};
    const int ready = poll(&fd, 1, 0);
    if (ready == 0)
        return true;  // nothing pending: the usual case
    // The server spoke while nobody asked. Pool connections do not LISTEN, so it is almost
    // always goodbye: at shutdown the server sends FATAL 57P01 and closes, and libpq would only
    // notice while running the next query, failing it. Give such a connection up; the rare
    // harmless case (a ParameterStatus after a reload) costs a reconnect.
    return false;
}

void Connection::throw_lost(std::string_view what) {
    broken_ = true;
    context_->errors.fetch_add(1, std::memory_order_relaxed);
    std::string reason = context_->clean(PQerrorMessage(connection_.get()));
    if (reason.empty())
        reason = "the connection to the server was lost";
    throw DatabaseError(Errc::unavailable,
                        "database unavailable: " + reason + " (" + std::string(what) + ")", "",
                        false);
}

void Connection::throw_for(const PGresult* result) {
    context_->errors.fetch_add(1, std::memory_order_relaxed);
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    std::string sqlstate = state != nullptr ? state : "";
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    std::string message =
        context_->clean(primary != nullptr ? primary : PQresultErrorMessage(result));
    if (message.empty())
        message = context_->clean(PQerrorMessage(connection_.get()));

    const bool lost = PQstatus(connection_.get()) != CONNECTION_OK;
    if (lost)
        broken_ = true;
    const Errc code = lost ? Errc::unavailable : errc_for_sqlstate(sqlstate);
    const bool retryable = !lost && is_retryable_sqlstate(sqlstate);
    std::string text;
    if (retryable) {
        text = "database conflict, retry: " + message;
    } else if (code == Errc::unavailable) {
        text = "database unavailable: " + message;
    } else {
        // The primary message only: DETAIL may quote the row's values.
        text = "database error: " + message;
    }
    if (!sqlstate.empty())
        text += " (SQLSTATE " + sqlstate + ")";
    throw DatabaseError(code, text, std::move(sqlstate), retryable);
}

PgResultPtr Connection::wait_for_result(std::string_view what) {
    PGconn* conn = connection_.get();
    const bool bounded = query_timeout_.count() > 0;
    const auto deadline = std::chrono::steady_clock::now() + query_timeout_;
    PgResultPtr first_error;
    PgResultPtr last;
    for (;;) {
        while (PQisBusy(conn) != 0) {
            int wait_ms = -1;
            if (bounded) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now());
                wait_ms = static_cast<int>(std::max<std::int64_t>(0, left.count()));
            }
            pollfd fd{PQsocket(conn), POLLIN, 0};
            const int ready = poll(&fd, 1, wait_ms);
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready < 0)
                throw_lost(what);
            if (ready == 0) {
                // No answer in time: ask the server to stop the query and give the connection
                // up (it may still be mid-result); the pool opens a fresh one.
                cancel_in_background(CancelPtr{PQgetCancel(conn)});
                broken_ = true;
                context_->errors.fetch_add(1, std::memory_order_relaxed);
                throw DatabaseError(Errc::unavailable,
                                    "database unavailable: no answer within " +
                                        std::to_string(query_timeout_.count()) + " ms (" +
                                        std::string(what) + ")",
                                    "", false);
            }
            if (PQconsumeInput(conn) == 0)
                throw_lost(what);
        }
        PgResultPtr result(PQgetResult(conn));
        if (!result)
            break;
        switch (PQresultStatus(result.get())) {
            case PGRES_FATAL_ERROR:
            case PGRES_BAD_RESPONSE:
            case PGRES_NONFATAL_ERROR:
                if (!first_error)
                    first_error = std::move(result);
                break;
            case PGRES_COPY_IN:
            case PGRES_COPY_OUT:
            case PGRES_COPY_BOTH:
                broken_ = true;
                throw Error(Errc::internal, "COPY is not supported through Connection::exec");
            default:
                last = std::move(result);
                break;
        }
    }
    if (first_error)
        return first_error;
    if (!last)
        throw_lost(what);
    return last;
}

Result Connection::run(const char* sql, const Statement* statement, std::span<const Param> params) {
    if (broken_) {
        throw DatabaseError(Errc::unavailable, "database unavailable: the connection was lost", "",
                            false);
    }
    if (params.size() > 65535)
        throw Error(Errc::invalid_argument, "too many query parameters");
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    values.reserve(params.size());
    lengths.reserve(params.size());
    formats.reserve(params.size());
    for (const auto& p : params) {
        // Text goes as a C string: a NUL would cut it short without a word (and PostgreSQL's
        // text cannot hold one anyway).
        if (!p.is_binary() && p.value().find('\0') != std::string::npos) {
            throw Error(Errc::invalid_argument, "a text query parameter contains a NUL character");
        }
        values.push_back(p.is_null() ? nullptr : p.value().c_str());
        lengths.push_back(static_cast<int>(p.value().size()));
        formats.push_back(p.is_binary() ? 1 : 0);
    }
    const int count = static_cast<int>(params.size());
    int sent = 0;
    std::string_view what;
    if (statement != nullptr) {
        sent = PQsendQueryPrepared(connection_.get(), std::string(statement->name).c_str(), count,
                                   values.data(), lengths.data(), formats.data(), 0);
        what = statement->name;
    } else if (params.empty()) {
        sent = PQsendQuery(connection_.get(), sql);
        what = "query";
    } else {
        sent = PQsendQueryParams(connection_.get(), sql, count, nullptr, values.data(),
                                 lengths.data(), formats.data(), 0);
        what = "query";
    }
    if (sent == 0)
        throw_lost(what);
    PgResultPtr result = wait_for_result(what);
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
        throw_for(result.get());
    }
    return Result(std::move(result));
}

Result Connection::exec(std::string_view sql, std::span<const Param> params) {
    const std::string text(sql);
    return run(text.c_str(), nullptr, params);
}

void Connection::prepare(const Statement& statement) {
    const std::string name(statement.name);
    const std::string sql(statement.sql);
    if (PQsendPrepare(connection_.get(), name.c_str(), sql.c_str(), 0, nullptr) == 0)
        throw_lost(name);
    PgResultPtr result = wait_for_result(name);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
        throw_for(result.get());
    prepared_.emplace(name, sql);
}

Result Connection::exec(const Statement& statement, std::span<const Param> params) {
    if (broken_) {
        throw DatabaseError(Errc::unavailable, "database unavailable: the connection was lost", "",
                            false);
    }
    auto it = prepared_.find(statement.name);
    if (it == prepared_.end()) {
        prepare(statement);
    } else if (it->second != statement.sql) {
        throw Error(Errc::internal,
                    "two statements share the name '" + std::string(statement.name) + "'");
    }
    try {
        return run(nullptr, &statement, params);
    } catch (const DatabaseError& e) {
        // 26000: the session lost its prepared statements (DISCARD ALL by a connection pooler).
        // Prepare again, once, unless a transaction is open (the error aborted it).
        if (e.sqlstate() != "26000" || in_transaction())
            throw;
        prepared_.erase(std::string(statement.name));
        prepare(statement);
        return run(nullptr, &statement, params);
    }
}

void Connection::begin(const TransactionOptions& options) {
    std::string sql = "BEGIN ISOLATION LEVEL ";
    sql += isolation_sql(options.isolation);
    if (options.read_only)
        sql += " READ ONLY";
    exec(sql);
}

void Connection::commit() {
    if (PQtransactionStatus(connection_.get()) == PQTRANS_INERROR) {
        // COMMIT of an aborted transaction "succeeds" as a ROLLBACK: never let that pass as done.
        throw DatabaseError(
            Errc::internal,
            "database: the transaction was aborted by an earlier error that was caught; "
            "nothing was committed",
            "25P02", false);
    }
    Result result = exec("COMMIT");
    const std::string_view tag = PQcmdStatus(const_cast<PGresult*>(result.native()));
    if (tag != "COMMIT") {
        throw DatabaseError(
            Errc::internal,
            "database: COMMIT answered '" + std::string(tag) + "'; nothing was committed", "",
            false);
    }
}

void Connection::rollback() noexcept {
    if (broken_ || PQstatus(connection_.get()) != CONNECTION_OK)
        return;
    const auto status = PQtransactionStatus(connection_.get());
    if (status != PQTRANS_INTRANS && status != PQTRANS_INERROR)
        return;
    try {
        exec("ROLLBACK");
    } catch (...) {
        broken_ = true;
    }
}

}  // namespace signet::store
