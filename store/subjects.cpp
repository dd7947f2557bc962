#include "store/subjects.hpp"

#include <algorithm>

namespace signet::store {

namespace {

#define SIGNET_SUBJECT_COLUMNS                                                                    \
    "id, kind, name, organization, country, id_masked, assurance_level, created_at, status, "     \
    "document_kind, document_hmac, mobile, email, legal_representative_id, verification_method, " \
    "verified_at, deactivated_at, updated_at"

constexpr Statement kFind{"subjects.find",
                          "SELECT " SIGNET_SUBJECT_COLUMNS " FROM subjects WHERE id = $1"};
constexpr Statement kLock{
    "subjects.lock", "SELECT " SIGNET_SUBJECT_COLUMNS " FROM subjects WHERE id = $1 FOR UPDATE"};
constexpr Statement kList{"subjects.list", "SELECT " SIGNET_SUBJECT_COLUMNS
                                           " FROM subjects WHERE id > $1 ORDER BY id LIMIT $2"};
constexpr Statement kFindByDocument{
    "subjects.find_active_by_document",
    "SELECT " SIGNET_SUBJECT_COLUMNS
    " FROM subjects WHERE document_kind = $1 AND document_hmac = $2::bytea AND status = 'active'"};
constexpr Statement kSearch{
    "subjects.search",
    "SELECT " SIGNET_SUBJECT_COLUMNS
    " FROM subjects WHERE id > $1 AND ($2::text IS NULL OR kind = $2) AND "
    "($3::text IS NULL OR status = $3) AND ($4::integer IS NULL OR assurance_level >= $4) AND "
    "($5::text IS NULL OR document_kind = $5) AND "
    "($6::bytea IS NULL OR document_hmac = $6::bytea) ORDER BY id LIMIT $7"};
constexpr Statement kInsert{
    "subjects.insert",
    "INSERT INTO subjects (kind, name, organization, country, id_masked, assurance_level, "
    "created_at, status, document_kind, document_hmac, mobile, email, legal_representative_id, "
    "verification_method, verified_at, deactivated_at, updated_at) VALUES ($1, $2, $3, $4, $5, "
    "$6, $7::timestamptz, $8, $9, $10::bytea, $11, $12, $13, $14, $15::timestamptz, "
    "$16::timestamptz, $17::timestamptz) RETURNING id"};
constexpr Statement kUpdate{
    "subjects.update",
    "UPDATE subjects SET name = $2, organization = $3, country = $4, id_masked = $5, "
    "assurance_level = $6, status = $7, document_kind = $8, document_hmac = $9::bytea, "
    "mobile = $10, email = $11, legal_representative_id = $12, verification_method = $13, "
    "verified_at = $14::timestamptz, deactivated_at = $15::timestamptz, "
    "updated_at = $16::timestamptz WHERE id = $1"};

#undef SIGNET_SUBJECT_COLUMNS

Subject from_row(const Row& row) {
    Subject s;
    s.id = row["id"].int64();
    s.kind = row["kind"].as<std::string>();
    s.name = row["name"].as<std::string>();
    s.organization = row["organization"].as<std::string>();
    s.country = row["country"].as<std::string>();
    s.id_masked = row["id_masked"].as<std::string>();
    s.assurance_level = row["assurance_level"].as<int>();
    s.created_at = row["created_at"].time();
    s.status = row["status"].as<std::string>();
    s.document_kind = row["document_kind"].as<std::string>();
    s.document_hmac = row["document_hmac"].optional<Bytes>();
    s.mobile = row["mobile"].as<std::string>();
    s.email = row["email"].as<std::string>();
    s.legal_representative_id = row["legal_representative_id"].optional<std::int64_t>();
    s.verification_method = row["verification_method"].as<std::string>();
    s.verified_at = row["verified_at"].optional<Clock::time_point>();
    s.deactivated_at = row["deactivated_at"].optional<Clock::time_point>();
    s.updated_at = row["updated_at"].time();
    return s;
}

std::vector<Subject> all_of(const Result& rows) {
    std::vector<Subject> out;
    out.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
        out.push_back(from_row(rows[i]));
    return out;
}

std::optional<Subject> first_of(const Result& rows) {
    if (rows.empty())
        return std::nullopt;
    return from_row(rows.one());
}

// The unique index subjects_active_document: the registry checks first and names the holder;
// this is the race two concurrent intakes of one document end in.
template <class F>
auto refusing_duplicate_document(F&& write) {
    try {
        return write();
    } catch (const DatabaseError& e) {
        if (e.sqlstate() == "23505")
            throw Error(Errc::already_exists, "an active subject already holds this document");
        throw;
    }
}

}  // namespace

std::optional<Subject> PostgresSubjects::find(std::int64_t id) {
    return database_.with_connection([&](Connection& c) { return first_of(c.exec(kFind, {id})); });
}

std::vector<Subject> PostgresSubjects::list(std::int64_t after_id, std::size_t limit) {
    return database_.with_connection([&](Connection& c) {
        return all_of(c.exec(kList, {after_id, limit}));
    });
}

std::vector<Subject> PostgresSubjects::search(const SubjectQuery& q) {
    return database_.with_connection([&](Connection& c) {
        return all_of(c.exec(kSearch, {q.after_id, q.kind, q.status, q.min_level, q.document_kind,
                                       q.document_hmac, std::min<std::size_t>(q.limit, 1000)}));
    });
}

std::int64_t PostgresSubjects::add(Connection& transaction, const Subject& s) {
    validate_subject(s);
    const Clock::time_point updated_at =
        s.updated_at == Clock::time_point{} ? s.created_at : s.updated_at;
    return refusing_duplicate_document([&] {
        return transaction
            .exec(kInsert, {s.kind, s.name, s.organization, s.country, s.id_masked,
                            s.assurance_level, s.created_at, s.status, s.document_kind,
                            s.document_hmac, s.mobile, s.email, s.legal_representative_id,
                            s.verification_method, s.verified_at, s.deactivated_at, updated_at})
            .one()["id"]
            .int64();
    });
}

std::optional<Subject> PostgresSubjects::lock(Connection& transaction, std::int64_t id) {
    return first_of(transaction.exec(kLock, {id}));
}

void PostgresSubjects::update(Connection& transaction, const Subject& s) {
    validate_subject(s);
    const auto updated = refusing_duplicate_document([&] {
        return transaction
            .exec(kUpdate, {s.id, s.name, s.organization, s.country, s.id_masked, s.assurance_level,
                            s.status, s.document_kind, s.document_hmac, s.mobile, s.email,
                            s.legal_representative_id, s.verification_method, s.verified_at,
                            s.deactivated_at, s.updated_at})
            .affected_rows();
    });
    if (updated == 0)
        throw Error(Errc::not_found, "no subject with id " + std::to_string(s.id));
}

std::optional<Subject> PostgresSubjects::find_active_by_document(Connection& transaction,
                                                                 std::string_view document_kind,
                                                                 ByteView document_hmac) {
    return first_of(transaction.exec(kFindByDocument, {document_kind, document_hmac}));
}

}  // namespace signet::store
