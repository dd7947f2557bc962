#include "api/contract_search.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

#include "api/query.hpp"
#include "common/bytes.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::api {

namespace {

constexpr std::size_t kMaxMetadataTerms = 10;
constexpr std::size_t kMaxValueCharacters = 200;
constexpr std::array<std::string_view, 6> kStates{"draft",     "sent",      "partially_signed",
                                                  "completed", "cancelled", "expired"};

Error bad(std::string_view name, std::string_view why) {
    return Error(Errc::invalid_argument,
                 "query parameter " + quote_input(name) + ": " + std::string(why));
}

// One percent-decoding (RFC 3986 §2.1), '+' as a space (application/x-www-form-urlencoded), and
// the result UTF-8 of at most 200 characters with no control character (C0, DEL).
std::string decode_component(std::string_view text, std::string_view name) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] != '%') {
            out += text[i];
        } else {
            const int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
            const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
            if (high < 0 || low < 0)
                throw bad(name, "a '%' must be followed by two hex digits");
            out += static_cast<char>(high * 16 + low);
            i += 2;
        }
    }
    const auto length = utf8_length(out);
    if (!length)
        throw bad(name, "not UTF-8");
    if (*length > kMaxValueCharacters)
        throw bad(name, "longer than 200 characters");
    if (std::ranges::any_of(
            out, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        throw bad(name, "holds a control character");
    return out;
}

std::string base64url(std::string_view text) {
    std::string out = to_base64(as_bytes(text));
    std::ranges::replace(out, '+', '-');
    std::ranges::replace(out, '/', '_');
    while (!out.empty() && out.back() == '=')
        out.pop_back();
    return out;
}

store::ContractKey decode_cursor(std::string_view cursor) {
    const Error refused = bad("cursor", "not a cursor this server gave (pass next_cursor as is)");
    if (cursor.empty() || cursor.size() > 128 || !std::ranges::all_of(cursor, [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_';
        }))
        throw refused;
    std::string standard(cursor);
    std::ranges::replace(standard, '-', '+');
    std::ranges::replace(standard, '_', '/');
    standard.append((4 - standard.size() % 4) % 4, '=');
    Bytes decoded;
    try {
        decoded = from_base64(standard);
    } catch (const Error&) {
        throw refused;
    }
    const std::string text(decoded.begin(), decoded.end());
    const auto dot = text.find('.');
    if (dot == std::string::npos || text.size() - dot - 1 != 32)
        throw refused;
    std::int64_t micros = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + dot, micros);
    if (dot == 0 || ec != std::errc() || end != text.data() + dot || micros < 0)
        throw refused;
    const std::string id = text.substr(dot + 1);
    if (!std::ranges::all_of(id,
                             [](char c) { return hex_value(c) >= 0 && !(c >= 'A' && c <= 'F'); }))
        throw refused;
    return {Clock::time_point(std::chrono::microseconds(micros)), id};
}

Clock::time_point decode_time(const std::string& value, std::string_view name) {
    try {
        return parse_utc(value);
    } catch (const Error&) {
        throw bad(name, "must be an RFC 3339 UTC time, e.g. 2026-01-31T00:00:00Z");
    }
}

}  // namespace

std::string contract_cursor(const store::ContractKey& key) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(key.created_at.time_since_epoch());
    return base64url(std::to_string(micros.count()) + "." + key.id);
}

store::ContractQuery decode_contract_search(std::string_view text) {
    store::ContractQuery query;
    query.limit = kDefaultContractPage;
    nlohmann::json metadata = nlohmann::json::object();
    std::vector<std::string> seen;
    while (!text.empty()) {
        const auto amp = text.find('&');
        const std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (pair.empty())
            continue;
        const auto eq = pair.find('=');
        const std::string key = decode_component(pair.substr(0, eq), "(a name)");
        const std::string value =
            decode_component(eq == std::string_view::npos ? "" : pair.substr(eq + 1), key);
        if (std::ranges::find(seen, key) != seen.end())
            throw bad(key, "given twice");
        seen.push_back(key);
        if (key == "state") {
            if (std::ranges::find(kStates, value) == kStates.end())
                throw bad(key,
                          "must be one of draft, sent, partially_signed, completed, "
                          "cancelled, expired");
            query.state = value;
        } else if (key == "party") {
            query.party =
                query_integer(value, "party", 1, std::numeric_limits<std::int64_t>::max());
        } else if (key == "title") {
            if (value.find_first_not_of(' ') == std::string::npos)
                throw bad(key, "must hold a word");
            query.title_words = value;
        } else if (key.starts_with("metadata.")) {
            const std::string member = key.substr(9);
            if (member.empty())
                throw bad(key, "names no metadata key (metadata.KEY=VALUE)");
            if (metadata.size() == kMaxMetadataTerms)
                throw bad(key, "at most 10 metadata terms");
            metadata[member] = value;
        } else if (key == "created_after") {
            query.created_after = decode_time(value, key);
        } else if (key == "created_before") {
            query.created_before = decode_time(value, key);
        } else if (key == "cursor") {
            query.after = decode_cursor(value);
        } else if (key == "before") {
            query.before_id = std::string(value);
            if (value.size() != 32 || !std::ranges::all_of(value, [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                }))
                throw bad(key, "must be a contract id (32 lowercase hex digits)");
        } else if (key == "limit") {
            query.limit = static_cast<std::size_t>(
                query_integer(value, "limit", 1, static_cast<std::int64_t>(kMaxContractPage)));
        } else {
            throw Error(Errc::invalid_argument, "unknown query parameter " + quote_input(key));
        }
    }
    if (query.after && query.before_id)
        throw bad("before", "not together with 'cursor' (before is deprecated: use cursor)");
    if (!metadata.empty())
        query.metadata = metadata.dump();
    return query;
}

}  // namespace signet::api
