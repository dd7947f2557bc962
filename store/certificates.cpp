#include "store/certificates.hpp"

#include <set>

namespace signet::store {

namespace {

// Every column but the large ones (find_status reads these alone), then the large ones.
#define SIGNET_CERTIFICATE_STATUS_COLUMNS                                                    \
    "serial, issuer_ca, purpose, profile, subject_id, subject_dn, key_type, key_source, "    \
    "key_label, kek_label, status, failure, not_before, not_after, reserved_at, issued_at, " \
    "revoked_at, revocation_reason, invalidity_date"
#define SIGNET_CERTIFICATE_COLUMNS \
    SIGNET_CERTIFICATE_STATUS_COLUMNS ", wrapped_key, public_key, tbs, der"

constexpr Statement kFind{"certificates.find", "SELECT " SIGNET_CERTIFICATE_COLUMNS
                                               " FROM certificates WHERE serial = $1::bytea"};
constexpr Statement kFindStatus{"certificates.find_status",
                                "SELECT " SIGNET_CERTIFICATE_STATUS_COLUMNS
                                " FROM certificates WHERE serial = $1::bytea"};
// One statement for every combination of filters: an absent filter is a NULL parameter.
constexpr Statement kSearch{
    "certificates.search",
    "SELECT " SIGNET_CERTIFICATE_COLUMNS
    " FROM certificates WHERE ($1::bigint IS NULL OR subject_id = $1::bigint)"
    " AND ($2::text IS NULL OR status = $2::text) AND ($3::text IS NULL OR issuer_ca = $3::text)"
    " AND ($4::bytea IS NULL OR serial = $4::bytea) AND ($5::bytea IS NULL OR serial > $5::bytea)"
    " ORDER BY serial LIMIT $6"};
constexpr Statement kFindService{
    "certificates.find_service",
    "SELECT " SIGNET_CERTIFICATE_COLUMNS
    " FROM certificates WHERE serial = (SELECT serial FROM service_certificates WHERE role = $1)"};
constexpr Statement kReserve{
    "certificates.reserve",
    "INSERT INTO certificates (serial, issuer_ca, purpose, profile, subject_id, subject_dn, "
    "key_type, key_source, key_label, wrapped_key, kek_label, public_key, tbs, status, "
    "not_before, not_after, reserved_at) VALUES ($1::bytea, $2, $3, $4, $5::bigint, $6, $7, $8, "
    "$9, $10::bytea, $11, $12::bytea, $13::bytea, 'reserved', $14::timestamptz, "
    "$15::timestamptz, $16::timestamptz)"};
constexpr Statement kMarkIssued{
    "certificates.mark_issued",
    "UPDATE certificates SET der = $2::bytea, status = 'issued', issued_at = $3::timestamptz "
    "WHERE serial = $1::bytea AND status = 'reserved'"};
// The batch forms of kReserve and kMarkIssued: one statement for a batch of any size, each
// column one array parameter. Bytes travel as hex text (an array of bytea has no binary form
// through Param); NULL elements stay NULL. ON CONFLICT leaves a taken serial out and RETURNING
// tells which rows went in.
constexpr Statement kReserveMany{
    "certificates.reserve_many",
    "INSERT INTO certificates (serial, issuer_ca, purpose, profile, subject_id, subject_dn, "
    "key_type, key_source, key_label, wrapped_key, kek_label, public_key, tbs, status, "
    "not_before, not_after, reserved_at) SELECT decode(s, 'hex'), ca, pu, pr, sid, dn, kt, ks, "
    "kl, decode(wk, 'hex'), kek, decode(pk, 'hex'), decode(t, 'hex'), 'reserved', nb, na, ra "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], "
    "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], "
    "$14::timestamptz[], $15::timestamptz[], $16::timestamptz[]) "
    "AS u(s, ca, pu, pr, sid, dn, kt, ks, kl, wk, kek, pk, t, nb, na, ra) "
    "ON CONFLICT (serial) DO NOTHING RETURNING encode(serial, 'hex') AS serial"};
constexpr Statement kMarkIssuedMany{
    "certificates.mark_issued_many",
    "UPDATE certificates c SET der = decode(u.d, 'hex'), status = 'issued', issued_at = u.t "
    "FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(s, d, t) "
    "WHERE c.serial = decode(u.s, 'hex') AND c.status = 'reserved' "
    "RETURNING encode(c.serial, 'hex') AS serial"};
constexpr Statement kMarkAbandoned{"certificates.mark_abandoned",
                                   "UPDATE certificates SET status = 'abandoned', failure = $2 "
                                   "WHERE serial = $1::bytea AND status = 'reserved'"};
constexpr Statement kLockForRevocation{"certificates.lock_for_revocation",
                                       "SELECT status FROM certificates WHERE serial = $1::bytea "
                                       "FOR UPDATE"};
constexpr Statement kRevoke{
    "certificates.revoke",
    "UPDATE certificates SET status = 'revoked', revoked_at = $3::timestamptz, "
    "revocation_reason = $2, invalidity_date = $4::timestamptz WHERE serial = $1::bytea "
    "RETURNING " SIGNET_CERTIFICATE_COLUMNS};
constexpr Statement kRevokedEntries{
    "certificates.revoked_entries",
    "SELECT serial, revoked_at, revocation_reason, invalidity_date FROM certificates "
    "WHERE issuer_ca = $1 AND status = 'revoked' AND not_after > $2::timestamptz ORDER BY serial"};

constexpr Statement kCountRevoked{"certificates.count_revoked",
                                  "SELECT count(*) AS n FROM certificates WHERE issuer_ca = $1 "
                                  "AND status = 'revoked' AND not_after > $2::timestamptz"};

#define SIGNET_CA_COLUMNS                                                                 \
    "a.name, a.role, a.parent, a.key_label, a.key_type, a.serial, c.der AS certificate, " \
    "a.created_at"
constexpr Statement kFindCa{"certificate_authorities.find",
                            "SELECT " SIGNET_CA_COLUMNS
                            " FROM certificate_authorities a JOIN certificates c USING (serial)"
                            " WHERE a.name = $1"};
constexpr Statement kListCas{"certificate_authorities.list",
                             "SELECT " SIGNET_CA_COLUMNS
                             " FROM certificate_authorities a JOIN certificates c USING (serial)"
                             " ORDER BY a.role DESC, a.name"};
constexpr Statement kAddCa{"certificate_authorities.insert",
                           "INSERT INTO certificate_authorities (name, role, parent, key_label, "
                           "key_type, serial, created_at) VALUES ($1, $2, $3, $4, $5, $6::bytea, "
                           "$7::timestamptz)"};
constexpr Statement kAddService{"service_certificates.insert",
                                "INSERT INTO service_certificates (role, serial, created_at) "
                                "VALUES ($1, $2::bytea, $3::timestamptz)"};
constexpr Statement kReplaceService{
    "service_certificates.replace",
    "INSERT INTO service_certificates (role, serial, created_at) VALUES ($1, $2::bytea, "
    "$3::timestamptz) ON CONFLICT (role) DO UPDATE SET serial = EXCLUDED.serial, "
    "created_at = EXCLUDED.created_at"};
constexpr Statement kLockCa{"certificate_authorities.lock",
                            "SELECT name FROM certificate_authorities WHERE name = $1 FOR UPDATE"};
constexpr Statement kNextCrlNumber{
    "crls.next_number",
    "SELECT coalesce(max(number), 0) + 1 AS next FROM crls WHERE issuer_ca = $1"};
constexpr Statement kAddCrl{
    "crls.insert",
    "INSERT INTO crls (issuer_ca, number, this_update, next_update, der, entries) VALUES ($1, "
    "$2, $3::timestamptz, $4::timestamptz, $5::bytea, $6)"};
constexpr Statement kLatestCrl{
    "crls.latest",
    "SELECT issuer_ca, number, this_update, next_update, der, entries FROM crls "
    "WHERE issuer_ca = $1 ORDER BY number DESC LIMIT 1"};

#undef SIGNET_CERTIFICATE_COLUMNS
#undef SIGNET_CERTIFICATE_STATUS_COLUMNS
#undef SIGNET_CA_COLUMNS

// A row of kFindStatus's columns; certificate_from adds the large ones.
CertificateRecord certificate_status_from(const Row& row) {
    CertificateRecord r;
    r.serial = row["serial"].bytes();
    r.issuer_ca = row["issuer_ca"].as<std::string>();
    r.purpose = row["purpose"].as<std::string>();
    r.profile = row["profile"].as<std::string>();
    r.subject_id = row["subject_id"].optional<std::int64_t>();
    r.subject_dn = row["subject_dn"].as<std::string>();
    r.key_type = row["key_type"].as<std::string>();
    r.key_source = row["key_source"].as<std::string>();
    r.key_label = row["key_label"].optional<std::string>();
    r.kek_label = row["kek_label"].optional<std::string>();
    r.status = row["status"].as<std::string>();
    r.failure = row["failure"].optional<std::string>();
    r.not_before = row["not_before"].time();
    r.not_after = row["not_after"].time();
    r.reserved_at = row["reserved_at"].time();
    r.issued_at = row["issued_at"].optional<Clock::time_point>();
    r.revoked_at = row["revoked_at"].optional<Clock::time_point>();
    r.revocation_reason = row["revocation_reason"].optional<int>();
    r.invalidity_date = row["invalidity_date"].optional<Clock::time_point>();
    return r;
}

CertificateRecord certificate_from(const Row& row) {
    CertificateRecord r = certificate_status_from(row);
    r.wrapped_key = row["wrapped_key"].optional<Bytes>();
    r.public_key = row["public_key"].bytes();
    r.tbs = row["tbs"].bytes();
    r.der = row["der"].optional<Bytes>();
    return r;
}

CaRecord ca_from(const Row& row) {
    CaRecord ca;
    ca.name = row["name"].as<std::string>();
    ca.role = row["role"].as<std::string>();
    ca.parent = row["parent"].optional<std::string>();
    ca.key_label = row["key_label"].as<std::string>();
    ca.key_type = row["key_type"].as<std::string>();
    ca.serial = row["serial"].bytes();
    ca.certificate = row["certificate"].bytes();
    ca.created_at = row["created_at"].time();
    return ca;
}

CrlRecord crl_from(const Row& row) {
    CrlRecord crl;
    crl.issuer_ca = row["issuer_ca"].as<std::string>();
    crl.number = row["number"].int64();
    crl.this_update = row["this_update"].time();
    crl.next_update = row["next_update"].time();
    crl.der = row["der"].bytes();
    crl.entries = row["entries"].as<int>();
    return crl;
}

std::string serial_text(ByteView serial) {
    return to_hex(serial);
}

}  // namespace

std::optional<CertificateRecord> PostgresCertificates::find(ByteView serial) {
    return database_.with_connection([&](Connection& c) -> std::optional<CertificateRecord> {
        const Result rows = c.exec(kFind, {serial});
        if (rows.empty())
            return std::nullopt;
        return certificate_from(rows.one());
    });
}

std::optional<CertificateRecord> PostgresCertificates::find_status(ByteView serial) {
    return database_.with_connection([&](Connection& c) -> std::optional<CertificateRecord> {
        const Result rows = c.exec(kFindStatus, {serial});
        if (rows.empty())
            return std::nullopt;
        return certificate_status_from(rows.one());
    });
}

std::vector<CertificateRecord> PostgresCertificates::search(const CertificateQuery& q) {
    return database_.with_connection([&](Connection& c) {
        const Result rows = c.exec(kSearch, {q.subject_id, q.status, q.issuer_ca, q.serial,
                                             q.after_serial, std::min<std::size_t>(q.limit, 1000)});
        std::vector<CertificateRecord> out;
        out.reserve(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i)
            out.push_back(certificate_from(rows[i]));
        return out;
    });
}

std::optional<CaRecord> PostgresCertificates::find_ca(std::string_view name) {
    return database_.with_connection([&](Connection& c) -> std::optional<CaRecord> {
        const Result rows = c.exec(kFindCa, {name});
        if (rows.empty())
            return std::nullopt;
        return ca_from(rows.one());
    });
}

std::vector<CaRecord> PostgresCertificates::list_cas() {
    return database_.with_connection([&](Connection& c) {
        const Result rows = c.exec(kListCas);
        std::vector<CaRecord> out;
        for (std::size_t i = 0; i < rows.size(); ++i)
            out.push_back(ca_from(rows[i]));
        return out;
    });
}

std::optional<CertificateRecord> PostgresCertificates::find_service(std::string_view role) {
    return database_.with_connection([&](Connection& c) -> std::optional<CertificateRecord> {
        const Result rows = c.exec(kFindService, {role});
        if (rows.empty())
            return std::nullopt;
        return certificate_from(rows.one());
    });
}

std::optional<CrlRecord> PostgresCertificates::latest_crl(std::string_view issuer_ca) {
    return database_.with_connection([&](Connection& c) -> std::optional<CrlRecord> {
        const Result rows = c.exec(kLatestCrl, {issuer_ca});
        if (rows.empty())
            return std::nullopt;
        return crl_from(rows.one());
    });
}

std::int64_t PostgresCertificates::count_revoked(std::string_view issuer_ca,
                                                 Clock::time_point now) {
    return database_.with_connection([&](Connection& c) {
        return c.exec(kCountRevoked, {issuer_ca, now}).one()["n"].int64();
    });
}

void PostgresCertificates::reserve(Connection& tx, const CertificateRecord& r) {
    tx.exec(kReserve, {r.serial, r.issuer_ca, r.purpose, r.profile, r.subject_id, r.subject_dn,
                       r.key_type, r.key_source, r.key_label, r.wrapped_key, r.kek_label,
                       r.public_key, r.tbs, r.not_before, r.not_after, r.reserved_at});
}

void PostgresCertificates::mark_issued(Connection& tx, ByteView serial, ByteView der,
                                       Clock::time_point issued_at) {
    if (tx.exec(kMarkIssued, {serial, der, issued_at}).affected_rows() != 1) {
        throw Error(Errc::failed_precondition,
                    "certificate " + serial_text(serial) + " is not reserved: not stored twice");
    }
}

namespace {

// Which of `keys` (hex serials, in the caller's order) the statement's RETURNING listed. A key
// repeated in one batch counts once: the first occurrence.
std::vector<bool> went_in(const Result& returned, const std::vector<std::string>& keys) {
    std::set<std::string, std::less<>> listed;
    for (std::size_t i = 0; i < returned.size(); ++i)
        listed.insert(std::string(returned[i]["serial"].text()));
    std::vector<bool> result;
    result.reserve(keys.size());
    for (const auto& key : keys)
        result.push_back(listed.erase(key) == 1);
    return result;
}

std::optional<std::string> optional_hex(const std::optional<Bytes>& value) {
    if (!value)
        return std::nullopt;
    return to_hex(*value);
}

}  // namespace

std::vector<bool> PostgresCertificates::reserve_many(
    Connection& tx, std::span<const CertificateRecord* const> records) {
    if (records.empty())
        return {};
    std::vector<std::string> serial, issuer, purpose, profile, dn, key_type, key_source, public_key,
        tbs, not_before, not_after, reserved_at;
    std::vector<std::optional<std::string>> key_label, wrapped_key, kek_label, subject_ids;
    for (const CertificateRecord* r : records) {
        serial.push_back(to_hex(r->serial));
        issuer.push_back(r->issuer_ca);
        purpose.push_back(r->purpose);
        profile.push_back(r->profile);
        subject_ids.push_back(r->subject_id ? std::optional(std::to_string(*r->subject_id))
                                            : std::nullopt);
        dn.push_back(r->subject_dn);
        key_type.push_back(r->key_type);
        key_source.push_back(r->key_source);
        key_label.push_back(r->key_label);
        wrapped_key.push_back(optional_hex(r->wrapped_key));
        kek_label.push_back(r->kek_label);
        public_key.push_back(to_hex(r->public_key));
        tbs.push_back(to_hex(r->tbs));
        not_before.push_back(Param(r->not_before).value());
        not_after.push_back(Param(r->not_after).value());
        reserved_at.push_back(Param(r->reserved_at).value());
    }
    const Result inserted = tx.exec(
        kReserveMany,
        {Param::text_array(serial), Param::text_array(issuer), Param::text_array(purpose),
         Param::text_array(profile), Param::text_array(subject_ids), Param::text_array(dn),
         Param::text_array(key_type), Param::text_array(key_source), Param::text_array(key_label),
         Param::text_array(wrapped_key), Param::text_array(kek_label),
         Param::text_array(public_key), Param::text_array(tbs), Param::text_array(not_before),
         Param::text_array(not_after), Param::text_array(reserved_at)});
    return went_in(inserted, serial);
}

std::vector<bool> PostgresCertificates::mark_issued_many(Connection& tx,
                                                         std::span<const IssuedCertificate> rows) {
    if (rows.empty())
        return {};
    std::vector<std::string> serial, der, issued_at;
    for (const auto& row : rows) {
        serial.push_back(to_hex(row.serial));
        der.push_back(to_hex(row.der));
        issued_at.push_back(Param(row.issued_at).value());
    }
    const Result updated =
        tx.exec(kMarkIssuedMany,
                {Param::text_array(serial), Param::text_array(der), Param::text_array(issued_at)});
    return went_in(updated, serial);
}

bool PostgresCertificates::mark_abandoned(Connection& tx, ByteView serial,
                                          const std::string& failure) {
    return tx.exec(kMarkAbandoned, {serial, failure}).affected_rows() == 1;
}

CertificateRecord PostgresCertificates::revoke(Connection& tx, ByteView serial, int reason,
                                               Clock::time_point revoked_at,
                                               std::optional<Clock::time_point> invalidity_date) {
    const Result lock = tx.exec(kLockForRevocation, {serial});
    if (lock.empty())
        throw Error(Errc::not_found, "no certificate with serial " + serial_text(serial));
    const std::string status = lock.one()["status"].as<std::string>();
    if (status == "revoked")
        throw Error(Errc::failed_precondition,
                    "certificate " + serial_text(serial) + " is already revoked");
    if (status != "issued")
        throw Error(Errc::failed_precondition, "certificate " + serial_text(serial) + " is " +
                                                   status + ", never signed: nothing to revoke");
    return certificate_from(tx.exec(kRevoke, {serial, reason, revoked_at, invalidity_date}).one());
}

std::vector<RevokedEntry> PostgresCertificates::revoked_entries(Connection& tx,
                                                                std::string_view issuer_ca,
                                                                Clock::time_point now) {
    const Result rows = tx.exec(kRevokedEntries, {issuer_ca, now});
    std::vector<RevokedEntry> out;
    out.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row row = rows[i];
        out.push_back({row["serial"].bytes(), row["revoked_at"].time(),
                       row["revocation_reason"].as<int>(),
                       row["invalidity_date"].optional<Clock::time_point>()});
    }
    return out;
}

void PostgresCertificates::add_ca(Connection& tx, const CaRecord& ca) {
    tx.exec(kAddCa,
            {ca.name, ca.role, ca.parent, ca.key_label, ca.key_type, ca.serial, ca.created_at});
}

void PostgresCertificates::add_service(Connection& tx, std::string_view role, ByteView serial,
                                       Clock::time_point created_at) {
    tx.exec(kAddService, {role, serial, created_at});
}

void PostgresCertificates::replace_service(Connection& tx, std::string_view role, ByteView serial,
                                           Clock::time_point created_at) {
    tx.exec(kReplaceService, {role, serial, created_at});
}

std::int64_t PostgresCertificates::next_crl_number(Connection& tx, std::string_view issuer_ca) {
    // The CA's row lock orders CRLs of one CA across nodes: two nodes never sign the same number.
    if (tx.exec(kLockCa, {issuer_ca}).empty())
        throw Error(Errc::not_found, "no CA named '" + std::string(issuer_ca) + "'");
    return tx.exec(kNextCrlNumber, {issuer_ca}).one()["next"].int64();
}

void PostgresCertificates::add_crl(Connection& tx, const CrlRecord& crl) {
    tx.exec(kAddCrl,
            {crl.issuer_ca, crl.number, crl.this_update, crl.next_update, crl.der, crl.entries});
}

}  // namespace signet::store
