#include "store/subjects.hpp"

#include <algorithm>

#include "common/text.hpp"

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

// A name a person reads, of 1 to `max` characters (an empty optional one is fine).
void check_name_text(std::string_view field, const std::string& value, std::size_t max,
                     bool required, std::string_view bound) {
    const std::string quoted = "'" + std::string(field) + "'";
    if (value.empty()) {
        if (required)
            throw Error(Errc::invalid_argument, quoted + " is required");
        return;
    }
    if (const auto problem = name_text_problem(value))
        throw Error(Errc::invalid_argument, quoted + " " + *problem);
    if (std::ranges::all_of(value, [](char c) { return c == ' '; }))
        throw Error(Errc::invalid_argument, quoted + " is blank");
    const std::size_t length = utf8_length(value).value_or(0);
    if (length > max)
        throw Error(Errc::invalid_argument,
                    quoted + " has " + std::to_string(length) + " characters; at most " +
                        std::to_string(max) + " (RFC 5280 Appendix A " + std::string(bound) + ")");
}

}  // namespace

void validate_subject(const Subject& s) {
    if (s.kind != "person" && s.kind != "organization")
        throw Error(Errc::invalid_argument,
                    "'kind' is 'person' or 'organization', not " + quote_input(s.kind));
    check_name_text("name", s.name, 64, true, "ub-common-name: it becomes a CN or an O");
    check_name_text("organization", s.organization, 64, false, "ub-organization-name");
    if (s.country.size() != 2 ||
        !std::ranges::all_of(s.country, [](char c) { return c >= 'A' && c <= 'Z'; }))
        throw Error(
            Errc::invalid_argument,
            "'country' is two capital letters (ISO 3166-1 alpha-2), not " + quote_input(s.country));
    if (s.id_masked.size() > 64)
        throw Error(Errc::invalid_argument,
                    "'id_masked' has " + std::to_string(s.id_masked.size()) +
                        " characters; at most 64 (RFC 5280 Appendix A ub-serial-number)");
    // The value itself is not echoed: it is (part of) an identity number (DESIGN.md
    // invariant 6); the first character that does not fit is.
    const auto bad = std::ranges::find_if(
        s.id_masked, [](char c) { return !is_printable_string(std::string_view(&c, 1)); });
    if (bad != s.id_masked.end())
        throw Error(Errc::invalid_argument,
                    "'id_masked' has " + quote_input(std::string_view(&*bad, 1), 1) +
                        ", which is no PrintableString character (A-Z a-z 0-9 space ' ( ) + , - "
                        ". / : = ?): it may become the DN's serialNumber (X.520); mask digits "
                        "with 'X', not '*'");
    if (s.assurance_level < 0 || s.assurance_level > 10)
        throw Error(Errc::invalid_argument, "'assurance_level' is 0 to 10");
}

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
    validate_subject(s);
    return transaction
        .exec(kInsert, {s.kind, s.name, s.organization, s.country, s.id_masked, s.assurance_level,
                        s.created_at})
        .one()["id"]
        .int64();
}

}  // namespace signet::store
