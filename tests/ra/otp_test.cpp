#include <boost/test/unit_test.hpp>


#include "tests/ra/otp_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;
using ra::OtpFailure;
using std::chrono::minutes;
using std::chrono::seconds;

BOOST_AUTO_TEST_SUITE(otp_challenges)

BOOST_AUTO_TEST_CASE(issue_then_verify_accepts_the_code_once) {
    OtpFixture f("otp_issue_verify");
    const auto subject = f.add_subject();
    const auto issued = f.issue(subject);
    BOOST_CHECK_EQUAL(issued.id.size(), 32u);
    BOOST_CHECK(issued.expires_at == f.clock.now() + minutes(5));
    BOOST_REQUIRE_EQUAL(f.sent.size(), 1u);
    BOOST_CHECK_EQUAL(f.sent[0].first, "+8613800000000");
    const std::string code = f.last_code();
    BOOST_CHECK_EQUAL(code.size(), 6u);
    BOOST_CHECK(f.sent[0].second.find("valid for 5 minutes") != std::string::npos);

    f.challenges.verify(issued.id, subject, "login", code);
    expect_otp_error([&] { f.challenges.verify(issued.id, subject, "login", code); },
                     OtpFailure::already_used);
}

BOOST_AUTO_TEST_CASE(a_wrong_code_then_the_right_one) {
    OtpFixture f("otp_wrong_then_right");
    const auto subject = f.add_subject();
    const auto issued = f.issue(subject);
    const std::string code = f.last_code();
    const auto e = expect_otp_error(
        [&] { f.challenges.verify(issued.id, subject, "login", other_code(code)); },
        OtpFailure::wrong_code);
    BOOST_CHECK_EQUAL(e.details().attempts_left, 4);
    BOOST_CHECK(e.code() == Errc::permission_denied);
    BOOST_CHECK(std::string(e.what()).find(code) == std::string::npos);
    f.challenges.verify(issued.id, subject, "login", code);
    BOOST_CHECK_EQUAL(f.count("SELECT attempts FROM otp_challenges"), 1);
}

BOOST_AUTO_TEST_CASE(a_malformed_code_is_refused_and_not_counted) {
    OtpFixture f("otp_malformed");
    const auto subject = f.add_subject();
    const auto issued = f.issue(subject);
    for (const std::string bad : {"12345", "1234567", "12345a", "١٢٣٤٥٦", "12 456", ""})
        expect_error([&] { f.challenges.verify(issued.id, subject, "login", bad); },
                     Errc::invalid_argument, "'code' is 6 ASCII digits");
    expect_error([&] { f.challenges.verify("not-an-id", subject, "login", "123456"); },
                 Errc::invalid_argument, "'challenge_id'");
    BOOST_CHECK_EQUAL(f.count("SELECT attempts FROM otp_challenges"), 0);
    f.challenges.verify(issued.id, subject, "login", f.last_code());
}

BOOST_AUTO_TEST_CASE(the_attempt_limit_voids_the_challenge) {
    OtpFixture f("otp_attempt_limit");
    const auto subject = f.add_subject();
    const auto issued = f.issue(subject);
    const std::string code = f.last_code();
    for (int left = 4; left >= 0; --left) {
        const auto e = expect_otp_error(
            [&] { f.challenges.verify(issued.id, subject, "login", other_code(code)); },
            OtpFailure::wrong_code);
        BOOST_CHECK_EQUAL(e.details().attempts_left, left);
    }
    // Void now: even the right code is refused, and nothing more is counted.
    expect_otp_error([&] { f.challenges.verify(issued.id, subject, "login", code); },
                     OtpFailure::voided);
    BOOST_CHECK_EQUAL(f.count("SELECT attempts FROM otp_challenges"), 5);
    BOOST_CHECK_EQUAL(f.count("SELECT failures FROM otp_subjects"), 5);
}

BOOST_AUTO_TEST_CASE(the_subject_limit_locks_with_an_audit_event_until_unlocked) {
    OtpFixture f("otp_subject_lockout");
    const auto subject = f.add_subject();
    const auto other = f.add_subject("Other Person");
    // Two challenges of 5 wrong codes each: the 10th wrong code locks the subject.
    std::string code;
    for (int round = 0; round < 2; ++round) {
        const auto issued = f.issue(subject);
        code = f.last_code();
        f.clock.advance(minutes(2));
        for (int i = 0; i < 5; ++i) {
            const auto e = expect_otp_error(
                [&] { f.challenges.verify(issued.id, subject, "login", other_code(code)); },
                round == 1 && i == 4 ? OtpFailure::locked : OtpFailure::wrong_code);
            if (round == 1 && i == 4)
                BOOST_CHECK(e.details().locked_until == f.clock.now() + minutes(30));
        }
    }
    const auto events = f.events();
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    BOOST_CHECK_EQUAL(events[0].event.type, "otp.subject_locked");
    BOOST_CHECK_EQUAL(events[0].event.object, "subject:" + std::to_string(subject));
    BOOST_CHECK_EQUAL(events[0].event.details["wrong_codes"], 10);
    // Locked: no new code is sent, and a right code is refused.
    const std::size_t sent = f.sent.size();
    expect_otp_error([&] { f.issue(subject); }, OtpFailure::locked);
    BOOST_CHECK_EQUAL(f.sent.size(), sent);
    // Another subject is not affected.
    const auto others = f.issue(other);
    f.challenges.verify(others.id, other, "login", f.last_code());

    // An officer unlocks (audited); a second unlock finds nothing to do.
    BOOST_CHECK(f.lockouts.unlock(subject, "officer:alice"));
    BOOST_CHECK(!f.lockouts.unlock(subject, "officer:alice"));
    BOOST_CHECK_EQUAL(f.events().back().event.type, "otp.subject_unlocked");
    BOOST_CHECK_EQUAL(f.events().back().event.actor, "officer:alice");
    const auto again = f.issue(subject);
    f.challenges.verify(again.id, subject, "login", f.last_code());
}

BOOST_AUTO_TEST_CASE(a_lockout_ends_at_its_time) {
    ra::OtpPolicy policy;
    policy.max_attempts = 20;
    policy.max_failures = 3;
    OtpFixture f("otp_lockout_ends", policy);
    const auto subject = f.add_subject();
    const auto issued = f.issue(subject);
    const std::string code = f.last_code();
    for (int i = 0; i < 3; ++i)
        expect_otp_error([&] { f.challenges.verify(issued.id, subject, "login", other_code(code)); },
                         i < 2 ? OtpFailure::wrong_code : OtpFailure::locked);
    f.clock.advance(minutes(29));
    expect_otp_error([&] { f.challenges.verify(issued.id, subject, "login", code); },
                     OtpFailure::locked);
    f.clock.advance(minutes(1));
    // The lockout is over, but the challenge (5 minutes) has expired meanwhile.
    expect_otp_error([&] { f.challenges.verify(issued.id, subject, "login", code); },
                     OtpFailure::expired);
    // The count started again at the lockout: one wrong code does not lock again.
    const auto next = f.issue(subject);
    const auto e = expect_otp_error(
        [&] { f.challenges.verify(next.id, subject, "login", other_code(f.last_code())); },
        OtpFailure::wrong_code);
    BOOST_CHECK_EQUAL(e.details().attempts_left, 2);
}

BOOST_AUTO_TEST_CASE(an_expired_code_is_refused) {
    OtpFixture f("otp_expired");
    const auto subject = f.add_subject();
    const auto issued = f.issue(subject);
    f.clock.advance(minutes(5));
    const auto e = expect_otp_error(
        [&] { f.challenges.verify(issued.id, subject, "login", f.last_code()); },
        OtpFailure::expired);
    BOOST_CHECK(e.code() == Errc::failed_precondition);
}

BOOST_AUTO_TEST_CASE(another_purpose_or_subject_finds_nothing) {
    OtpFixture f("otp_mismatch");
    const auto subject = f.add_subject();
    const auto other = f.add_subject("Other Person");
    const auto issued = f.issue(subject, "sign:contract-1");
    const std::string code = f.last_code();
    expect_otp_error([&] { f.challenges.verify(issued.id, subject, "sign:contract-2", code); },
                     OtpFailure::not_found);
    expect_otp_error([&] { f.challenges.verify(issued.id, other, "sign:contract-1", code); },
                     OtpFailure::not_found);
    expect_otp_error([&] { f.challenges.verify(std::string(32, 'a'), subject, "sign:contract-1",
                                               code); },
                     OtpFailure::not_found);
    f.challenges.verify(issued.id, subject, "sign:contract-1", code);
}

BOOST_AUTO_TEST_CASE(concurrent_verifies_of_one_code_succeed_exactly_once) {
    OtpFixture f("otp_concurrent");
    const auto subject = f.add_subject();
    const auto issued = f.issue(subject);
    const std::string code = f.last_code();
    auto outcomes =
        run_together([&] { f.challenges.verify(issued.id, subject, "login", code); });
    BOOST_CHECK_EQUAL(outcomes["accepted"], 1);
    BOOST_CHECK_EQUAL(outcomes["already_used"], kThreads - 1);
    BOOST_CHECK_EQUAL(outcomes.size(), 2u);
}

BOOST_AUTO_TEST_CASE(concurrent_wrong_codes_are_each_counted) {
    OtpFixture f("otp_concurrent_wrong");
    const auto subject = f.add_subject();
    const auto issued = f.issue(subject);
    const std::string wrong = other_code(f.last_code());
    auto outcomes =
        run_together([&] { f.challenges.verify(issued.id, subject, "login", wrong); });
    // Exactly max_attempts counted; the rest found the challenge void.
    BOOST_CHECK_EQUAL(outcomes["wrong_code"], 5);
    BOOST_CHECK_EQUAL(outcomes["voided"], kThreads - 5);
    BOOST_CHECK_EQUAL(outcomes.size(), 2u);
    BOOST_CHECK_EQUAL(f.count("SELECT attempts FROM otp_challenges"), 5);
    BOOST_CHECK_EQUAL(f.count("SELECT failures FROM otp_subjects"), 5);
}

BOOST_AUTO_TEST_CASE(a_hash_moved_to_another_challenge_matches_nothing_there) {
    OtpFixture f("otp_hash_bound");
    const auto first = f.issue(f.add_subject());
    const std::string first_code = f.last_code();
    const auto subject = f.add_subject("Other Person");
    const auto second = f.issue(subject);
    // The HMAC covers subject, purpose and challenge id: the first hash does not make the first
    // code good for the second challenge.
    f.db.with_connection([&](store::Connection& c) {
        c.exec("UPDATE otp_challenges SET code_hash = (SELECT code_hash FROM otp_challenges "
               "WHERE id = $1) WHERE id = $2",
               {first.id, second.id});
    });
    expect_otp_error([&] { f.challenges.verify(second.id, subject, "login", first_code); },
                     OtpFailure::wrong_code);
}

BOOST_AUTO_TEST_CASE(codes_are_uniform_digits_by_rejection_sampling) {
    OtpFixture f("otp_rejection");
    const auto subject = f.add_subject();
    // 16 octets of id, then octets 250-255 (which `% 10` would map to 0-5) are skipped.
    f.crypto.script({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
    f.crypto.script({255, 250, 19, 252, 249, 0, 251, 137, 42, 253, 98});
    const auto issued = f.issue(subject);
    BOOST_CHECK_EQUAL(issued.id, "000102030405060708090a0b0c0d0e0f");
    BOOST_CHECK_EQUAL(f.last_code(), "990728");
}

BOOST_AUTO_TEST_SUITE_END()
