#include "store/ocsp_responses.hpp"

#include <algorithm>
#include <unordered_set>

namespace signet::store {

namespace {

#define SIGNET_OCSP_COLUMNS \
    "serial, hash, issuer_ca, der, revoked, this_update, next_update, produced_at"
#define SIGNET_OCSP_READ_COLUMNS SIGNET_OCSP_COLUMNS ", change"

// One statement for a batch of any size, each column one array parameter (bytes as hex text, as
// the other batch writers do). The WHERE of DO UPDATE is the rule of upsert_many: revoked wins,
// then the newer thisUpdate.
constexpr Statement kUpsertMany{
    "ocsp_responses.upsert_many",
    "INSERT INTO ocsp_responses AS r (" SIGNET_OCSP_COLUMNS
    ", change) SELECT decode(s, 'hex'), h, ca, decode(d, 'hex'), rv, tu, nu, pa, "
    "nextval('ocsp_response_changes') FROM unnest($1::text[], "
    "$2::text[], $3::text[], $4::text[], $5::boolean[], $6::timestamptz[], $7::timestamptz[], "
    "$8::timestamptz[]) AS u(s, h, ca, d, rv, tu, nu, pa) "
    "ON CONFLICT (serial, hash) DO UPDATE SET issuer_ca = EXCLUDED.issuer_ca, der = EXCLUDED.der, "
    "revoked = EXCLUDED.revoked, this_update = EXCLUDED.this_update, "
    "next_update = EXCLUDED.next_update, produced_at = EXCLUDED.produced_at, "
    "change = nextval('ocsp_response_changes') "
    "WHERE (EXCLUDED.revoked AND NOT r.revoked) OR "
    "(EXCLUDED.revoked = r.revoked AND EXCLUDED.this_update >= r.this_update)"};
constexpr Statement kFind{"ocsp_responses.find",
                          "SELECT " SIGNET_OCSP_READ_COLUMNS
                          " FROM ocsp_responses WHERE serial = $1::bytea AND hash = $2"};

#define SIGNET_DUE_COLUMNS                                                                  \
    "c.serial, c.issuer_ca, c.purpose, c.status, c.not_before, c.not_after, c.revoked_at, " \
    "c.revocation_reason, c.invalidity_date"
constexpr Statement kDueQueued{"ocsp_responses.due_queued",
                               "SELECT " SIGNET_DUE_COLUMNS
                               ", p.version FROM ocsp_pending p JOIN certificates c "
                               "USING (serial) ORDER BY p.version LIMIT $1"};
// Both hashes of a certificate are signed together, so its rows sit side by side in thisUpdate
// order: twice the limit in rows gives about the limit in certificates.
constexpr Statement kDueAged{
    "ocsp_responses.due_aged",
    "SELECT " SIGNET_DUE_COLUMNS
    ", o.oldest FROM (SELECT serial, min(this_update) AS oldest FROM "
    "(SELECT serial, this_update FROM ocsp_responses WHERE this_update < $1::timestamptz "
    "AND this_update < $1::timestamptz - ($3::bigint * (256 - get_byte(serial, length(serial) - 1)) "
    "/ 256) * interval '1 microsecond' "
    "ORDER BY this_update LIMIT $2) a GROUP BY serial) o JOIN certificates c USING (serial) "
    "ORDER BY o.oldest"};
constexpr Statement kQueued{"ocsp_responses.queued", "SELECT count(*) FROM ocsp_pending"};
constexpr Statement kAged{
    "ocsp_responses.aged",
    "SELECT count(*) FROM ocsp_responses WHERE this_update < $1::timestamptz"};
constexpr Statement kSettle{
    "ocsp_responses.settle",
    "DELETE FROM ocsp_pending p USING unnest($1::text[], $2::bigint[]) AS u(s, v) "
    "WHERE p.serial = decode(u.s, 'hex') AND p.version = u.v"};

constexpr Statement kQueuedVersion{"ocsp_responses.queued_version",
                                   "SELECT version FROM ocsp_pending WHERE serial = $1::bytea"};
constexpr Statement kRevokedSince{
    "ocsp_responses.revoked_since",
    "SELECT serial FROM certificates WHERE status = 'revoked' AND revoked_at >= $1::timestamptz"};

constexpr Statement kQueueMissing{
    "ocsp_responses.queue_missing",
    "INSERT INTO ocsp_pending (serial) SELECT c.serial FROM certificates c "
    "WHERE c.status IN ('issued', 'revoked') AND c.purpose <> 'root' AND ("
    "($1::boolean AND NOT EXISTS (SELECT 1 FROM ocsp_responses r WHERE r.serial = c.serial "
    "AND r.hash = 'sha1')) OR ($2::boolean AND NOT EXISTS (SELECT 1 FROM ocsp_responses r "
    "WHERE r.serial = c.serial AND r.hash = 'sha256'))) ON CONFLICT (serial) DO NOTHING"};

constexpr std::size_t kPage = 5000;

StoredOcspResponse response_from(const Row& row) {
    StoredOcspResponse r;
    r.serial = row["serial"].bytes();
    r.hash = row["hash"].as<std::string>();
    r.issuer_ca = row["issuer_ca"].as<std::string>();
    r.der = row["der"].bytes();
    r.revoked = row["revoked"].boolean();
    r.this_update = row["this_update"].time();
    r.next_update = row["next_update"].time();
    r.produced_at = row["produced_at"].time();
    r.change = row["change"].int64();
    return r;
}

CertificateRecord due_from(const Row& row) {
    CertificateRecord c;
    c.serial = row["serial"].bytes();
    c.issuer_ca = row["issuer_ca"].as<std::string>();
    c.purpose = row["purpose"].as<std::string>();
    c.status = row["status"].as<std::string>();
    c.not_before = row["not_before"].time();
    c.not_after = row["not_after"].time();
    c.revoked_at = row["revoked_at"].optional<Clock::time_point>();
    c.revocation_reason = row["revocation_reason"].optional<int>();
    c.invalidity_date = row["invalidity_date"].optional<Clock::time_point>();
    return c;
}

}  // namespace

void PostgresOcspResponses::upsert_many(std::span<const StoredOcspResponse> responses) {
    if (responses.empty())
        return;
    std::vector<std::string> serial, hash, issuer, der, revoked, this_update, next_update,
        produced_at;
    for (auto* list :
         {&serial, &hash, &issuer, &der, &revoked, &this_update, &next_update, &produced_at})
        list->reserve(responses.size());
    for (const auto& r : responses) {
        serial.push_back(to_hex(r.serial));
        hash.push_back(r.hash);
        issuer.push_back(r.issuer_ca);
        der.push_back(to_hex(r.der));
        revoked.push_back(r.revoked ? "true" : "false");
        this_update.push_back(format_utc(r.this_update));
        next_update.push_back(format_utc(r.next_update));
        produced_at.push_back(format_utc(r.produced_at));
    }
    // One writer at a time, across nodes, so that change numbers commit in the order they are
    // drawn: a node that has read change N has read every change below N, and pulls from N on
    // (changed_after) without missing a batch that drew lower numbers but committed later.
    database_.transaction([&](Connection& c) {
        c.exec("SELECT pg_advisory_xact_lock($1::bigint)", {advisory_lock::kOcspResponseWrites});
        c.exec(kUpsertMany,
               {Param::text_array(serial), Param::text_array(hash), Param::text_array(issuer),
                Param::text_array(der), Param::text_array(revoked), Param::text_array(this_update),
                Param::text_array(next_update), Param::text_array(produced_at)});
    });
}

std::int64_t PostgresOcspResponses::stream(std::string_view where, std::span<const Param> params,
                                           const std::function<void(StoredOcspResponse&&)>& row) {
    std::int64_t highest = 0;
    // A cursor, read-only and in its own transaction: pages of kPage rows, each page freed before
    // the next is fetched.
    database_.transaction(
        [&](Connection& c) {
            highest = 0;
            c.exec("DECLARE ocsp_rows NO SCROLL CURSOR FOR SELECT " SIGNET_OCSP_READ_COLUMNS
                   " FROM ocsp_responses " +
                       std::string(where),
                   params);
            const std::string fetch = "FETCH " + std::to_string(kPage) + " FROM ocsp_rows";
            for (;;) {
                const Result page = c.exec(fetch);
                for (std::size_t i = 0; i < page.size(); ++i) {
                    StoredOcspResponse r = response_from(page[i]);
                    highest = std::max(highest, r.change);
                    row(std::move(r));
                }
                if (page.size() < kPage)
                    break;
            }
            c.exec("CLOSE ocsp_rows");
        },
        {Isolation::read_committed, true, 1});
    return highest;
}

void PostgresOcspResponses::load_all(const std::function<void(StoredOcspResponse&&)>& row) {
    stream("", {}, row);
}

void PostgresOcspResponses::changed_since(Clock::time_point since,
                                          const std::function<void(StoredOcspResponse&&)>& row) {
    const Param params[] = {Param(since)};
    stream("WHERE this_update >= $1::timestamptz", params, row);
}

std::int64_t PostgresOcspResponses::changed_after(
    std::int64_t after, const std::function<void(StoredOcspResponse&&)>& row) {
    const Param params[] = {Param(after)};
    return std::max(after, stream("WHERE change > $1::bigint ORDER BY change", params, row));
}

std::int64_t PostgresOcspResponses::queue_missing(bool sha1, bool sha256) {
    return database_.with_connection([&](Connection& c) {
        return static_cast<std::int64_t>(c.exec(kQueueMissing, {sha1, sha256}).affected_rows());
    });
}

std::optional<std::int64_t> PostgresOcspResponses::queued_version(ByteView serial) {
    return database_.with_connection([&](Connection& c) -> std::optional<std::int64_t> {
        const Result rows = c.exec(kQueuedVersion, {serial});
        if (rows.empty())
            return std::nullopt;
        return rows.one()[0].int64();
    });
}

std::vector<Bytes> PostgresOcspResponses::revoked_since(Clock::time_point since) {
    return database_.with_connection([&](Connection& c) {
        const Result rows = c.exec(kRevokedSince, {since});
        std::vector<Bytes> serials;
        for (std::size_t i = 0; i < rows.size(); ++i)
            serials.push_back(rows[i][0].bytes());
        return serials;
    });
}

std::optional<StoredOcspResponse> PostgresOcspResponses::find(ByteView serial,
                                                              std::string_view hash) {
    return database_.with_connection([&](Connection& c) -> std::optional<StoredOcspResponse> {
        const Result rows = c.exec(kFind, {serial, hash});
        if (rows.empty())
            return std::nullopt;
        return response_from(rows.one());
    });
}

std::vector<DueCertificate> PostgresOcspResponses::due(Clock::time_point before,
                                                       std::size_t limit,
                                                       std::chrono::microseconds jitter) {
    std::vector<DueCertificate> due;
    if (limit == 0)
        return due;
    database_.with_connection([&](Connection& c) {
        std::unordered_set<std::string> seen;
        const Result queued = c.exec(kDueQueued, {static_cast<std::int64_t>(limit)});
        for (std::size_t i = 0; i < queued.size(); ++i) {
            DueCertificate d{due_from(queued[i]), queued[i]["version"].int64(), std::nullopt};
            seen.insert(to_hex(d.certificate.serial));
            due.push_back(std::move(d));
        }
        if (due.size() >= limit)
            return;
        const Result aged = c.exec(kDueAged, {before, static_cast<std::int64_t>(2 * limit),
                                                static_cast<std::int64_t>(jitter.count())});
        for (std::size_t i = 0; i < aged.size() && due.size() < limit; ++i) {
            DueCertificate d{due_from(aged[i]), std::nullopt, aged[i]["oldest"].time()};
            if (seen.insert(to_hex(d.certificate.serial)).second)
                due.push_back(std::move(d));
        }
    });
    return due;
}

std::int64_t PostgresOcspResponses::queued() {
    return database_.with_connection(
        [](Connection& c) { return c.exec(kQueued).one()[0].int64(); });
}

std::int64_t PostgresOcspResponses::aged(Clock::time_point before) {
    return database_.with_connection(
        [&](Connection& c) { return c.exec(kAged, {before}).one()[0].int64(); });
}

void PostgresOcspResponses::settle(std::span<const SettledEntry> entries) {
    if (entries.empty())
        return;
    std::vector<std::string> serial, version;
    for (const auto& e : entries) {
        serial.push_back(to_hex(e.serial));
        version.push_back(std::to_string(e.version));
    }
    database_.with_connection([&](Connection& c) {
        c.exec(kSettle, {Param::text_array(serial), Param::text_array(version)});
    });
}

}  // namespace signet::store
