// Sending: rate limits, a failing transport, the database gone, and what the tables hold.
#include <boost/test/unit_test.hpp>

#include "tests/ra/otp_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;
using ra::OtpFailure;
using std::chrono::minutes;
using std::chrono::seconds;

BOOST_AUTO_TEST_SUITE(otp_sending)

BOOST_AUTO_TEST_CASE(sending_is_rate_limited_per_subject) {
    OtpFixture f("otp_rate_subject");
    const auto subject = f.add_subject();
    f.issue(subject);
    f.clock.advance(seconds(20));
    const auto e = expect_otp_error([&] { f.issue(subject); }, OtpFailure::rate_limited);
    BOOST_CHECK(e.details().retry_after == seconds(40));
    BOOST_CHECK(e.code() == Errc::unavailable);
    BOOST_CHECK_EQUAL(f.sent.size(), 1u);
    // 10 an hour: nine more a minute apart, then the 11th waits for the first to leave the hour.
    for (int i = 0; i < 9; ++i) {
        f.clock.advance(seconds(60));
        f.issue(subject);
    }
    f.clock.advance(seconds(60));
    const auto hourly = expect_otp_error([&] { f.issue(subject); }, OtpFailure::rate_limited);
    // The first was sent 20 + 10 * 60 = 620 s ago.
    BOOST_CHECK_EQUAL(hourly.details().retry_after.count(), 3600 - 620);
    BOOST_CHECK_EQUAL(f.sent.size(), 10u);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM otp_challenges"), 10);
    f.clock.advance(seconds(3600 - 620));
    f.issue(subject);
}

BOOST_AUTO_TEST_CASE(sending_is_rate_limited_per_client) {
    ra::OtpPolicy policy;
    policy.max_client_sends_per_minute = 3;
    OtpFixture f("otp_rate_client", policy);
    for (int i = 0; i < 3; ++i) {
        f.issue(f.add_subject("Person " + std::string(1, static_cast<char>('A' + i))), "login",
                "frontend-1");
        f.clock.advance(seconds(10));
    }
    const auto subject = f.add_subject("Person D");
    const auto e = expect_otp_error([&] { f.issue(subject, "login", "frontend-1"); },
                                    OtpFailure::rate_limited);
    BOOST_CHECK(e.details().retry_after == seconds(30));
    // Another client, or none, is not held back by it.
    f.issue(subject, "login", "frontend-2");
    f.clock.advance(seconds(60));
    f.issue(f.add_subject("Person E"));
}

BOOST_AUTO_TEST_CASE(a_failing_transport_voids_the_challenge) {
    OtpFixture f("otp_transport_fails");
    const auto subject = f.add_subject();
    std::string code;
    const ra::OtpTransport failing = [&](const std::string&, const std::string& message) {
        code = message.substr(message.find_first_of("0123456789"), 6);
        throw Error(Errc::unavailable, "SMS gateway answered 503");
    };
    expect_error([&] { f.challenges.issue({.subject_id = subject, .purpose = "login",
                                           .destination = "+8613800000000"},
                                          failing); },
                 Errc::unavailable, "SMS gateway answered 503");
    BOOST_REQUIRE_EQUAL(code.size(), 6u);
    // The challenge is void: its code is refused even though it is right.
    const auto id = f.db.with_connection([](store::Connection& c) {
        return std::string(c.exec("SELECT id FROM otp_challenges WHERE voided_reason = "
                                  "'transport'").one()[0].text());
    });
    expect_otp_error([&] { f.challenges.verify(id, subject, "login", code); }, OtpFailure::voided);
}

BOOST_AUTO_TEST_CASE(the_database_gone_gives_unavailable_and_changes_nothing) {
    OtpFixture f("otp_database_gone");
    const auto subject = f.add_subject();
    const auto issued = f.issue(subject);
    const std::string code = f.last_code();
    f.clock.advance(minutes(1));
    auto& server = TestCluster::instance().server();
    {
        RestartGuard guard{server};
        server.stop();
        expect_error([&] { f.challenges.verify(issued.id, subject, "login", other_code(code)); },
                     Errc::unavailable, "database unavailable");
        expect_error([&] { f.challenges.verify(issued.id, subject, "login", code); },
                     Errc::unavailable, "database unavailable");
        expect_error([&] { f.issue(subject); }, Errc::unavailable, "database unavailable");
        expect_error([&] { f.totp.enrol(subject, "alice", "officer:alice"); }, Errc::unavailable,
                     "database unavailable");
    }
    // Nothing was sent, counted or stored meanwhile, and the code still works once.
    BOOST_CHECK_EQUAL(f.sent.size(), 1u);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM otp_challenges"), 1);
    BOOST_CHECK_EQUAL(f.count("SELECT attempts FROM otp_challenges"), 0);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM otp_totp"), 0);
    f.challenges.verify(issued.id, subject, "login", code);
}

BOOST_AUTO_TEST_CASE(no_otp_table_holds_a_code_or_a_seed) {
    OtpFixture f("otp_nothing_in_the_clear");
    std::vector<std::string> needles;
    for (int i = 0; i < 5; ++i) {
        const auto subject = f.add_subject("Person " + std::string(1, static_cast<char>('A' + i)));
        const auto issued = f.issue(subject);
        needles.push_back(f.last_code());
        if (i % 2 == 0)
            f.challenges.verify(issued.id, subject, "login", f.last_code());
        else
            expect_otp_error([&] { f.challenges.verify(issued.id, subject, "login",
                                                       other_code(f.last_code())); },
                             OtpFailure::wrong_code);
        const Secret uri = f.totp.enrol(subject, "person", "officer:alice");
        const std::string text(uri.view());
        const auto at = text.find("secret=") + 7;
        const std::string secret = text.substr(at, text.find('&', at) - at);
        needles.push_back(secret);
        // The seed itself, as hex and as PostgreSQL's bytea escape would show it.
        const auto row = f.db.with_connection([&](store::Connection& c) {
            return c.exec("SELECT wrapped_seed FROM otp_totp WHERE subject_id = $1", {subject})
                .one()[0]
                .bytes();
        });
        const Secret seed = f.crypto.unwrap_seed(row);
        BOOST_CHECK_EQUAL(ra::base32(as_bytes(seed.view())), secret);
        needles.push_back(to_hex(as_bytes(seed.view())));
    }
    const std::string dump = f.db.with_connection([](store::Connection& c) {
        std::string all;
        for (const char* table : {"otp_challenges", "otp_totp", "otp_subjects", "audit_events"}) {
            const auto rows = c.exec("SELECT t::text FROM " + std::string(table) + " t");
            for (std::size_t i = 0; i < rows.size(); ++i)
                all += std::string(rows[i][0].text()) + "\n";
        }
        return all;
    });
    BOOST_TEST_MESSAGE("dump: " << dump.size() << " bytes");
    BOOST_CHECK_GT(dump.size(), 1000u);
    for (const auto& needle : needles)
        BOOST_CHECK_MESSAGE(dump.find(needle) == std::string::npos,
                            "a code or seed is in the clear in an OTP table");
}

BOOST_AUTO_TEST_CASE(a_bad_request_is_refused_naming_the_field) {
    OtpFixture f("otp_bad_request");
    const auto subject = f.add_subject();
    const auto issue = [&](ra::ChallengeRequest r) { f.challenges.issue(r, f.recorder()); };
    expect_error([&] { issue({.subject_id = 0, .purpose = "x", .destination = "d"}); },
                 Errc::invalid_argument, "'subject_id'");
    expect_error([&] { issue({.subject_id = subject, .purpose = "", .destination = "d"}); },
                 Errc::invalid_argument, "'purpose'");
    expect_error([&] { issue({.subject_id = subject, .purpose = "a\nb", .destination = "d"}); },
                 Errc::invalid_argument, "'purpose'");
    expect_error([&] { issue({.subject_id = subject, .purpose = "x", .channel = "SMS!",
                              .destination = "d"}); },
                 Errc::invalid_argument, "'channel'");
    expect_error([&] { issue({.subject_id = subject, .purpose = "x", .destination = ""}); },
                 Errc::invalid_argument, "'destination'");
    expect_otp_error([&] { issue({.subject_id = 999999, .purpose = "x", .destination = "d"}); },
                     OtpFailure::not_found);
    BOOST_CHECK(f.sent.empty());
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM otp_challenges"), 0);

    ra::OtpPolicy policy;
    policy.digits = 5;
    expect_error([&] { ra::validate(policy); }, Errc::invalid_argument, "'otp.digits' is 6 to 8");
    policy = {};
    policy.message = "no code here";
    expect_error([&] { ra::validate(policy); }, Errc::invalid_argument, "'otp.message'");
    policy = {};
    policy.max_failures = 1;
    expect_error([&] { ra::validate(policy); }, Errc::invalid_argument, "'otp.max_failures'");
}

BOOST_AUTO_TEST_SUITE_END()
