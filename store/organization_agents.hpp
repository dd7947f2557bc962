#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::store {

// A person's authorization to act for an organization (store migration 8, table
// organization_agents). Revoked, never deleted: the record of who could act when.
struct AgentRecord {
    std::int64_t id = 0;
    std::int64_t organization_id = 0;
    std::int64_t person_id = 0;
    std::vector<std::string> permissions;  // "sign", "apply_seal", "approve_seal"
    Clock::time_point valid_until;
    std::string authorization_reference;
    std::optional<Bytes> authorization_sha256;
    std::string granted_by;
    Clock::time_point granted_at;
    std::optional<Clock::time_point> revoked_at;
    std::optional<std::string> revoked_by;
};

// Every method runs on the caller's connection (the writes in its transaction, with the audit
// event that reports them).
class PostgresOrganizationAgents {
  public:
    // Returns the new id.
    std::int64_t add(Connection& transaction, const AgentRecord& agent);
    // The organization's grant `id`, locked (FOR UPDATE) until the transaction ends.
    std::optional<AgentRecord> lock(Connection& transaction, std::int64_t organization_id,
                                    std::int64_t id);
    // Revokes the grant if it is not revoked yet; false when it was.
    bool revoke(Connection& transaction, std::int64_t id, Clock::time_point now,
                const std::string& by);
    // Revokes every unrevoked grant of the subject, as the organization or as the agent;
    // returns how many.
    std::uint64_t revoke_all_of(Connection& transaction, std::int64_t subject_id,
                                Clock::time_point now, const std::string& by);
    // The organization's grants by id; with `active_at`, only those unrevoked and valid then.
    std::vector<AgentRecord> of_organization(Connection& connection, std::int64_t organization_id,
                                             std::optional<Clock::time_point> active_at);
    // Every grant of the person for the organization, by id.
    std::vector<AgentRecord> grants(Connection& connection, std::int64_t organization_id,
                                    std::int64_t person_id);
};

}  // namespace signet::store
