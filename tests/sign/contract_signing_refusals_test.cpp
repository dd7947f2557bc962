// What sole control refuses (sign/contract_signing.hpp), each time with nothing signed and
// nothing of the contract changed: codes of another contract or revision, wrong, expired and
// replayed codes, signers out of turn, cancelled contracts, revoked or wrong-profile
// certificates, seals without their approvals or agent, and a TSA, validation source or
// certificate that fails while the signature is being made.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "ca/crl.hpp"
#include "common/error.hpp"
#include "ra/otp_limits.hpp"
#include "tests/sign/pdf_kit.hpp"
#include "tests/sign/signing_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

// The contract tables and the documents (the OTP tables and the audit log change on a refusal:
// a wrong code is counted, a refusal may be audited).
std::string contract_tables(SigningFixture& f) {
    std::string all;
    for (const char* table : {"contracts", "contract_signers", "contract_revisions",
                              "contract_events", "documents"}) {
        all += std::string(table) + ":\n";
        f.database.with_connection([&](store::Connection& c) {
            all += std::string(c.exec(std::string("SELECT coalesce(string_agg(t::text, E'\\n' "
                                                  "ORDER BY t::text), '') FROM ") +
                                      table + " t")
                                   .one()[0]
                                   .text()) +
                   "\n";
        });
    }
    return all + "chunks: " + std::to_string(f.count("SELECT count(*) FROM document_chunks"));
}

template <class F>
void refused_unchanged(SigningFixture& f, F&& action, Errc code, const std::string& words) {
    const std::string before = contract_tables(f);
    try {
        action();
        BOOST_ERROR("not refused: expected '" << words << "'");
    } catch (const Error& e) {
        BOOST_TEST(static_cast<int>(e.code()) == static_cast<int>(code), e.what());
        BOOST_TEST(std::string(e.what()).find(words) != std::string::npos,
                   "'" << e.what() << "' does not say '" << words << "'");
    }
    BOOST_TEST(contract_tables(f) == before);
}

template <class F>
void otp_refused_unchanged(SigningFixture& f, F&& action, ra::OtpFailure failure) {
    const std::string before = contract_tables(f);
    try {
        action();
        BOOST_ERROR("not refused");
    } catch (const ra::OtpError& e) {
        BOOST_TEST(static_cast<int>(e.failure()) == static_cast<int>(failure), e.what());
    }
    BOOST_TEST(contract_tables(f) == before);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(contract_signing)

BOOST_AUTO_TEST_CASE(a_code_signs_only_its_contract_signer_and_revision) {
    SigningFixture f("signing_binding");
    const sign::Contract a = f.sent_contract("bytes");
    const sign::Contract b = f.sent_contract("bytes");
    const auto sms = f.sms(a, 1);

    // Another contract with the same signer and document: the code is not for it.
    sign::SigningRequest on_b = f.request(a, sms);
    on_b.authorization.revision_sha256 = b.revisions.back().sha256;
    otp_refused_unchanged(
        f, [&] { f.signing->sign(b.record.id, 1, on_b, f.caller); }, ra::OtpFailure::not_found);
    // The same contract, but the signer names a revision it is not at.
    sign::SigningRequest stale = f.request(a, sms);
    stale.authorization.revision_sha256[0] ^= 0x01;
    refused_unchanged(
        f, [&] { f.signing->sign(a.record.id, 1, stale, f.caller); }, Errc::failed_precondition,
        "'revision_sha256' names another one");

    // Neither refusal spent it: it signs what it was issued for, once.
    const sign::Contract signed_a = f.signing->sign(a.record.id, 1, f.request(a, sms), f.caller);
    BOOST_TEST(signed_a.record.state == "partially_signed");
    refused_unchanged(
        f, [&] { f.signing->sign(a.record.id, 1, f.request(signed_a, sms), f.caller); },
        Errc::failed_precondition, "has signer 1 signed already");
    // Bob's turn on contract a: alice's code is not bob's, nor for this revision.
    sign::SigningRequest as_bob = f.request(signed_a, sms);
    otp_refused_unchanged(
        f, [&] { f.signing->sign(a.record.id, 2, as_bob, f.caller); }, ra::OtpFailure::not_found);
}

BOOST_AUTO_TEST_CASE(wrong_expired_and_replayed_codes_sign_nothing) {
    SigningFixture f("signing_codes");
    const sign::Contract c = f.sent_contract("pdf");

    auto sms = f.sms(c, 1);
    sign::SigningRequest wrong = f.request(c, sms);
    wrong.authorization.code = sms.code == "000000" ? "111111" : "000000";
    otp_refused_unchanged(
        f, [&] { f.signing->sign(c.record.id, 1, wrong, f.caller); }, ra::OtpFailure::wrong_code);

    f.clock.advance(f.otp_policy.lifetime + 1s);
    otp_refused_unchanged(
        f, [&] { f.signing->sign(c.record.id, 1, f.request(c, sms), f.caller); },
        ra::OtpFailure::expired);

    // A TSA that is down: the signature fails after the code was spent; nothing is recorded,
    // and the code cannot be used again (single use), a new one can.
    sms = f.sms(c, 1);
    f.signing_tsa_down = true;
    refused_unchanged(
        f, [&] { f.signing->sign(c.record.id, 1, f.request(c, sms), f.caller); },
        Errc::unavailable, "TSA is down");
    f.signing_tsa_down = false;
    otp_refused_unchanged(
        f, [&] { f.signing->sign(c.record.id, 1, f.request(c, sms), f.caller); },
        ra::OtpFailure::already_used);
    BOOST_TEST(f.sign_with_sms(c, 1).record.state == "partially_signed");

}

BOOST_AUTO_TEST_CASE(the_code_hash_binds_the_position_and_the_revision) {
    // The same subject, challenge and code: only the purpose it was issued for accepts it.
    SigningFixture f("signing_purpose");
    const sign::Contract c = f.sent_contract("bytes");
    const auto sms = f.sms(c, 1);
    const Bytes sha = c.revisions[0].sha256;
    Bytes other_sha = sha;
    other_sha[31] ^= 0x01;
    BOOST_TEST(sign::signing_purpose(c.record.id, 1, sha) ==
               "contract-sign:" + c.record.id + ":1:" + to_hex(sha));
    for (const std::string& purpose : {sign::signing_purpose(c.record.id, 2, sha),
                                       sign::signing_purpose(c.record.id, 1, other_sha)}) {
        try {
            f.challenges->verify(*sms.challenge.challenge_id, f.alice.id, purpose, sms.code);
            BOOST_ERROR("accepted for " << purpose);
        } catch (const ra::OtpError& e) {
            BOOST_TEST(static_cast<int>(e.failure()) == static_cast<int>(ra::OtpFailure::not_found));
        }
    }
    BOOST_TEST(f.signing->sign(c.record.id, 1, f.request(c, sms), f.caller).record.state ==
               "partially_signed");
}

BOOST_AUTO_TEST_CASE(a_totp_code_signs_only_where_the_policy_allows_it) {
    SigningFixture f("signing_totp_policy");
    const sign::Contract c = f.sign_with_sms(f.sent_contract("bytes"), 1);
    const auto by_default = f.signing_with(sign::ContractSigningOptions{});
    refused_unchanged(
        f, [&] { by_default->challenge(c.record.id, 2, "totp", f.caller); },
        Errc::failed_precondition, "signing.totp_signs is off");
    sign::SigningRequest bob;
    bob.authorization.code = f.totp_now(f.bob.id);
    bob.authorization.revision_sha256 = c.revisions.back().sha256;
    refused_unchanged(
        f, [&] { by_default->sign(c.record.id, 2, bob, f.caller); }, Errc::failed_precondition,
        "signing.totp_signs is off");
    // The code was not spent: where the policy allows TOTP, it signs.
    BOOST_TEST(f.signing->sign(c.record.id, 2, bob, f.caller).signers[1].state == "signed");
}

BOOST_AUTO_TEST_CASE(a_page_that_does_not_exist_is_refused_before_the_code_is_spent) {
    SigningFixture f("signing_page");
    const sign::Contract c = f.sent_contract("pdf");
    const auto sms = f.sms(c, 1);
    sign::SigningRequest far = f.request(c, sms);
    far.appearance = sign::SignatureAppearance{99, 10, 10, 100, 50};
    refused_unchanged(
        f, [&] { f.signing->sign(c.record.id, 1, far, f.caller); }, Errc::invalid_argument,
        "page");
    BOOST_TEST(f.signing->sign(c.record.id, 1, f.request(c, sms), f.caller).record.state ==
               "partially_signed");
}

BOOST_AUTO_TEST_CASE(a_totp_code_signs_once) {
    SigningFixture f("signing_totp");
    const sign::Contract first = f.sign_with_sms(f.sent_contract("bytes"), 1);
    const sign::Contract second = f.sign_with_sms(f.sent_contract("bytes"), 1);
    sign::SigningRequest bob;
    bob.authorization.code = f.totp_now(f.bob.id);
    bob.authorization.revision_sha256 = first.revisions.back().sha256;
    BOOST_TEST(f.signing->sign(first.record.id, 2, bob, f.caller).signers[1].state == "signed");
    // The same time step's code again, on another contract: a replay.
    bob.authorization.revision_sha256 = second.revisions.back().sha256;
    otp_refused_unchanged(
        f, [&] { f.signing->sign(second.record.id, 2, bob, f.caller); },
        ra::OtpFailure::already_used);
}

BOOST_AUTO_TEST_CASE(signers_who_cannot_sign_now_are_refused_before_a_code_is_sent) {
    SigningFixture f("signing_who");
    const sign::Contract c = f.sent_contract("bytes");
    const std::size_t sent = f.messages.size();

    // Out of turn.
    refused_unchanged(
        f, [&] { f.signing->challenge(c.record.id, 2, "sms", f.caller); },
        Errc::failed_precondition, "is waiting for signer 1, not signer 2");
    // A draft, and a cancelled contract.
    const sign::Contract draft = f.create();
    refused_unchanged(
        f, [&] { f.signing->challenge(draft.record.id, 1, "sms", f.caller); },
        Errc::failed_precondition, "is draft: it is not open for signatures");
    const sign::Contract cancelled = f.service->cancel(f.sent_contract("bytes").record.id, f.caller);
    refused_unchanged(
        f, [&] { f.signing->challenge(cancelled.record.id, 1, "sms", f.caller); },
        Errc::failed_precondition, "is cancelled");
    // Another client's contract does not exist for this one.
    const sign::ContractCaller other{"client:frontend-2", "frontend-2"};
    refused_unchanged(
        f, [&] { f.signing->challenge(c.record.id, 1, "sms", other); }, Errc::not_found,
        "no contract");

    // A revoked certificate.
    f.authority->revoke(f.certificates_of.at(f.alice.id).record.serial,
                        ca::RevocationReason::key_compromise, std::nullopt, "operator:test");
    refused_unchanged(
        f, [&] { f.signing->challenge(c.record.id, 1, "sms", f.caller); },
        Errc::failed_precondition, "has no usable 'personal' certificate: revoked");
    BOOST_TEST(f.messages.size() == sent);

    // A person whose only certificate is an e-seal's: the wrong profile for a person.
    auto carol = f.add_person("刘洋", kPassport, "passport", "GB");
    carol = f.registry->verify_manually(carol.id, {2, "passport seen", kPassport}, "client:officer");
    f.authority->issue({carol.id, "e-seal", std::nullopt, std::nullopt, "operator:test"});
    sign::ContractDraft d = f.draft();
    d.signers = {{"person", carol.id, std::nullopt}};
    const sign::Contract carols = f.service->send(f.create(d, f.document).record.id, f.caller);
    refused_unchanged(
        f, [&] { f.signing->challenge(carols.record.id, 1, "sms", f.caller); },
        Errc::failed_precondition, "has no certificate under the profile 'personal'");
    BOOST_TEST(f.messages.size() == sent);
}

BOOST_AUTO_TEST_CASE(a_seal_needs_its_approvals_and_an_authorized_agent) {
    SigningFixture f("signing_seal");
    sign::ContractDraft loan = f.draft();
    loan.contract_type = "loan";  // the fixture's policy: one approval for every loan's seal
    sign::Contract c = f.service->send(f.create(loan, f.document).record.id, f.caller);
    c = f.sign_with_sms(f.sign_with_sms(c, 1), 2);
    refused_unchanged(
        f, [&] { f.signing->challenge(c.record.id, 3, "sms", f.caller); },
        Errc::failed_precondition, "needs 1 approval(s) of seal 3 first (0 recorded)");
    c = f.service->record_approval(c.record.id, 3, f.representative.id, f.caller);

    // The agent's authorization revoked after the contract was made: refused now.
    const auto agents = f.registry->agents(f.organization.id, false);
    const auto grant = std::ranges::find(agents, f.agent.id, &ra::Agent::person_id);
    BOOST_REQUIRE(grant != agents.end());
    const auto sms = f.sms(c, 3);
    f.registry->revoke_agent(f.organization.id, grant->id, "client:officer");
    refused_unchanged(
        f, [&] { f.signing->sign(c.record.id, 3, f.request(c, sms), f.caller); },
        Errc::failed_precondition, "was revoked");

    // Granted again: the seal is applied with the organization's e-seal certificate.
    f.registry->grant_agent(f.organization.id,
                            {f.agent.id, {"apply_seal"}, f.clock.now() + 24h, "LOA-3", {}},
                            "client:officer");
    c = f.sign_with_sms(c, 3);
    BOOST_TEST(c.record.state == "completed");
    BOOST_TEST(*c.signers[2].certificate_serial ==
               to_hex(f.certificates_of.at(f.organization.id).record.serial));
}

BOOST_AUTO_TEST_CASE(failures_while_signing_leave_nothing_behind) {
    SigningFixture f("signing_faults");
    const sign::Contract c = f.sent_contract("pdf");

    // No validation data: B-LT cannot be reached, so nothing is signed.
    f.validation->down = true;
    auto sms = f.sms(c, 1);
    refused_unchanged(
        f, [&] { f.signing->sign(c.record.id, 1, f.request(c, sms), f.caller); },
        Errc::unavailable, "validation source is down");
    f.validation->down = false;

    // The certificate revoked while the signature is being made.
    sms = f.sms(c, 1);
    f.validation->before_status = [&] {
        f.validation->before_status = nullptr;
        f.authority->revoke(f.certificates_of.at(f.alice.id).record.serial,
                            ca::RevocationReason::key_compromise, std::nullopt, "operator:test");
    };
    refused_unchanged(
        f, [&] { f.signing->sign(c.record.id, 1, f.request(c, sms), f.caller); },
        Errc::failed_precondition, "the signer's certificate was revoked");
}

BOOST_AUTO_TEST_CASE(a_failure_inside_the_signature_transaction_leaves_no_document) {
    // The revision's document, its record and the caller's step commit together or not at all:
    // a step that throws at the end (a signing link found used) rolls the document back too.
    SigningFixture f("signing_atomic");
    const sign::Contract c = f.sent_contract("pdf");
    const auto sms = f.sms(c, 1);
    refused_unchanged(
        f,
        [&] {
            f.signing->sign(c.record.id, 1, f.request(c, sms), f.caller, [](store::Connection&) {
                throw Error(Errc::not_found, "the test's link was used");
            });
        },
        Errc::not_found, "the test's link was used");
}

BOOST_AUTO_TEST_CASE(two_signatures_of_one_turn_at_once_record_one) {
    SigningFixture f("signing_race");
    const sign::Contract c = f.sent_contract("bytes");
    // Two codes for the same turn, used at the same time: one signature is recorded, the other
    // refused with nothing of it left.
    const auto first = f.sms(c, 1);
    const auto second = f.sms(c, 1);
    std::atomic<int> signed_count{0}, refused{0};
    std::vector<std::thread> threads;
    for (const auto* sms : {&first, &second}) {
        threads.emplace_back([&, sms] {
            try {
                f.signing->sign(c.record.id, 1, f.request(c, *sms), f.caller);
                ++signed_count;
            } catch (const Error&) {
                ++refused;
            }
        });
    }
    for (auto& t : threads)
        t.join();
    BOOST_TEST(signed_count == 1);
    BOOST_TEST(refused == 1);
    const auto after = f.service->find(c.record.id, f.caller);
    BOOST_TEST(after.revisions.size() == 2u);
    // Documents: the original and the one signature (the refused one's was rolled back).
    BOOST_TEST(f.count("SELECT count(*) FROM documents") == 2);
}

BOOST_AUTO_TEST_CASE(a_pdf_the_intake_refuses_is_never_stored) {
    SigningFixture f("signing_intake");
    const std::string before = contract_tables(f);
    Bytes cut(f.pdf.begin(), f.pdf.begin() + static_cast<std::ptrdiff_t>(f.pdf.size() / 2));
    const Bytes encrypted = qpdf_rewrite(f.dir, f.pdf, {"--encrypt", "", "owner", "256", "--"});
    for (const Bytes* document : std::initializer_list<const Bytes*>{&cut, &encrypted}) {
        try {
            f.create(f.draft("pdf"), *document);
            BOOST_ERROR("a broken PDF was accepted");
        } catch (const Error& e) {
            BOOST_TEST(static_cast<int>(e.code()) == static_cast<int>(Errc::invalid_argument));
            BOOST_TEST(std::string(e.what()).find("the document is not a PDF Signet can sign") !=
                           std::string::npos,
                       e.what());
        }
    }
    BOOST_TEST(contract_tables(f) == before);
}

BOOST_AUTO_TEST_SUITE_END()
