// Organizations' agents through the registry on real parts: a grant, its expiry (on the
// injected clock), its revocation, and what check_agent_may says in each case.
#include <boost/test/unit_test.hpp>

#include "tests/ra/registry_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

struct AgentsFixture : RegistryFixture {
    AgentsFixture() : RegistryFixture("registry_agents") {
        representative = add_verified_person("李雷", kLiLeiId);
        organization = add_organization("华为技术有限公司", kHuaweiUscc, representative.id);
        // Only a verified organization has agents (Registry::grant_agent).
        organization = registry->verify_manually(
            organization.id, {2, "licence seen at branch 12", kHuaweiUscc}, "client:officer");
        agent = add_verified_person("王芳", kWangFangId);
    }
    ra::AgentGrant grant(std::vector<std::string> permissions = {"sign", "apply_seal"}) const {
        return {agent.id, std::move(permissions), clock.now() + 24h, "LOA-2026-0042",
                Bytes(32, 0xab)};
    }
    store::Subject representative, organization, agent;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_agents)

BOOST_AUTO_TEST_CASE(a_granted_agent_may_act_until_the_grant_expires) {
    AgentsFixture f;
    const auto granted = f.registry->grant_agent(f.organization.id, f.grant(), "client:test");
    BOOST_CHECK_GT(granted.id, 0);
    BOOST_CHECK_EQUAL(granted.granted_by, "client:test");
    BOOST_CHECK_EQUAL(f.events().back().event.type, "organization.agent_granted");
    BOOST_CHECK_NO_THROW(f.registry->check_agent_may(f.organization.id, f.agent.id, "sign"));
    BOOST_CHECK_NO_THROW(f.registry->check_agent_may(f.organization.id, f.agent.id, "apply_seal"));
    expect_error(
        [&] { f.registry->check_agent_may(f.organization.id, f.agent.id, "approve_seal"); },
        Errc::failed_precondition, "is not an agent of organization");
    expect_error([&] { f.registry->check_agent_may(f.organization.id, f.agent.id, "delete"); },
                 Errc::invalid_argument, "'permission'");
    BOOST_CHECK_EQUAL(f.registry->agents(f.organization.id, false).size(), 1u);

    f.clock.advance(25h);
    expect_error([&] { f.registry->check_agent_may(f.organization.id, f.agent.id, "sign"); },
                 Errc::failed_precondition,
                 "the authorization of agent " + std::to_string(granted.id) + " expired at " +
                     format_utc(granted.valid_until));
    BOOST_CHECK(f.registry->agents(f.organization.id, false).empty());
    BOOST_CHECK_EQUAL(f.registry->agents(f.organization.id, true).size(), 1u);
}

BOOST_AUTO_TEST_CASE(a_revoked_grant_ends_at_once) {
    AgentsFixture f;
    const auto granted = f.registry->grant_agent(f.organization.id, f.grant(), "client:test");
    const auto revoked = f.registry->revoke_agent(f.organization.id, granted.id, "client:rev");
    BOOST_REQUIRE(revoked.revoked_at.has_value());
    BOOST_CHECK_EQUAL(revoked.revoked_by, "client:rev");
    BOOST_CHECK_EQUAL(f.events().back().event.type, "organization.agent_revoked");
    expect_error([&] { f.registry->check_agent_may(f.organization.id, f.agent.id, "sign"); },
                 Errc::failed_precondition, "was revoked at");
    expect_error([&] { f.registry->revoke_agent(f.organization.id, granted.id, "client:rev"); },
                 Errc::failed_precondition, "was revoked at");
    expect_error([&] { f.registry->revoke_agent(f.organization.id, granted.id + 9, "c:r"); },
                 Errc::not_found, "has no agent");
    // A new grant after the revoked one counts.
    f.registry->grant_agent(f.organization.id, f.grant({"sign"}), "client:test");
    BOOST_CHECK_NO_THROW(f.registry->check_agent_may(f.organization.id, f.agent.id, "sign"));
}

BOOST_AUTO_TEST_CASE(a_grant_is_refused_for_a_bad_field_or_an_unverified_person) {
    AgentsFixture f;
    const auto refused = [&](ra::AgentGrant g, Errc code, const std::string& needle) {
        const auto rows = f.count("SELECT count(*) FROM organization_agents");
        expect_error([&] { f.registry->grant_agent(f.organization.id, g, "client:test"); }, code,
                     needle);
        BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM organization_agents"), rows);
    };
    refused(f.grant({}), Errc::invalid_argument, "'permissions'");
    refused(f.grant({"sign", "own"}), Errc::invalid_argument, "'permissions'");
    refused(f.grant({"sign", "sign"}), Errc::invalid_argument, "'permissions' lists 'sign' twice");
    auto g = f.grant();
    g.valid_until = f.clock.now() - 1s;
    refused(g, Errc::invalid_argument, "'valid_until'");
    g = f.grant();
    g.authorization_reference = "";
    refused(g, Errc::invalid_argument, "'authorization_reference'");
    g = f.grant();
    g.authorization_sha256 = Bytes(31, 1);
    refused(g, Errc::invalid_argument, "'authorization_sha256'");
    const auto unverified = f.add_person("张伟", kZhangWeiId);
    g = f.grant();
    g.person_id = unverified.id;
    refused(g, Errc::failed_precondition, "is not verified");
    g.person_id = f.organization.id;
    refused(g, Errc::failed_precondition, "'person_id'");
    g.person_id = 999999;
    refused(g, Errc::not_found, "'person_id'");
    expect_error([&] { f.registry->grant_agent(f.agent.id, f.grant(), "client:test"); },
                 Errc::failed_precondition, "is a person, not an organization");
}

BOOST_AUTO_TEST_CASE(deactivation_revokes_the_grants_of_and_to_a_subject) {
    AgentsFixture f;
    f.registry->grant_agent(f.organization.id, f.grant(), "client:test");
    f.registry->deactivate(f.agent.id, "left the company", "client:test");
    BOOST_CHECK_EQUAL(
        f.count("SELECT count(*) FROM organization_agents WHERE revoked_at IS NOT NULL"), 1);
    expect_error([&] { f.registry->check_agent_may(f.organization.id, f.agent.id, "sign"); },
                 Errc::failed_precondition, "is deactivated");

    const auto other = f.add_verified_person("张伟", kZhangWeiId);
    auto g = f.grant();
    g.person_id = other.id;
    f.registry->grant_agent(f.organization.id, g, "client:test");
    // Deactivating the organization revokes the grants it made.
    f.registry->deactivate(f.organization.id, "dissolved", "client:test");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM organization_agents WHERE revoked_at IS NULL"),
                      0);
    expect_error([&] { f.registry->check_agent_may(f.organization.id, other.id, "sign"); },
                 Errc::failed_precondition, "is deactivated");
}

BOOST_AUTO_TEST_SUITE_END()
