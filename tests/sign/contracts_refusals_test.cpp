// What the contract service refuses, and that a refusal changes nothing (every table compared
// before and after): illegal transitions from every state, signers out of order, revisions not
// built on the current one, approvals by the wrong people, drafts the RA does not allow, a TSA
// that is down, a database that goes away in the middle of a creation.
#include <boost/test/unit_test.hpp>

#include "tests/sign/contracts_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

// `operation` fails with `code` and `needle`, and every table is as it was.
template <class F>
void refused_unchanged(ContractsFixture& f, F&& operation, Errc code, const std::string& needle) {
    const std::string before = f.tables();
    const auto told = f.notifier->calls;
    expect_error(operation, code, needle);
    BOOST_CHECK_EQUAL(f.tables(), before);
    BOOST_CHECK(f.notifier->calls == told);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(contracts)

BOOST_AUTO_TEST_CASE(every_illegal_transition_is_refused_and_changes_nothing) {
    ContractsFixture f("contracts_illegal");
    const sign::Contract draft = f.create();
    const sign::Contract sent = f.service->send(f.create().record.id, f.caller);
    const sign::Contract partial = f.sign_as(f.service->send(f.create().record.id, f.caller), 1);
    sign::Contract signing = f.service->send(f.create().record.id, f.caller);
    for (int n = 1; n <= 3; ++n)
        signing = f.sign_as(signing, n);
    const sign::Contract completed = signing;
    const sign::Contract cancelled = f.service->cancel(f.create().record.id, f.caller);
    sign::ContractDraft soon = f.draft();
    soon.expires_at = f.clock.now() + 1h;
    const std::string expiring = f.service->send(f.create(soon, f.document).record.id, f.caller)
                                     .record.id;
    f.clock.advance(2h);
    BOOST_REQUIRE_EQUAL(f.service->expire_due(f.clock.now()), 1u);
    const sign::Contract expired = f.service->find(expiring, f.caller);

    // send: only a draft.
    for (const auto* c : {&sent, &partial, &completed, &cancelled, &expired})
        refused_unchanged(
            f, [&] { f.service->send(c->record.id, f.caller); }, Errc::failed_precondition,
            "is " + c->record.state + ": only a draft can be sent");
    // cancel: not a final state.
    for (const auto* c : {&completed, &cancelled, &expired})
        refused_unchanged(
            f, [&] { f.service->cancel(c->record.id, f.caller); }, Errc::failed_precondition,
            "only an open contract can be cancelled");
    // a signature: only sent or partially signed.
    for (const auto* c : {&draft, &completed, &cancelled, &expired}) {
        const sign::RevisionInput r = f.revision_after(*c, 1);
        refused_unchanged(
            f, [&] { f.service->record_signature(c->record.id, 1, r, "0a", f.caller); },
            Errc::failed_precondition, "it is not open for signatures");
    }
    // an approval: only while open.
    for (const auto* c : {&completed, &cancelled, &expired})
        refused_unchanged(
            f, [&] { f.service->record_approval(c->record.id, 3, f.representative.id, f.caller); },
            Errc::failed_precondition, "approvals are closed");
    // A contract that does not exist.
    refused_unchanged(
        f, [&] { f.service->send("0123456789abcdef0123456789abcdef", f.caller); }, Errc::not_found,
        "no contract");
    // A draft past its deadline cannot be sent.
    f.clock.advance(8 * 24h);
    refused_unchanged(
        f, [&] { f.service->send(draft.record.id, f.caller); }, Errc::failed_precondition,
        "passed its deadline");
}

BOOST_AUTO_TEST_CASE(only_the_due_signer_signs_on_the_current_revision) {
    ContractsFixture f("contracts_order");
    const sign::Contract sent = f.service->send(f.create().record.id, f.caller);
    const sign::RevisionInput second = f.revision_after(sent, 2);
    refused_unchanged(
        f, [&] { f.service->record_signature(sent.record.id, 2, second, "0a", f.caller); },
        Errc::failed_precondition, "is waiting for signer 1, not signer 2");
    refused_unchanged(
        f, [&] { f.service->record_signature(sent.record.id, 4, second, "0a", f.caller); },
        Errc::not_found, "has no signer 4");

    const sign::RevisionInput first = f.revision_after(sent, 1);
    const sign::Contract signed1 = f.service->record_signature(sent.record.id, 1, first, "0a",
                                                               f.caller);
    // Signing again, or a revision made from revision 0 while the contract is at 1.
    const sign::RevisionInput again = f.revision_after(signed1, 1);
    refused_unchanged(
        f, [&] { f.service->record_signature(sent.record.id, 1, again, "0a", f.caller); },
        Errc::failed_precondition, "has signer 1 signed already");
    refused_unchanged(
        f, [&] { f.service->record_signature(sent.record.id, 2, second, "0a", f.caller); },
        Errc::failed_precondition, "the signed revision was made from another one");

    // The revision must be the vault's document, and a document is one revision only.
    sign::RevisionInput wrong = f.revision_after(signed1, 2);
    wrong.size += 1;
    refused_unchanged(
        f, [&] { f.service->record_signature(sent.record.id, 2, wrong, "0a", f.caller); },
        Errc::invalid_argument, "SHA-256 or size is not the revision's");
    sign::RevisionInput reused = f.revision_after(signed1, 2);
    reused.document_id = first.document_id;
    reused.sha256 = first.sha256;
    reused.size = first.size;
    refused_unchanged(
        f, [&] { f.service->record_signature(sent.record.id, 2, reused, "0a", f.caller); },
        Errc::already_exists, "");
    sign::RevisionInput missing = f.revision_after(signed1, 2);
    missing.document_id = "00000000000000000000000000000000";
    refused_unchanged(
        f, [&] { f.service->record_signature(sent.record.id, 2, missing, "0a", f.caller); },
        Errc::invalid_argument, "'document_id' names no stored document");
    const sign::RevisionInput good = f.revision_after(signed1, 2);
    refused_unchanged(
        f, [&] { f.service->record_signature(sent.record.id, 2, good, "0xAB", f.caller); },
        Errc::invalid_argument, "'certificate_serial'");
    BOOST_CHECK_EQUAL(
        f.service->record_signature(sent.record.id, 2, good, "0b", f.caller).record.state,
        "partially_signed");
}

BOOST_AUTO_TEST_CASE(approvals_come_from_an_approver_who_is_not_the_agent) {
    ContractsFixture f("contracts_approvals");
    sign::ContractDraft d = f.draft();
    d.contract_type = "loan";
    const sign::Contract sent = f.service->send(f.create(d, f.document).record.id, f.caller);
    refused_unchanged(
        f, [&] { f.service->record_approval(sent.record.id, 3, f.agent.id, f.caller); },
        Errc::failed_precondition, "is the agent who applies the seal");
    refused_unchanged(
        f, [&] { f.service->record_approval(sent.record.id, 3, f.bob.id, f.caller); },
        Errc::failed_precondition, "is not an agent of organization");
    refused_unchanged(
        f, [&] { f.service->record_approval(sent.record.id, 1, f.representative.id, f.caller); },
        Errc::invalid_argument, "is a person, not a seal");
    // Approved once; the same approver again is refused.
    f.service->record_approval(sent.record.id, 3, f.representative.id, f.caller);
    refused_unchanged(
        f, [&] { f.service->record_approval(sent.record.id, 3, f.representative.id, f.caller); },
        Errc::already_exists, "already approved seal 3");
    // With its approval, the seal is applied when its turn comes.
    sign::Contract c = f.sign_as(f.sign_as(sent, 1), 2);
    BOOST_CHECK_EQUAL(c.approvals.size(), 1u);
    BOOST_CHECK_EQUAL(f.sign_as(c, 3).record.state, "completed");
}

BOOST_AUTO_TEST_CASE(drafts_the_rules_or_the_ra_refuse_store_nothing) {
    ContractsFixture f("contracts_drafts");
    const store::Subject unverified = f.add_person("Max Mustermann", kOtherPassport, "passport",
                                                   "DE");
    const auto refused = [&](sign::ContractDraft d, Errc code, const std::string& needle,
                             const Bytes& bytes) {
        refused_unchanged(f, [&] { f.create(d, bytes); }, code, needle);
    };
    const Bytes& doc = f.document;
    sign::ContractDraft d = f.draft();
    d.title = "";
    refused(d, Errc::invalid_argument, "'title'", doc);
    d = f.draft();
    d.title = std::string(201, 'x');
    refused(d, Errc::invalid_argument, "'title'", doc);
    d = f.draft();
    d.title = "Lease\u202Eexe";
    refused(d, Errc::invalid_argument, "'title'", doc);
    d = f.draft();
    d.metadata = nlohmann::json::array();
    refused(d, Errc::invalid_argument, "'metadata'", doc);
    d = f.draft();
    d.metadata = {{"blob", std::string(9000, 'a')}};
    refused(d, Errc::invalid_argument, "'metadata'", doc);
    d = f.draft();
    d.contract_type = "Loan!";
    refused(d, Errc::invalid_argument, "'contract_type'", doc);
    d = f.draft();
    d.amount = sign::Amount{5, "yuan"};
    refused(d, Errc::invalid_argument, "'amount.currency'", doc);
    d = f.draft();
    d.format = "docx";
    refused(d, Errc::invalid_argument, "'format'", doc);
    d = f.draft();
    d.signers.clear();
    refused(d, Errc::invalid_argument, "'signers'", doc);
    d = f.draft();
    d.signers.push_back({"person", f.alice.id, std::nullopt});
    refused(d, Errc::invalid_argument, "'signers[3].subject_id' is already a signer", doc);
    d = f.draft();
    d.signers[2].agent_id.reset();
    refused(d, Errc::invalid_argument, "'signers[2].agent_id' is required", doc);
    d = f.draft();
    d.expires_at = f.clock.now() - 1s;
    refused(d, Errc::invalid_argument, "'expires_at' must be in the future", doc);
    d = f.draft();
    d.expires_at = f.clock.now() + 91 * 24h;
    refused(d, Errc::invalid_argument, "'expires_at' is further away", doc);

    // The RA's standing of each signer.
    d = f.draft();
    d.signers[1].subject_id = unverified.id;
    refused(d, Errc::failed_precondition, "'signers[1].subject_id' (" +
                                              std::to_string(unverified.id) +
                                              ") is not verified to level 2", doc);
    d = f.draft();
    d.signers[0].subject_id = f.organization.id;
    refused(d, Errc::invalid_argument, "is not a person", doc);
    d = f.draft();
    d.signers[0].subject_id = 999999;
    refused(d, Errc::invalid_argument, "'signers[0].subject_id' names no subject", doc);
    d = f.draft();
    d.signers[2].agent_id = f.bob.id;
    refused(d, Errc::failed_precondition, "'signers[2].agent_id' may not apply the seal", doc);
    d = f.draft();
    d.signers[2].agent_id = f.representative.id;  // may approve, not apply
    refused(d, Errc::failed_precondition, "'signers[2].agent_id' may not apply the seal", doc);

    // A PDF is checked as it streams in; bytes are any bytes.
    refused(f.draft("pdf"), Errc::invalid_argument, "not a PDF", doc);
    const std::string short_pdf = "%PD";
    refused(f.draft("pdf"), Errc::invalid_argument, "not a PDF",
            Bytes(short_pdf.begin(), short_pdf.end()));
    const std::string pdf = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";
    BOOST_CHECK_EQUAL(f.create(f.draft("pdf"), Bytes(pdf.begin(), pdf.end())).record.format,
                      "pdf");
    BOOST_CHECK_EQUAL(f.create(f.draft("bytes"), Bytes{}).revisions[0].size, 0);
}

BOOST_AUTO_TEST_CASE(a_tsa_that_is_down_refuses_every_transition_and_changes_nothing) {
    ContractsFixture f("contracts_tsa_down");
    const sign::Contract draft = f.create();
    const sign::Contract sent = f.service->send(f.create().record.id, f.caller);
    f.tsa_down = true;
    // The creation's rows and document were written in its transaction before the TSA was
    // asked: all rolled back.
    refused_unchanged(f, [&] { f.create(); }, Errc::unavailable, "could not time-stamp");
    refused_unchanged(
        f, [&] { f.service->send(draft.record.id, f.caller); }, Errc::unavailable,
        "the test's TSA is down");
    refused_unchanged(
        f, [&] { f.service->cancel(draft.record.id, f.caller); }, Errc::unavailable,
        "could not time-stamp the contract's 'cancelled' event");
    const sign::RevisionInput r = f.revision_after(sent, 1);
    refused_unchanged(
        f, [&] { f.service->record_signature(sent.record.id, 1, r, "0a", f.caller); },
        Errc::unavailable, "could not time-stamp the contract's 'signed' event");
    f.clock.advance(8 * 24h);
    refused_unchanged(f, [&] { f.service->expire_due(f.clock.now()); }, Errc::unavailable,
                      "'expired' event");
    // Back up: the same transitions go through.
    f.tsa_down = false;
    BOOST_CHECK_EQUAL(f.service->expire_due(f.clock.now()), 1u);
    BOOST_CHECK_EQUAL(f.service->cancel(draft.record.id, f.caller).record.state, "cancelled");
}

BOOST_AUTO_TEST_CASE(a_database_gone_in_the_middle_of_a_creation_leaves_nothing_half_written) {
    ContractsFixture f("contracts_db_down");
    f.create();
    const std::string before = f.tables();
    sign::ContractUpload upload = f.service->create(f.draft(), f.caller);
    upload.write(ByteView(f.document).first(100 * 1024));  // chunks already inserted
    // Every other session of this database ends: the upload's transaction with it.
    f.database.with_connection([](store::Connection& c) {
        c.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    });
    expect_error(
        [&] {
            upload.write(ByteView(f.document).subspan(100 * 1024));
            upload.finish();
        },
        Errc::unavailable, "database unavailable");
    BOOST_CHECK_EQUAL(f.tables(), before);
    expect_error([&] { upload.finish(); }, Errc::failed_precondition, "has already ended");
    // The pool recovers; the next creation works.
    BOOST_CHECK_EQUAL(f.create().record.state, "draft");
}

BOOST_AUTO_TEST_SUITE_END()
