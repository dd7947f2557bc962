#include "audit/log.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "common/error.hpp"
#include "common/handle.hpp"

namespace signet::audit {

namespace {

using store::Connection;
using store::Param;
using store::Statement;

constexpr std::size_t kMaxDetailsBytes = 64 * 1024;
constexpr int kMaxDepth = 16;
constexpr std::int64_t kMaxExactInteger = (std::int64_t{1} << 53) - 1;
constexpr std::int64_t kMaxReadBatch = 10000;

constexpr Statement kAppendLock{"audit.append_lock", "SELECT pg_advisory_xact_lock($1::bigint)"};
constexpr Statement kNextSeq{"audit.next_seq",
                             "SELECT coalesce(max(seq), 0) + 1 AS seq FROM audit_events"};
constexpr Statement kInsert{
    "audit.insert",
    "INSERT INTO audit_events (seq, event_time, event_type, actor, object, details, leaf_hash) "
    "VALUES ($1::bigint, $2::timestamptz, $3, $4, $5, $6::jsonb, $7::bytea)"};
// Deferred events into the outbox, and the drain's events into the log, in one statement each
// for any number of rows: each column one array parameter. Rows go in in the
// arrays' order (WITH ORDINALITY), which for audit_events is the order the gapless trigger
// checks; leaf hashes travel as hex (an array of bytea has no binary form through Param).
constexpr Statement kDeferMany{
    "audit.defer_many",
    "INSERT INTO audit_outbox (occurred_at, event_type, actor, object, details) "
    "SELECT t, ty, a, o, d::jsonb FROM unnest($1::timestamptz[], $2::text[], $3::text[], "
    "$4::text[], $5::text[]) WITH ORDINALITY AS u(t, ty, a, o, d, n) ORDER BY n"};
constexpr Statement kInsertMany{
    "audit.insert_many",
    "INSERT INTO audit_events (seq, event_time, event_type, actor, object, details, leaf_hash) "
    "SELECT s, t, ty, a, o, d::jsonb, decode(h, 'hex') FROM unnest($1::bigint[], "
    "$2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) "
    "WITH ORDINALITY AS u(s, t, ty, a, o, d, h, n) ORDER BY n"};
constexpr Statement kClaimOutbox{
    "audit.claim_outbox",
    "SELECT id, occurred_at, event_type, actor, object, details::text AS details FROM audit_outbox "
    "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"};
constexpr Statement kDeleteOutbox{"audit.delete_outbox",
                                  "DELETE FROM audit_outbox WHERE id = ANY($1::bigint[])"};
constexpr Statement kSize{"audit.size", "SELECT coalesce(max(seq), 0) AS size FROM audit_events"};
constexpr Statement kRead{
    "audit.read",
    "SELECT seq, event_time, event_type, actor, object, details::text AS details, leaf_hash "
    "FROM audit_events WHERE seq BETWEEN $1::bigint AND $2::bigint ORDER BY seq"};

[[noreturn]] void invalid(const std::string& message) {
    throw Error(Errc::invalid_argument, "audit event: " + message);
}

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t extra = 0;
        std::uint32_t code = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            code = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            code = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            code = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= text.size())
            return false;  // truncated sequence
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80)
                return false;
            code = (code << 6) | (next & 0x3F);
        }
        if ((extra == 2 && code < 0x800) || (extra == 3 && code < 0x10000) || code > 0x10FFFF ||
            (code >= 0xD800 && code <= 0xDFFF)) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

bool has_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F;
    });
}

void check_label(std::string_view what, std::string_view value, std::size_t min, std::size_t max) {
    if (value.size() < min || value.size() > max) {
        invalid(std::string(what) + " must have " + std::to_string(min) + " to " +
                std::to_string(max) + " bytes");
    }
    if (!valid_utf8(value))
        invalid(std::string(what) + " is not valid UTF-8");
    if (has_control(value))
        invalid(std::string(what) + " contains a control character");
}

bool names_a_secret(std::string_view key) {
    std::string lower(key);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    static constexpr std::string_view kSecretNames[] = {
        "password", "passphrase", "pin",         "puk",     "otp",
        "secret",   "token",      "private_key", "api_key", "authorization"};
    return std::find(std::begin(kSecretNames), std::end(kSecretNames), lower) !=
           std::end(kSecretNames);
}

void check_value(const nlohmann::json& value, const std::string& where, int depth) {
    if (depth > kMaxDepth)
        invalid("details nest deeper than " + std::to_string(kMaxDepth) + " levels");
    using Type = nlohmann::json::value_t;
    switch (value.type()) {
        case Type::null:
        case Type::boolean:
            return;
        case Type::number_integer: {
            const auto n = value.get<std::int64_t>();
            if (n > kMaxExactInteger || n < -kMaxExactInteger)
                invalid(where + " is an integer beyond ±(2^53 - 1)");
            return;
        }
        case Type::number_unsigned:
            if (value.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxExactInteger)) {
                invalid(where + " is an integer beyond ±(2^53 - 1)");
            }
            return;
        case Type::number_float:
            invalid(where + " is a floating-point number (use an integer or a string)");
        case Type::string: {
            const auto& s = value.get_ref<const std::string&>();
            if (!valid_utf8(s))
                invalid(where + " is not valid UTF-8");
            if (s.find('\0') != std::string::npos)
                invalid(where + " contains U+0000");
            return;
        }
        case Type::array: {
            std::size_t index = 0;
            for (const auto& element : value)
                check_value(element, where + "[" + std::to_string(index++) + "]", depth + 1);
            return;
        }
        case Type::object:
            for (const auto& [key, element] : value.items()) {
                if (!valid_utf8(key) || key.find('\0') != std::string::npos) {
                    invalid("a key in " + where + " is not valid UTF-8 without U+0000");
                }
                if (names_a_secret(key)) {
                    invalid(where + "." + key +
                            " names a secret; secrets never go into the audit log");
                }
                check_value(element, where + "." + key, depth + 1);
            }
            return;
        case Type::binary:
        case Type::discarded:
            invalid(where + " is not a JSON value");
    }
}

std::string dump_strict(const nlohmann::json& value) {
    try {
        // indent -1: no whitespace; ensure_ascii false: raw UTF-8; strict: invalid UTF-8 throws.
        return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    } catch (const nlohmann::json::exception& e) {
        invalid(std::string("cannot encode: ") + e.what());
    }
}

// `{}` in a braced AuditEvent makes a JSON null, not an object: take null as no details.
const nlohmann::json& details_of(const AuditEvent& event) {
    static const nlohmann::json kNoDetails = nlohmann::json::object();
    return event.details.is_null() ? kNoDetails : event.details;
}

Clock::time_point to_microseconds(Clock::time_point time) {
    return std::chrono::floor<std::chrono::microseconds>(time);
}

RecordedEvent from_row(const store::Row& row) {
    RecordedEvent recorded;
    recorded.seq = row["seq"].int64();
    recorded.time = row["event_time"].time();
    recorded.event.type = row["event_type"].as<std::string>();
    recorded.event.actor = row["actor"].as<std::string>();
    recorded.event.object = row["object"].as<std::string>();
    try {
        recorded.event.details = nlohmann::json::parse(row["details"].text());
    } catch (const nlohmann::json::exception& e) {
        throw Error(Errc::internal, "audit event " + std::to_string(recorded.seq) +
                                        ": stored details do not parse: " + e.what());
    }
    const Bytes hash = row["leaf_hash"].bytes();
    if (hash.size() != recorded.leaf_hash.size()) {
        throw Error(Errc::internal,
                    "audit event " + std::to_string(recorded.seq) + ": leaf hash is not 32 bytes");
    }
    std::copy(hash.begin(), hash.end(), recorded.leaf_hash.begin());
    return recorded;
}

}  // namespace

void validate(const AuditEvent& event) {
    const bool type_ok = !event.type.empty() && event.type.size() <= 100 &&
                         std::all_of(event.type.begin(), event.type.end(), [](char c) {
                             return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                                    c == '.' || c == ':' || c == '-';
                         });
    if (!type_ok)
        invalid("type '" + event.type + "' is not [a-z0-9_.:-]{1,100}");
    check_label("actor", event.actor, 1, 512);
    check_label("object", event.object, 0, 512);
    const auto& details = details_of(event);
    if (!details.is_object())
        invalid("details must be a JSON object");
    check_value(details, "details", 1);
    if (dump_strict(details).size() > kMaxDetailsBytes) {
        invalid("details exceed " + std::to_string(kMaxDetailsBytes) + " bytes");
    }
}

std::string canonical_encoding(std::int64_t seq, Clock::time_point time, const AuditEvent& event) {
    // nlohmann::json keeps object members in a std::map<std::string, ...>: sorted by the keys'
    // bytes (std::string compares as unsigned char), i.e. by Unicode code point for UTF-8.
    nlohmann::json document = nlohmann::json::object();
    document["actor"] = event.actor;
    document["details"] = details_of(event);
    document["object"] = event.object;
    document["seq"] = seq;
    document["time"] = format_utc(to_microseconds(time));
    document["type"] = event.type;
    return dump_strict(document);
}

LeafHash leaf_hash(std::string_view canonical) {
    // RFC 6962 §2.1: "The hash of a list with one entry (also known as a leaf hash) is:
    //   MTH({d(0)}) = SHA-256(0x00 || d(0))."
    // and "(Note that the hash calculations for leaves and nodes differ. This domain separation
    // is required to give second preimage resistance.)" Interior nodes use the prefix 0x01.
    static constexpr std::uint8_t kLeafPrefix = 0x00;
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx)
        throw_openssl_error("EVP_MD_CTX_new");
    LeafHash out{};
    unsigned int size = 0;
    check_openssl(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr), "SHA-256 init");
    check_openssl(EVP_DigestUpdate(ctx.get(), &kLeafPrefix, 1), "SHA-256 update");
    check_openssl(EVP_DigestUpdate(ctx.get(), canonical.data(), canonical.size()),
                  "SHA-256 update");
    check_openssl(EVP_DigestFinal_ex(ctx.get(), out.data(), &size), "SHA-256 final");
    return out;
}

RecordedEvent PostgresAuditLog::record(const AuditEvent& event) {
    validate(event);  // before taking a connection
    return database_.transaction(
        [&](Connection& transaction) { return record(transaction, event); });
}

RecordedEvent PostgresAuditLog::record(Connection& transaction, const AuditEvent& event) {
    if (!transaction.in_transaction()) {
        throw Error(Errc::failed_precondition,
                    "AuditLog::record needs a connection inside a transaction");
    }
    validate(event);
    // Gapless numbering: one appender at a time, until its transaction ends. A sequence
    // (nextval) would leave holes on rollback, which the Merkle tree must not have.
    transaction.exec(kAppendLock, {store::advisory_lock::kAuditAppend});
    RecordedEvent recorded;
    recorded.seq = transaction.exec(kNextSeq).one()["seq"].int64();
    // Read under the lock, so that time never goes backwards along seq (given a clock that
    // does not).
    recorded.time = to_microseconds(clock_.now());
    recorded.event = event;
    recorded.event.details = details_of(event);
    recorded.leaf_hash = leaf_hash(canonical_encoding(recorded.seq, recorded.time, event));
    transaction.exec(kInsert, {recorded.seq, recorded.time, event.type, event.actor, event.object,
                               dump_strict(recorded.event.details), recorded.leaf_hash});
    return recorded;
}

void PostgresAuditLog::defer(Connection& transaction, const AuditEvent& event) {
    defer_many(transaction, std::span<const AuditEvent>(&event, 1));
}

void PostgresAuditLog::defer_many(Connection& transaction, std::span<const AuditEvent> events) {
    if (events.empty())
        return;
    if (!transaction.in_transaction()) {
        throw Error(Errc::failed_precondition,
                    "AuditLog::defer needs a connection inside a transaction");
    }
    for (const auto& event : events)
        validate(event);
    const std::string now = format_utc(to_microseconds(clock_.now()));
    std::vector<std::string> times(events.size(), now), types, actors, objects, details;
    for (const auto& event : events) {
        types.push_back(event.type);
        actors.push_back(event.actor);
        objects.push_back(event.object);
        details.push_back(dump_strict(details_of(event)));
    }
    transaction.exec(kDeferMany,
                     {Param::text_array(times), Param::text_array(types), Param::text_array(actors),
                      Param::text_array(objects), Param::text_array(details)});
}

std::size_t PostgresAuditLog::drain(std::size_t max_events) {
    return database_.transaction([&](Connection& transaction) -> std::size_t {
        // The append lock first: claimed rows are then appended in id order without another
        // appender in between.
        transaction.exec(kAppendLock, {store::advisory_lock::kAuditAppend});
        const store::Result rows = transaction.exec(kClaimOutbox, {max_events});
        if (rows.empty())
            return 0;
        // As record() does for one event, for the whole batch in one INSERT: numbered from
        // max(seq) + 1 under the lock, one time read under it.
        std::int64_t seq = transaction.exec(kNextSeq).one()["seq"].int64();
        const Clock::time_point time = to_microseconds(clock_.now());
        const std::string time_text = format_utc(time);
        std::vector<std::string> seqs, times, types, actors, objects, details, hashes, ids;
        for (std::size_t i = 0; i < rows.size(); ++i, ++seq) {
            const store::Row row = rows[i];
            AuditEvent event{row["event_type"].as<std::string>(), row["actor"].as<std::string>(),
                             row["object"].as<std::string>(),
                             nlohmann::json::parse(row["details"].text())};
            event.details["occurred_at"] = format_utc(row["occurred_at"].time());
            validate(event);
            seqs.push_back(std::to_string(seq));
            times.push_back(time_text);
            hashes.push_back(to_hex(leaf_hash(canonical_encoding(seq, time, event))));
            details.push_back(dump_strict(event.details));
            types.push_back(std::move(event.type));
            actors.push_back(std::move(event.actor));
            objects.push_back(std::move(event.object));
            ids.push_back(std::string(row["id"].text()));
        }
        transaction.exec(kInsertMany, {Param::text_array(seqs), Param::text_array(times),
                                       Param::text_array(types), Param::text_array(actors),
                                       Param::text_array(objects), Param::text_array(details),
                                       Param::text_array(hashes)});
        transaction.exec(kDeleteOutbox, {store::Param::text_array(ids)});
        return rows.size();
    });
}

std::int64_t PostgresAuditLog::size() {
    return database_.with_connection(
        [](Connection& c) { return c.exec(kSize).one()["size"].int64(); });
}

std::vector<RecordedEvent> PostgresAuditLog::read(std::int64_t first_seq, std::int64_t last_seq) {
    first_seq = std::max<std::int64_t>(first_seq, 1);
    if (last_seq < first_seq)
        return {};
    last_seq = std::min(last_seq, first_seq + kMaxReadBatch - 1);
    return database_.with_connection([&](Connection& c) {
        const store::Result rows = c.exec(kRead, {first_seq, last_seq});
        std::vector<RecordedEvent> events;
        events.reserve(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i)
            events.push_back(from_row(rows[i]));
        return events;
    });
}

VerifyReport verify(AuditReader& reader, std::int64_t first_seq, std::int64_t last_seq) {
    constexpr std::int64_t kBatch = 1000;
    constexpr std::size_t kMaxProblems = 100;
    VerifyReport report;
    std::size_t suppressed = 0;
    auto problem = [&](std::string text) {
        if (report.problems.size() < kMaxProblems) {
            report.problems.push_back(std::move(text));
        } else {
            ++suppressed;
        }
    };
    const std::int64_t size = reader.size();
    report.first_seq = std::max<std::int64_t>(first_seq, 1);
    report.last_seq = last_seq <= 0 || last_seq > size ? size : last_seq;
    std::int64_t expected = report.first_seq;
    for (std::int64_t start = report.first_seq; start <= report.last_seq; start += kBatch) {
        const std::int64_t end = std::min(report.last_seq, start + kBatch - 1);
        for (const auto& recorded : reader.read(start, end)) {
            if (recorded.seq != expected) {
                problem("events " + std::to_string(expected) + ".." +
                        std::to_string(recorded.seq - 1) + " are missing");
            }
            expected = recorded.seq + 1;
            ++report.checked;
            try {
                const LeafHash recomputed =
                    leaf_hash(canonical_encoding(recorded.seq, recorded.time, recorded.event));
                if (recomputed != recorded.leaf_hash) {
                    problem("event " + std::to_string(recorded.seq) +
                            ": the leaf hash does not match its fields");
                }
            } catch (const Error& e) {
                problem("event " + std::to_string(recorded.seq) + ": " + e.what());
            }
        }
    }
    if (expected <= report.last_seq) {
        problem("events " + std::to_string(expected) + ".." + std::to_string(report.last_seq) +
                " are missing");
    }
    if (suppressed > 0)
        report.problems.push_back("... and " + std::to_string(suppressed) + " more");
    return report;
}

}  // namespace signet::audit
