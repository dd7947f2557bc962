// The contract service's legal paths on real parts (tests/sign/contracts_fixture.hpp): creation
// with revision 0, the whole lifecycle of two persons and a seal in turn, approvals, expiry on
// the injected clock, reading back, listing by client; every event's token checked with
// `openssl ts -verify`.
#include <boost/test/unit_test.hpp>

#include "common/digest.hpp"
#include "tests/sign/contracts_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> event_types(const sign::Contract& c) {
    std::vector<std::string> types;
    for (const auto& e : c.events)
        types.push_back(e.type);
    return types;
}

std::vector<std::string> audit_types(ContractsFixture& f) {
    std::vector<std::string> types;
    for (const auto& e : f.events())
        if (e.event.type.starts_with("contract."))
            types.push_back(e.event.type);
    return types;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(contracts)

BOOST_AUTO_TEST_CASE(create_records_a_draft_its_document_as_revision_0_and_a_stamped_event) {
    ContractsFixture f("contracts_create");
    const sign::Contract c = f.create();
    BOOST_CHECK_EQUAL(c.record.id.size(), 32u);
    BOOST_CHECK_EQUAL(c.record.state, "draft");
    BOOST_CHECK_EQUAL(c.record.client, "frontend-1");
    BOOST_CHECK_EQUAL(c.record.title, "房屋租赁合同 2026-118");
    BOOST_CHECK_EQUAL(nlohmann::json::parse(c.record.metadata)["reference"], "R-118");
    BOOST_CHECK_EQUAL(*c.record.amount_minor, 1'200'000);
    BOOST_CHECK_EQUAL(*c.record.currency, "CNY");
    BOOST_CHECK(c.record.expires_at == c.record.created_at + 7 * 24h);
    BOOST_CHECK(!c.due_position());

    BOOST_REQUIRE_EQUAL(c.revisions.size(), 1u);
    const Sha256Digest digest = sha256_of(ByteView(f.document));
    BOOST_CHECK(std::ranges::equal(c.revisions[0].sha256, digest));
    BOOST_CHECK_EQUAL(c.revisions[0].size, static_cast<std::int64_t>(f.document.size()));
    BOOST_CHECK_EQUAL(c.revisions[0].kind, "original");
    BOOST_CHECK(f.vault->read_all(c.revisions[0].document_id) == f.document);

    BOOST_REQUIRE_EQUAL(c.signers.size(), 3u);
    BOOST_CHECK_EQUAL(c.signers[2].kind, "seal");
    BOOST_CHECK_EQUAL(*c.signers[2].agent_id, f.agent.id);
    // A lease of 12,000.00 CNY matches neither rule: no approval needed.
    BOOST_CHECK_EQUAL(c.signers[2].approvals_required, 0);

    BOOST_REQUIRE_EQUAL(c.events.size(), 1u);
    BOOST_CHECK_EQUAL(c.events[0].type, "created");
    const auto canonical = nlohmann::json::parse(c.events[0].canonical);
    BOOST_CHECK_EQUAL(canonical["revision"]["sha256"], to_hex(digest));
    BOOST_CHECK_EQUAL(canonical["contract"], c.record.id);
    const auto audit = f.events().back();
    BOOST_CHECK_EQUAL(audit.event.type, "contract.created");
    BOOST_CHECK_EQUAL(audit.event.object, "contract:" + c.record.id);
    BOOST_CHECK_EQUAL(audit.event.actor, "client:frontend-1");
    BOOST_CHECK_EQUAL(audit.event.details["event_sha256"], to_hex(c.events[0].event_sha256));
    f.verify_event_tokens(c);
}

BOOST_AUTO_TEST_CASE(two_persons_and_a_seal_sign_in_turn_to_completion) {
    ContractsFixture f("contracts_lifecycle");
    sign::ContractDraft d = f.draft();
    d.contract_type = "loan";  // the seal needs one approval
    sign::Contract c = f.create(d, f.document);
    BOOST_CHECK_EQUAL(c.signers[2].approvals_required, 1);

    c = f.service->send(c.record.id, f.caller);
    BOOST_CHECK_EQUAL(c.record.state, "sent");
    BOOST_CHECK(c.record.sent_at.has_value());
    BOOST_CHECK_EQUAL(*c.due_position(), 1);

    c = f.sign_as(c, 1);
    BOOST_CHECK_EQUAL(c.record.state, "partially_signed");
    BOOST_CHECK_EQUAL(c.record.current_revision, 1);
    BOOST_CHECK_EQUAL(c.signers[0].state, "signed");
    BOOST_CHECK_EQUAL(*c.signers[0].certificate_serial, "5a3f10c");
    BOOST_CHECK_EQUAL(*c.signers[0].revision, 1);
    BOOST_CHECK_EQUAL(*c.due_position(), 2);

    c = f.sign_as(c, 2);
    BOOST_CHECK_EQUAL(*c.due_position(), 3);
    c = f.service->record_approval(c.record.id, 3, f.representative.id, f.caller);
    BOOST_REQUIRE_EQUAL(c.approvals.size(), 1u);
    BOOST_CHECK_EQUAL(c.approvals[0].approver_id, f.representative.id);
    c = f.sign_as(c, 3);
    BOOST_CHECK_EQUAL(c.record.state, "completed");
    BOOST_CHECK(c.record.completed_at.has_value());
    BOOST_CHECK(!c.due_position());
    BOOST_REQUIRE_EQUAL(c.revisions.size(), 4u);
    for (int n = 1; n <= 3; ++n) {
        BOOST_CHECK_EQUAL(c.revisions[n].kind, "signature");
        BOOST_CHECK_EQUAL(*c.revisions[n].signer_position, n);
    }

    const std::vector<std::string> expected = {"created", "sent",     "signed",   "signed",
                                               "approved", "signed", "completed"};
    BOOST_CHECK(event_types(c) == expected);
    const std::vector<std::string> audited = {
        "contract.created", "contract.sent",   "contract.signed",   "contract.signed",
        "contract.approved", "contract.signed", "contract.completed"};
    BOOST_CHECK(audit_types(f) == audited);
    const std::vector<std::string> told = {"due:1", "due:2", "due:3", "completed"};
    BOOST_CHECK(f.notifier->calls == told);
    // The "signed" event of signer 3 names the revision it produced.
    const auto signed3 = nlohmann::json::parse(c.events[5].canonical);
    BOOST_CHECK_EQUAL(signed3["revision"]["number"], 3);
    BOOST_CHECK_EQUAL(signed3["revision"]["sha256"], to_hex(c.revisions[3].sha256));
    BOOST_CHECK_EQUAL(signed3["details"]["signer"], 3);
    f.verify_event_tokens(c);

    // Each revision's bytes come back from the vault.
    sign::VaultReader reader = f.service->document(c.record.id, 0, f.caller);
    Bytes back;
    while (auto piece = reader.next())
        back.insert(back.end(), piece->begin(), piece->end());
    BOOST_CHECK(back == f.document);
}

BOOST_AUTO_TEST_CASE(a_seal_over_the_amount_needs_two_approvals) {
    ContractsFixture f("contracts_amount");
    store::Subject second = f.add_person("Erika Mustermann", kPassport, "passport", "DE");
    second = f.registry->verify_manually(second.id, {2, "seen at branch 12", kPassport},
                                         "client:officer");
    f.registry->grant_agent(f.organization.id,
                            {second.id, {"approve_seal"}, f.clock.now() + 24h, "LOA-3", {}},
                            "client:officer");
    sign::ContractDraft d = f.draft();
    d.signers = {{"seal", f.organization.id, f.agent.id}};
    d.amount = sign::Amount{100'000'000, "CNY"};
    sign::Contract c = f.service->send(f.create(d, f.document).record.id, f.caller);
    BOOST_CHECK_EQUAL(c.signers[0].approvals_required, 2);
    c = f.service->record_approval(c.record.id, 1, f.representative.id, f.caller);
    expect_error([&] { f.sign_as(c, 1); }, Errc::failed_precondition,
                 "needs 2 approval(s) of seal 1 first (1 recorded)");
    c = f.service->record_approval(c.record.id, 1, second.id, f.caller);
    c = f.sign_as(c, 1);
    BOOST_CHECK_EQUAL(c.record.state, "completed");
    // The same amount in another currency matches no rule.
    d.amount = sign::Amount{100'000'000, "USD"};
    BOOST_CHECK_EQUAL(f.create(d, f.document).signers[0].approvals_required, 0);
}

BOOST_AUTO_TEST_CASE(cancel_ends_a_draft_a_sent_and_a_partially_signed_contract) {
    ContractsFixture f("contracts_cancel");
    const sign::Contract draft = f.create();
    const sign::Contract sent = f.service->send(f.create().record.id, f.caller);
    const sign::Contract partial = f.sign_as(f.service->send(f.create().record.id, f.caller), 1);
    f.notifier->calls.clear();
    for (const auto* c : {&draft, &sent, &partial}) {
        const sign::Contract done = f.service->cancel(c->record.id, f.caller);
        BOOST_CHECK_EQUAL(done.record.state, "cancelled");
        BOOST_CHECK(done.record.cancelled_at.has_value());
        BOOST_CHECK_EQUAL(done.events.back().type, "cancelled");
        f.verify_event_tokens(done);
    }
    const std::vector<std::string> told = {"cancelled", "cancelled", "cancelled"};
    BOOST_CHECK(f.notifier->calls == told);
}

BOOST_AUTO_TEST_CASE(expire_due_expires_open_contracts_past_their_deadline_on_the_clock) {
    ContractsFixture f("contracts_expiry");
    const sign::Contract draft = f.create();
    const sign::Contract sent = f.service->send(f.create().record.id, f.caller);
    const sign::Contract partial = f.sign_as(f.service->send(f.create().record.id, f.caller), 1);
    sign::ContractDraft later = f.draft();
    later.expires_at = f.clock.now() + 30 * 24h;
    const sign::Contract not_yet = f.service->send(f.create(later, f.document).record.id, f.caller);
    f.notifier->calls.clear();

    BOOST_CHECK_EQUAL(f.service->expire_due(f.clock.now()), 0u);
    f.clock.advance(7 * 24h);  // exactly the default deadline
    // Past the deadline nobody signs, even before the periodic task ran.
    expect_error([&] { f.sign_as(partial, 2); }, Errc::failed_precondition, "passed its deadline");
    BOOST_CHECK_EQUAL(f.service->expire_due(f.clock.now()), 2u);
    BOOST_CHECK_EQUAL(f.service->find(sent.record.id, f.caller).record.state, "expired");
    const sign::Contract expired = f.service->find(partial.record.id, f.caller);
    BOOST_CHECK_EQUAL(expired.record.state, "expired");
    BOOST_CHECK(*expired.record.expired_at == f.clock.now());
    BOOST_CHECK_EQUAL(expired.events.back().type, "expired");
    f.verify_event_tokens(expired);
    // A draft is not expired (it was never sent); nor is a contract with a later deadline.
    BOOST_CHECK_EQUAL(f.service->find(draft.record.id, f.caller).record.state, "draft");
    BOOST_CHECK_EQUAL(f.service->find(not_yet.record.id, f.caller).record.state, "sent");
    const std::vector<std::string> told = {"expired", "expired"};
    BOOST_CHECK(f.notifier->calls == told);
    BOOST_CHECK_EQUAL(f.service->expire_due(f.clock.now()), 0u);
    BOOST_CHECK_EQUAL(f.events().back().event.actor, "system");
}

BOOST_AUTO_TEST_CASE(a_client_sees_only_its_own_contracts_and_lists_them_in_pages) {
    ContractsFixture f("contracts_clients");
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(f.create().record.id);
        f.clock.advance(1s);
    }
    const sign::ContractCaller other{"client:frontend-2", "frontend-2"};
    const sign::Contract theirs = f.service->create(f.draft(), f.document, other);
    expect_error([&] { f.service->find(theirs.record.id, f.caller); }, Errc::not_found,
                 "no contract");
    expect_error([&] { f.service->cancel(theirs.record.id, f.caller); }, Errc::not_found,
                 "no contract");
    f.service->send(ids[1], f.caller);

    // Newest first, two per page, only frontend-1's.
    store::ContractQuery query;
    query.limit = 2;
    std::vector<std::string> seen;
    for (;;) {
        const auto page = f.service->list(query, f.caller);
        for (const auto& c : page)
            seen.push_back(c.id);
        if (page.size() < 2)
            break;
        query.before_id = page.back().id;
    }
    const std::vector<std::string> expected(ids.rbegin(), ids.rend());
    BOOST_CHECK(seen == expected);
    query = {};
    query.state = "sent";
    const auto sent = f.service->list(query, f.caller);
    BOOST_REQUIRE_EQUAL(sent.size(), 1u);
    BOOST_CHECK_EQUAL(sent[0].id, ids[1]);
    // An operator sees every client's.
    BOOST_CHECK_EQUAL(f.service->list({}, {"operator:alice", std::nullopt}).size(), 6u);
}

BOOST_AUTO_TEST_SUITE_END()
