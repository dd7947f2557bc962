// The registry's organization agents (ra/registry.hpp): verified people authorized to act for an
// organization, each grant with its permissions, its written authorization and an expiry.
#include <algorithm>
#include <set>

#include "ra/registry_impl.hpp"

namespace signet::ra {

namespace {

const std::set<std::string, std::less<>> kPermissions = {"sign", "apply_seal", "approve_seal"};

void check_grant(const AgentGrant& grant, Clock::time_point now) {
    if (grant.person_id <= 0)
        fail(Errc::invalid_argument, "'person_id' is a subject id");
    if (grant.permissions.empty())
        fail(Errc::invalid_argument,
             "'permissions' lists at least one of sign, apply_seal, "
             "approve_seal");
    std::set<std::string> seen;
    for (const auto& permission : grant.permissions) {
        if (!kPermissions.contains(permission))
            fail(Errc::invalid_argument,
                 "'permissions' holds something other than sign, apply_seal, approve_seal");
        if (!seen.insert(permission).second)
            fail(Errc::invalid_argument, "'permissions' lists '" + permission + "' twice");
    }
    if (grant.valid_until <= now)
        fail(Errc::invalid_argument, "'valid_until' is not in the future");
    check_free_text("authorization_reference", grant.authorization_reference, 200);
    if (grant.authorization_sha256 && grant.authorization_sha256->size() != 32)
        fail(Errc::invalid_argument, "'authorization_sha256' is 32 bytes (SHA-256)");
}

Agent to_agent(const store::AgentRecord& r) {
    return Agent{r.id,
                 r.organization_id,
                 r.person_id,
                 r.permissions,
                 r.valid_until,
                 r.authorization_reference,
                 r.authorization_sha256,
                 r.granted_by,
                 r.granted_at,
                 r.revoked_at,
                 r.revoked_by.value_or("")};
}

std::string agent_ref(std::int64_t id) {
    return "agent " + std::to_string(id);
}

}  // namespace

Agent Registry::grant_agent(std::int64_t organization_id, const AgentGrant& grant,
                            const std::string& actor) {
    const Clock::time_point now = impl_->deps.clock.now();
    check_grant(grant, now);
    return impl_->deps.database.transaction([&](store::Connection& tx) {
        const store::Subject organization = impl_->lock_active(tx, organization_id);
        if (organization.kind != "organization")
            fail(Errc::failed_precondition,
                 subject_ref(organization_id) + " is a person, not an organization");
        // Who acts for an organization is only as sure as the organization itself.
        if (organization.assurance_level < 1)
            fail(Errc::failed_precondition,
                 "organization " + std::to_string(organization_id) +
                     " is not verified (assurance level 0); it must be before it has agents");
        const store::Subject person =
            impl_->lock_related(tx, grant.person_id, "person", "person_id");
        if (person.assurance_level < 1)
            fail(Errc::failed_precondition,
                 "'person_id': " + subject_ref(person.id) +
                     " is not verified (assurance level 0); an agent must be");
        store::AgentRecord record{0,
                                  organization_id,
                                  grant.person_id,
                                  grant.permissions,
                                  grant.valid_until,
                                  grant.authorization_reference,
                                  grant.authorization_sha256,
                                  actor,
                                  now,
                                  std::nullopt,
                                  std::nullopt};
        record.id = impl_->agents.add(tx, record);
        impl_->audit(tx, "organization.agent_granted", actor, organization_id,
                     {{"agent_id", record.id},
                      {"person_id", record.person_id},
                      {"permissions", record.permissions},
                      {"valid_until", format_utc(record.valid_until)},
                      {"authorization_reference", record.authorization_reference}});
        return to_agent(record);
    });
}

Agent Registry::revoke_agent(std::int64_t organization_id, std::int64_t agent_id,
                             const std::string& actor) {
    return impl_->deps.database.transaction([&](store::Connection& tx) {
        auto record = impl_->agents.lock(tx, organization_id, agent_id);
        if (!record)
            fail(Errc::not_found, subject_ref(organization_id) + " has no " + agent_ref(agent_id));
        if (record->revoked_at)
            fail(Errc::failed_precondition, "the authorization of " + agent_ref(agent_id) +
                                                " was revoked at " +
                                                format_utc(*record->revoked_at));
        const Clock::time_point now = impl_->deps.clock.now();
        impl_->agents.revoke(tx, agent_id, now, actor);
        record->revoked_at = now;
        record->revoked_by = actor;
        impl_->audit(tx, "organization.agent_revoked", actor, organization_id,
                     {{"agent_id", agent_id}, {"person_id", record->person_id}});
        return to_agent(*record);
    });
}

std::vector<Agent> Registry::agents(std::int64_t organization_id, bool include_inactive) {
    impl_->organization(organization_id);
    const Clock::time_point now = impl_->deps.clock.now();
    return impl_->deps.database.with_connection([&](store::Connection& c) {
        std::vector<Agent> out;
        for (const auto& record : impl_->agents.of_organization(
                 c, organization_id,
                 include_inactive ? std::nullopt : std::optional<Clock::time_point>(now)))
            out.push_back(to_agent(record));
        return out;
    });
}

void Registry::check_agent_may(std::int64_t organization_id, std::int64_t person_id,
                               const std::string& permission) {
    if (!kPermissions.contains(permission))
        fail(Errc::invalid_argument, "'permission' is sign, apply_seal or approve_seal");
    const store::Subject organization = impl_->organization(organization_id);
    if (organization.status != "active")
        fail(Errc::failed_precondition,
             "organization " + std::to_string(organization_id) + " is deactivated");
    // A changed identity (name, credit code, representative) took it back to level 0: no one
    // acts for it until it is verified again.
    if (organization.assurance_level < 1)
        fail(Errc::failed_precondition, "organization " + std::to_string(organization_id) +
                                            " is not verified (assurance level 0)");
    const auto person = impl_->subjects.find(person_id);
    if (!person)
        fail(Errc::not_found, "no subject with id " + std::to_string(person_id));
    if (person->status != "active")
        fail(Errc::failed_precondition, subject_ref(person_id) + " is deactivated");
    // A changed identity took the person back to level 0: not an agent until verified again.
    if (person->assurance_level < 1)
        fail(Errc::failed_precondition,
             subject_ref(person_id) + " is not verified (assurance level 0)");
    const Clock::time_point now = impl_->deps.clock.now();
    const auto grants = impl_->deps.database.with_connection(
        [&](store::Connection& c) { return impl_->agents.grants(c, organization_id, person_id); });
    const store::AgentRecord* latest = nullptr;
    for (const auto& grant : grants) {
        if (std::ranges::find(grant.permissions, permission) == grant.permissions.end())
            continue;
        if (!grant.revoked_at && grant.valid_until > now)
            return;
        latest = &grant;
    }
    if (latest == nullptr)
        fail(Errc::failed_precondition,
             subject_ref(person_id) + " is not an agent of organization " +
                 std::to_string(organization_id) + " for '" + permission + "'");
    if (latest->revoked_at)
        fail(Errc::failed_precondition, "the authorization of " + agent_ref(latest->id) +
                                            " was revoked at " + format_utc(*latest->revoked_at));
    fail(Errc::failed_precondition, "the authorization of " + agent_ref(latest->id) +
                                        " expired at " + format_utc(latest->valid_until));
}

}  // namespace signet::ra
