#include <boost/test/unit_test.hpp>

#include "tests/ra/otp_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;
using ra::OtpFailure;
using ra::TotpHash;
using std::chrono::seconds;

namespace {

std::int64_t unix_seconds(Clock::time_point t) {
    return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

// The enrolled seed, read back through the fake's unwrap.
Secret stored_seed(OtpFixture& f, std::int64_t subject) {
    const Bytes blob = f.db.with_connection([&](store::Connection& c) {
        return c.exec("SELECT wrapped_seed FROM otp_totp WHERE subject_id = $1", {subject})
            .one()[0]
            .bytes();
    });
    return f.crypto.unwrap_seed(blob);
}

// Enrols with a seed of 20 octets `fill`, so that the codes (at the fixed clock) are known not
// to collide by chance in the tests that depend on it.
Secret enrol(OtpFixture& f, std::int64_t subject, std::uint8_t fill,
             std::string_view account = "alice",
             ra::TotpEnrolment mode = ra::TotpEnrolment::first) {
    f.crypto.script(Bytes(20, fill));
    return f.totp.enrol(subject, account, "officer:alice", mode);
}

std::string code_at(const Secret& seed, Clock::time_point t) {
    return ra::totp_code(seed.view(), unix_seconds(t), seconds(30), 6);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(totp)

// RFC 6238 Appendix B: 8 digits, period 30 s, T0 = 0, the seeds of the reference code.
BOOST_AUTO_TEST_CASE(rfc6238_appendix_b_test_vectors) {
    const std::string sha1 = "12345678901234567890";
    const std::string sha256 = "12345678901234567890123456789012";
    const std::string sha512 =
        "1234567890123456789012345678901234567890123456789012345678901234";
    struct Vector {
        std::int64_t time;
        const char *sha1, *sha256, *sha512;
    };
    const Vector vectors[] = {
        {59, "94287082", "46119246", "90693936"},
        {1111111109, "07081804", "68084774", "25091201"},
        {1111111111, "14050471", "67062674", "99943326"},
        {1234567890, "89005924", "91819424", "93441116"},
        {2000000000, "69279037", "90698825", "38618901"},
        {20000000000, "65353130", "77737706", "47863826"},
    };
    for (const auto& v : vectors) {
        BOOST_TEST_CONTEXT("T = " << v.time) {
            BOOST_CHECK_EQUAL(ra::totp_code(sha1, v.time, seconds(30), 8, TotpHash::sha1), v.sha1);
            BOOST_CHECK_EQUAL(ra::totp_code(sha256, v.time, seconds(30), 8, TotpHash::sha256),
                              v.sha256);
            BOOST_CHECK_EQUAL(ra::totp_code(sha512, v.time, seconds(30), 8, TotpHash::sha512),
                              v.sha512);
        }
    }
    // 6 digits are the last 6 of the same truncation (RFC 4226 §5.3: mod 10^Digit).
    BOOST_CHECK_EQUAL(ra::totp_code(sha1, 59, seconds(30), 6), "287082");
    expect_error([&] { ra::totp_code(sha1, 59, seconds(30), 9); }, Errc::invalid_argument,
                 "'digits'");
}

// RFC 4648 §10, without the padding.
BOOST_AUTO_TEST_CASE(base32_rfc4648_test_vectors) {
    const std::pair<std::string, std::string> vectors[] = {
        {"", ""},           {"f", "MY"},           {"fo", "MZXQ"},          {"foo", "MZXW6"},
        {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"},
    };
    for (const auto& [in, out] : vectors)
        BOOST_CHECK_EQUAL(ra::base32(as_bytes(in)), out);
    BOOST_CHECK_EQUAL(ra::percent_encode("Zhang San/é:1"), "Zhang%20San%2F%C3%A9%3A1");
}

BOOST_AUTO_TEST_CASE(enrol_gives_the_otpauth_uri_and_verify_accepts_each_step_once) {
    OtpFixture f("totp_enrol_verify");
    const auto subject = f.add_subject();
    const Secret uri = enrol(f, subject, 0x11, "Zhang San");
    const Secret seed = stored_seed(f, subject);
    BOOST_CHECK_EQUAL(seed.size(), 20u);
    BOOST_CHECK_EQUAL(std::string(uri.view()),
                      "otpauth://totp/Signet:Zhang%20San?secret=" +
                          ra::base32(as_bytes(seed.view())) +
                          "&issuer=Signet&algorithm=SHA1&digits=6&period=30");
    BOOST_CHECK_EQUAL(f.events().back().event.type, "otp.totp_enrolled");
    BOOST_CHECK_EQUAL(f.events().back().event.details["kek_label"], "test-kek");

    f.totp.verify(subject, code_at(seed, f.clock.now()));
    // The same code again (the same step) is a replay.
    expect_otp_error([&] { f.totp.verify(subject, code_at(seed, f.clock.now())); },
                     OtpFailure::already_used);
    f.clock.advance(seconds(30));
    f.totp.verify(subject, code_at(seed, f.clock.now()));
    BOOST_CHECK_EQUAL(f.count("SELECT last_step FROM otp_totp"),
                      unix_seconds(f.clock.now()) / 30);
}

BOOST_AUTO_TEST_CASE(the_window_is_one_step_either_side_and_earlier_steps_are_replays) {
    OtpFixture f("totp_window");
    const auto subject = f.add_subject();
    enrol(f, subject, 0x12);
    const Secret seed = stored_seed(f, subject);
    const auto now = f.clock.now();
    // Two steps away: wrong.
    expect_otp_error([&] { f.totp.verify(subject, code_at(seed, now - seconds(60))); },
                     OtpFailure::wrong_code);
    expect_otp_error([&] { f.totp.verify(subject, code_at(seed, now + seconds(60))); },
                     OtpFailure::wrong_code);
    // One step behind (a slow phone): accepted.
    f.totp.verify(subject, code_at(seed, now - seconds(30)));
    // One step ahead: accepted; now the current step, earlier than it, is a replay.
    f.totp.verify(subject, code_at(seed, now + seconds(30)));
    expect_otp_error([&] { f.totp.verify(subject, code_at(seed, now)); },
                     OtpFailure::already_used);
}

BOOST_AUTO_TEST_CASE(concurrent_verifies_of_one_totp_code_succeed_exactly_once) {
    OtpFixture f("totp_concurrent");
    const auto subject = f.add_subject();
    enrol(f, subject, 0x16);
    const std::string code = code_at(stored_seed(f, subject), f.clock.now());
    auto outcomes = run_together([&] { f.totp.verify(subject, code); });
    BOOST_CHECK_EQUAL(outcomes["accepted"], 1);
    BOOST_CHECK_EQUAL(outcomes["already_used"], kThreads - 1);
    BOOST_CHECK_EQUAL(outcomes.size(), 2u);
}

BOOST_AUTO_TEST_CASE(wrong_totp_codes_count_toward_the_lockout) {
    ra::OtpPolicy policy;
    policy.max_failures = 3;
    OtpFixture f("totp_lockout", policy);
    const auto subject = f.add_subject();
    enrol(f, subject, 0x13);
    const Secret seed = stored_seed(f, subject);
    const std::string wrong = other_code(code_at(seed, f.clock.now()));
    // A wrong challenge code and wrong TOTP codes add up.
    const auto issued = f.issue(subject);
    expect_otp_error([&] { f.challenges.verify(issued.id, subject, "login",
                                               other_code(f.last_code())); },
                     OtpFailure::wrong_code);
    const auto e = expect_otp_error([&] { f.totp.verify(subject, wrong); },
                                    OtpFailure::wrong_code);
    BOOST_CHECK_EQUAL(e.details().attempts_left, 1);
    expect_otp_error([&] { f.totp.verify(subject, wrong); }, OtpFailure::locked);
    expect_otp_error([&] { f.totp.verify(subject, code_at(seed, f.clock.now())); },
                     OtpFailure::locked);
    const auto events = f.events();
    BOOST_CHECK_EQUAL(events.back().event.type, "otp.subject_locked");
    BOOST_CHECK_EQUAL(events.back().event.details["method"], "totp");
}

BOOST_AUTO_TEST_CASE(verify_refuses_without_enrolment_and_after_re_enrolment) {
    OtpFixture f("totp_enrolment");
    const auto subject = f.add_subject();
    expect_otp_error([&] { f.totp.verify(subject, "123456"); }, OtpFailure::not_found);
    expect_otp_error([&] { f.totp.enrol(999999, "nobody", "officer:alice"); },
                     OtpFailure::not_found);
    expect_error([&] { f.totp.enrol(subject, "", "officer:alice"); }, Errc::invalid_argument,
                 "'account'");
    expect_error([&] { f.totp.verify(subject, "12345"); }, Errc::invalid_argument,
                 "'code' is 6 ASCII digits");
    enrol(f, subject, 0x14);
    const Secret old_seed = stored_seed(f, subject);
    enrol(f, subject, 0x15, "alice", ra::TotpEnrolment::replace);
    expect_otp_error([&] { f.totp.verify(subject, code_at(old_seed, f.clock.now())); },
                     OtpFailure::wrong_code);
    f.totp.verify(subject, code_at(stored_seed(f, subject), f.clock.now()));
}

BOOST_AUTO_TEST_SUITE_END()
