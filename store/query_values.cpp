// The values of a query (store/database.hpp): its parameters in (Param: timestamps, text arrays)
// and its results out (Result, Row, Field: integers, booleans, bytea, timestamptz, text[]), each
// read strictly, a value that does not parse being a bug in the SQL (Errc::internal).
#include <charconv>
#include <cstring>

#include "store/database.hpp"

namespace signet::store {

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

}  // namespace signet::store
