#include "store/subjects.hpp"

#include <algorithm>

namespace signet::store {

namespace {

#define SIGNET_SUBJECT_COLUMNS \
    "id, kind, name, organization, country, id_masked, assurance_level, created_at"

constexpr Statement kFind{"subjects.find",
                          "SELECT " SIGNET_SUBJECT_COLUMNS " FROM subjects WHERE id = $1"};
constexpr Statement kList{"subjects.list", "SELECT " SIGNET_SUBJECT_COLUMNS
                                           " FROM subjects WHERE id > $1 ORDER BY id LIMIT $2"};
constexpr Statement kInsert{
    "subjects.insert",
    "INSERT INTO subjects (kind, name, organization, country, id_masked, assurance_level, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz) RETURNING id"};

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
    return s;
}

void check(const Subject& s) {
    if (s.kind != "person" && s.kind != "organization")
        throw Error(Errc::invalid_argument, "a subject's kind is 'person' or 'organization'");
    if (s.name.empty() || s.name.size() > 200)
        throw Error(Errc::invalid_argument, "a subject's name has 1 to 200 characters");
    if (s.organization.size() > 200)
        throw Error(Errc::invalid_argument, "a subject's organization has at most 200 characters");
    if (s.country.size() != 2 ||
        !std::ranges::all_of(s.country, [](char c) { return c >= 'A' && c <= 'Z'; }))
        throw Error(Errc::invalid_argument,
                    "a subject's country is two capital letters (ISO 3166-1 alpha-2)");
    if (s.id_masked.size() > 64)
        throw Error(Errc::invalid_argument, "a masked identity number has at most 64 characters");
    if (s.assurance_level < 0 || s.assurance_level > 10)
        throw Error(Errc::invalid_argument, "an assurance level is 0 to 10");
}

}  // namespace

std::optional<Subject> PostgresSubjects::find(std::int64_t id) {
    return database_.with_connection([&](Connection& c) -> std::optional<Subject> {
        const Result rows = c.exec(kFind, {id});
        if (rows.empty())
            return std::nullopt;
        return from_row(rows.one());
    });
}

std::vector<Subject> PostgresSubjects::list(std::int64_t after_id, std::size_t limit) {
    return database_.with_connection([&](Connection& c) {
        const Result rows = c.exec(kList, {after_id, limit});
        std::vector<Subject> out;
        for (std::size_t i = 0; i < rows.size(); ++i)
            out.push_back(from_row(rows[i]));
        return out;
    });
}

std::int64_t PostgresSubjects::add(Connection& transaction, const Subject& s) {
    check(s);
    return transaction
        .exec(kInsert, {s.kind, s.name, s.organization, s.country, s.id_masked, s.assurance_level,
                        s.created_at})
        .one()["id"]
        .int64();
}

}  // namespace signet::store
