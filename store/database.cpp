#include "store/database.hpp"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

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

struct PoolState {
    std::mutex mutex;
    std::condition_variable available;
    std::vector<std::unique_ptr<Connection>> idle;  // most recently used last
    std::size_t open = 0;
    std::size_t waiting = 0;
    std::size_t lost = 0;  // connections dropped as lost and not yet replaced
};

}  // namespace detail

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

// The password as written in a postgresql:// URI (percent-encoded), which PQconninfoParse
// returns decoded: in the userinfo (postgresql://user:secret@host) and in the query
// (?password=secret).
std::vector<std::string> uri_passwords(std::string_view dsn) {
    std::vector<std::string> found;
    for (std::string_view scheme : {"postgresql://", "postgres://"}) {
        if (!dsn.starts_with(scheme))
            continue;
        const std::string_view rest = dsn.substr(scheme.size());
        const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
        if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
            const std::string_view userinfo = authority.substr(0, at);
            if (const auto colon = userinfo.find(':'); colon != std::string_view::npos)
                found.emplace_back(userinfo.substr(colon + 1));
        }
        const auto query = rest.find('?');
        if (query == std::string_view::npos)
            break;
        std::string_view parameters = rest.substr(query + 1);
        while (!parameters.empty()) {
            const auto amp = parameters.find('&');
            const std::string_view parameter = parameters.substr(0, amp);
            if (parameter.starts_with("password="))
                found.emplace_back(parameter.substr(9));
            parameters = amp == std::string_view::npos ? "" : parameters.substr(amp + 1);
        }
        break;
    }
    return found;
}

using ConninfoPtr = handle<PQconninfoOption, PQconninfoFree>;
using CancelPtr = handle<PGcancel, PQfreeCancel>;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Redaction

DsnRedactor::DsnRedactor(const std::string& dsn) {
    char* error = nullptr;
    ConninfoPtr parsed(PQconninfoParse(dsn.c_str(), &error));
    if (error != nullptr)
        PQfreemem(error);
    for (const PQconninfoOption* option = parsed.get(); option && option->keyword != nullptr;
         ++option) {
        if (option->val != nullptr && std::strcmp(option->keyword, "password") == 0)
            secrets_.emplace_back(option->val);
    }
    for (auto& raw : uri_passwords(dsn))
        secrets_.push_back(std::move(raw));
    secrets_.push_back(dsn);
    std::erase(secrets_, std::string());
    // Longest first: the DSN goes whole before its password is cut out of it.
    std::ranges::sort(
        secrets_, [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string DsnRedactor::redact(std::string_view message) const {
    std::string line;
    line.reserve(message.size());
    for (char c : message) {
        const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
        if (space) {
            if (!line.empty() && line.back() != ' ')
                line += ' ';
        } else {
            line += c;
        }
    }
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    for (const auto& secret : secrets_) {
        for (auto at = line.find(secret); at != std::string::npos; at = line.find(secret, at)) {
            line.replace(at, secret.size(), "***");
            at += 3;
        }
    }
    return line;
}

// ---------------------------------------------------------------------------------------------
// Errors

DatabaseError::DatabaseError(Errc code, const std::string& message, std::string sqlstate,
                             bool retryable)
    : Error(code, message), sqlstate_(std::move(sqlstate)), retryable_(retryable) {}

bool is_retryable_sqlstate(std::string_view sqlstate) noexcept {
    // 40001 serialization_failure, 40P01 deadlock_detected: the server has rolled the
    // transaction back; nothing of it happened.
    return sqlstate == "40001" || sqlstate == "40P01";
}

Errc errc_for_sqlstate(std::string_view s) noexcept {
    if (s.size() != 5)
        return Errc::internal;
    if (s == "23505" || s == "23P01")
        return Errc::already_exists;  // unique, exclusion
    if (s == "23503" || s == "23001")
        return Errc::failed_precondition;  // foreign key, restrict
    if (s.starts_with("23") || s.starts_with("22"))
        return Errc::invalid_argument;
    if (is_retryable_sqlstate(s))
        return Errc::unavailable;
    // 08 connection exceptions, 53 insufficient resources (too many connections, disk full),
    // 57P01-05 shutdown / starting up, 57014 cancelled (statement_timeout), 55P03 lock timeout.
    if (s.starts_with("08") || s.starts_with("53") || s.starts_with("57P") || s == "57014" ||
        s == "55P03") {
        return Errc::unavailable;
    }
    if (s == "42501")
        return Errc::permission_denied;
    if (s == "25006")
        return Errc::failed_precondition;  // read-only transaction: a replica
    return Errc::internal;
}

bool dsn_has_password(const std::string& dsn) {
    char* error = nullptr;
    ConninfoPtr parsed(PQconninfoParse(dsn.c_str(), &error));
    if (error != nullptr)
        PQfreemem(error);
    if (!parsed)
        return false;
    for (const PQconninfoOption* option = parsed.get(); option->keyword != nullptr; ++option) {
        if (std::strcmp(option->keyword, "password") == 0 && option->val != nullptr &&
            *option->val != '\0') {
            return true;
        }
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// Parameters

Param::Param(Clock::time_point time) : value_(format_utc(time)) {}

namespace {

// Array input syntax (PostgreSQL manual §8.15.6): double-quoted elements, backslash escapes
// inside the quotes; an unquoted NULL is a NULL element.
void append_array_element(std::string& literal, const std::string* element) {
    if (literal.size() > 1)
        literal += ',';
    if (element == nullptr) {
        literal += "NULL";
        return;
    }
    literal += '"';
    for (char c : *element) {
        if (c == '"' || c == '\\')
            literal += '\\';
        literal += c;
    }
    literal += '"';
}

}  // namespace

Param Param::text_array(std::span<const std::string> elements) {
    std::string literal = "{";
    for (const auto& element : elements)
        append_array_element(literal, &element);
    literal += '}';
    return Param(std::move(literal));
}

Param Param::text_array(std::span<const std::optional<std::string>> elements) {
    std::string literal = "{";
    for (const auto& element : elements)
        append_array_element(literal, element ? &*element : nullptr);
    literal += '}';
    return Param(std::move(literal));
}

// ---------------------------------------------------------------------------------------------
// Results

std::size_t Result::size() const noexcept {
    return static_cast<std::size_t>(PQntuples(result_.get()));
}

int Result::columns() const noexcept {
    return PQnfields(result_.get());
}

int Result::column(std::string_view name) const {
    const int index = PQfnumber(result_.get(), std::string(name).c_str());
    if (index < 0)
        throw Error(Errc::internal, "database result has no column '" + std::string(name) + "'");
    return index;
}

std::string_view Result::column_name(int index) const {
    const char* name = PQfname(result_.get(), index);
    return name != nullptr ? name : "";
}

std::uint64_t Result::affected_rows() const {
    const char* text = PQcmdTuples(const_cast<PGresult*>(result_.get()));
    std::uint64_t count = 0;
    if (text != nullptr)
        std::from_chars(text, text + std::strlen(text), count);
    return count;
}

Row Result::operator[](std::size_t row) const {
    if (row >= size())
        throw Error(Errc::internal, "database result row " + std::to_string(row) + " out of range");
    return Row(*this, static_cast<int>(row));
}

Row Result::one() const {
    if (size() != 1) {
        throw Error(Errc::internal,
                    "database result has " + std::to_string(size()) + " rows, expected one");
    }
    return Row(*this, 0);
}

Field Row::operator[](std::string_view column) const {
    return Field(*result_, row_, result_->column(column));
}

Field Row::operator[](int column) const {
    if (column < 0 || column >= result_->columns()) {
        throw Error(Errc::internal,
                    "database result column " + std::to_string(column) + " out of range");
    }
    return Field(*result_, row_, column);
}

void Field::fail(std::string_view what) const {
    throw Error(Errc::internal, "database result column '" +
                                    std::string(result_->column_name(column_)) + "' (row " +
                                    std::to_string(row_) + "): " + std::string(what));
}

bool Field::is_null() const {
    return PQgetisnull(result_->native(), row_, column_) == 1;
}

std::string_view Field::text() const {
    if (is_null())
        fail("is NULL");
    return {PQgetvalue(result_->native(), row_, column_),
            static_cast<std::size_t>(PQgetlength(result_->native(), row_, column_))};
}

std::int64_t Field::int64() const {
    const auto t = text();
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (ec != std::errc() || end != t.data() + t.size())
        fail("is not an integer");
    return value;
}

bool Field::boolean() const {
    const auto t = text();
    if (t == "t")
        return true;
    if (t == "f")
        return false;
    fail("is not a boolean");
}

Bytes Field::bytes() const {
    const auto t = text();
    // bytea_output = hex (the default since PostgreSQL 9.0): "\x" then two hex digits a byte.
    if (t.starts_with("\\x")) {
        try {
            return from_hex(t.substr(2));
        } catch (const Error&) {
            fail("is not bytea hex output");
        }
    }
    // bytea_output = escape, from a server configured so.
    std::size_t size = 0;
    const std::string copy(t);
    unsigned char* raw =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(copy.c_str()), &size);
    if (raw == nullptr)
        fail("is not bytea output");
    Bytes out(raw, raw + size);
    PQfreemem(raw);
    return out;
}

Clock::time_point Field::time() const {
    // DateStyle ISO: "2026-11-22 09:55:00.123456+00" (the offset may carry :MM and :SS).
    const auto t = text();
    std::size_t at = 0;
    auto number = [&](std::size_t digits) -> int {
        if (at + digits > t.size())
            fail("is not an ISO timestamp");
        int value = 0;
        const auto [end, ec] = std::from_chars(t.data() + at, t.data() + at + digits, value);
        if (ec != std::errc() || end != t.data() + at + digits)
            fail("is not an ISO timestamp");
        at += digits;
        return value;
    };
    auto expect = [&](std::string_view chars) {
        if (at >= t.size() || chars.find(t[at]) == std::string_view::npos)
            fail("is not an ISO timestamp");
        ++at;
    };
    const int year = number(4);
    expect("-");
    const int month = number(2);
    expect("-");
    const int day = number(2);
    expect(" T");
    const int hour = number(2);
    expect(":");
    const int minute = number(2);
    expect(":");
    const int second = number(2);
    std::int64_t micros = 0;
    if (at < t.size() && t[at] == '.') {
        ++at;
        int digits = 0;
        while (at < t.size() && t[at] >= '0' && t[at] <= '9') {
            if (digits < 6)
                micros = micros * 10 + (t[at] - '0');
            ++digits;
            ++at;
        }
        for (; digits < 6; ++digits)
            micros *= 10;
    }
    int offset_seconds = 0;
    if (at < t.size() && (t[at] == '+' || t[at] == '-')) {
        const int sign = t[at] == '-' ? -1 : 1;
        ++at;
        offset_seconds = number(2) * 3600;
        if (at < t.size() && t[at] == ':') {
            ++at;
            offset_seconds += number(2) * 60;
        }
        if (at < t.size() && t[at] == ':') {
            ++at;
            offset_seconds += number(2);
        }
        offset_seconds *= sign;
    }
    if (at < t.size() && t[at] == 'Z')
        ++at;
    if (at != t.size())
        fail("is not an ISO timestamp");
    const std::chrono::year_month_day date{std::chrono::year(year),
                                           std::chrono::month(static_cast<unsigned>(month)),
                                           std::chrono::day(static_cast<unsigned>(day))};
    if (!date.ok())
        fail("is not a valid date");
    const auto local = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                       std::chrono::minutes(minute) + std::chrono::seconds(second) +
                       std::chrono::microseconds(micros);
    return Clock::time_point(std::chrono::duration_cast<Clock::time_point::duration>(
        (local - std::chrono::seconds(offset_seconds)).time_since_epoch()));
}

std::vector<std::string> Field::text_array() const {
    // Array output syntax: {a,"b c",""}; elements are double-quoted when empty or holding
    // special characters, with backslash escapes inside the quotes.
    const auto t = text();
    if (t.size() < 2 || t.front() != '{' || t.back() != '}')
        fail("is not a one-dimensional array");
    std::vector<std::string> elements;
    std::size_t at = 1;
    const std::size_t end = t.size() - 1;
    if (at == end)
        return elements;
    for (;;) {
        std::string element;
        if (t[at] == '"') {
            ++at;
            while (at < end && t[at] != '"') {
                if (t[at] == '\\')
                    ++at;
                if (at >= end)
                    fail("has an unterminated array element");
                element += t[at++];
            }
            if (at >= end)
                fail("has an unterminated array element");
            ++at;  // the closing quote
        } else {
            const auto stop = t.find(',', at);
            const auto stop_at = stop == std::string_view::npos || stop > end ? end : stop;
            element = std::string(t.substr(at, stop_at - at));
            if (element == "NULL")
                fail("has a NULL array element");
            if (element.find('{') != std::string::npos)
                fail("is not a one-dimensional array");
            at = stop_at;
        }
        elements.push_back(std::move(element));
        if (at == end)
            break;
        if (t[at] != ',')
            fail("is not a one-dimensional array");
        ++at;
    }
    return elements;
}

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
                if (CancelPtr cancel{PQgetCancel(conn)}) {
                    char ignored[256];
                    PQcancel(cancel.get(), ignored, sizeof ignored);
                }
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
