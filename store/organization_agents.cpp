#include "store/organization_agents.hpp"

namespace signet::store {

namespace {

#define SIGNET_AGENT_COLUMNS                                                              \
    "id, organization_id, person_id, permissions, valid_until, authorization_reference, " \
    "authorization_sha256, granted_by, granted_at, revoked_at, revoked_by"

constexpr Statement kInsert{
    "organization_agents.insert",
    "INSERT INTO organization_agents (organization_id, person_id, permissions, valid_until, "
    "authorization_reference, authorization_sha256, granted_by, granted_at) VALUES ($1, $2, "
    "$3::text[], $4::timestamptz, $5, $6::bytea, $7, $8::timestamptz) RETURNING id"};
constexpr Statement kLock{"organization_agents.lock",
                          "SELECT " SIGNET_AGENT_COLUMNS
                          " FROM organization_agents "
                          "WHERE organization_id = $1 AND id = $2 FOR UPDATE"};
constexpr Statement kRevoke{"organization_agents.revoke",
                            "UPDATE organization_agents SET revoked_at = $2::timestamptz, "
                            "revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL"};
constexpr Statement kRevokeAll{
    "organization_agents.revoke_all_of",
    "UPDATE organization_agents SET revoked_at = $2::timestamptz, revoked_by = $3 "
    "WHERE (organization_id = $1 OR person_id = $1) AND revoked_at IS NULL"};
constexpr Statement kOfOrganization{
    "organization_agents.of_organization",
    "SELECT " SIGNET_AGENT_COLUMNS
    " FROM organization_agents WHERE organization_id = $1 AND "
    "($2::timestamptz IS NULL OR (revoked_at IS NULL AND valid_until > $2::timestamptz)) "
    "ORDER BY id"};
constexpr Statement kGrants{"organization_agents.grants",
                            "SELECT " SIGNET_AGENT_COLUMNS
                            " FROM organization_agents "
                            "WHERE organization_id = $1 AND person_id = $2 ORDER BY id"};

#undef SIGNET_AGENT_COLUMNS

AgentRecord from_row(const Row& row) {
    AgentRecord a;
    a.id = row["id"].int64();
    a.organization_id = row["organization_id"].int64();
    a.person_id = row["person_id"].int64();
    a.permissions = row["permissions"].text_array();
    a.valid_until = row["valid_until"].time();
    a.authorization_reference = row["authorization_reference"].as<std::string>();
    a.authorization_sha256 = row["authorization_sha256"].optional<Bytes>();
    a.granted_by = row["granted_by"].as<std::string>();
    a.granted_at = row["granted_at"].time();
    a.revoked_at = row["revoked_at"].optional<Clock::time_point>();
    a.revoked_by = row["revoked_by"].optional<std::string>();
    return a;
}

std::vector<AgentRecord> all_of(const Result& rows) {
    std::vector<AgentRecord> out;
    for (std::size_t i = 0; i < rows.size(); ++i)
        out.push_back(from_row(rows[i]));
    return out;
}

}  // namespace

std::int64_t PostgresOrganizationAgents::add(Connection& tx, const AgentRecord& a) {
    return tx
        .exec(kInsert,
              {a.organization_id, a.person_id, Param::text_array(a.permissions), a.valid_until,
               a.authorization_reference, a.authorization_sha256, a.granted_by, a.granted_at})
        .one()["id"]
        .int64();
}

std::optional<AgentRecord> PostgresOrganizationAgents::lock(Connection& tx,
                                                            std::int64_t organization_id,
                                                            std::int64_t id) {
    const Result rows = tx.exec(kLock, {organization_id, id});
    if (rows.empty())
        return std::nullopt;
    return from_row(rows.one());
}

bool PostgresOrganizationAgents::revoke(Connection& tx, std::int64_t id, Clock::time_point now,
                                        const std::string& by) {
    return tx.exec(kRevoke, {id, now, by}).affected_rows() == 1;
}

std::uint64_t PostgresOrganizationAgents::revoke_all_of(Connection& tx, std::int64_t subject_id,
                                                        Clock::time_point now,
                                                        const std::string& by) {
    return tx.exec(kRevokeAll, {subject_id, now, by}).affected_rows();
}

std::vector<AgentRecord> PostgresOrganizationAgents::of_organization(
    Connection& c, std::int64_t organization_id, std::optional<Clock::time_point> active_at) {
    return all_of(c.exec(kOfOrganization, {organization_id, active_at}));
}

std::vector<AgentRecord> PostgresOrganizationAgents::grants(Connection& c,
                                                            std::int64_t organization_id,
                                                            std::int64_t person_id) {
    return all_of(c.exec(kGrants, {organization_id, person_id}));
}

}  // namespace signet::store
