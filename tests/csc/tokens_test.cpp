// Service authorization (csc/tokens.cpp): access tokens that expire and are revoked, refresh
// tokens whose revocation takes the access tokens made from them along, and nothing stored but
// hashes.
#include <boost/test/unit_test.hpp>

#include "common/digest.hpp"
#include "tests/csc/csc_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;
using csc::CscFailure;

BOOST_AUTO_TEST_SUITE(csc_tokens)

BOOST_AUTO_TEST_CASE(an_access_token_names_its_platform_until_it_expires) {
    CscFixture f("csc_token_expiry");
    const csc::IssuedToken issued = f.service->issue_token(CscFixture::kPlatformA, false);
    BOOST_CHECK_EQUAL(issued.access_token.size(), 43u);  // 32 bytes, base64url, no padding
    BOOST_CHECK(!issued.refresh_token);
    BOOST_CHECK_EQUAL(issued.expires_in, 3600);
    BOOST_CHECK_EQUAL(f.service->authenticate(issued.access_token), "platform-a");
    // Only the hash is stored.
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM csc_tokens WHERE token_sha256 = decode('" +
                              to_hex(CscFixture::sha256(issued.access_token)) + "', 'hex')"),
                      1);
    BOOST_CHECK(f.csc_tables().find(issued.access_token) == std::string::npos);

    expect_csc([&] { f.service->authenticate("not-a-token"); }, CscFailure::invalid_token,
               "The access token is not valid");
    std::string other = issued.access_token;
    other[0] = other[0] == 'A' ? 'B' : 'A';
    expect_csc([&] { f.service->authenticate(other); }, CscFailure::invalid_token,
               "The access token is not valid");

    f.clock.advance(3599s);
    BOOST_CHECK_EQUAL(f.service->authenticate(issued.access_token), "platform-a");
    f.clock.advance(1s);
    expect_csc([&] { f.service->authenticate(issued.access_token); }, CscFailure::expired_token,
               "The access token expired");
    BOOST_CHECK_EQUAL(csc::http_status(CscFailure::expired_token), 401);
}

BOOST_AUTO_TEST_CASE(a_platform_revokes_its_own_tokens_and_no_other) {
    CscFixture f("csc_token_revoke");
    const auto a = f.service->issue_token(CscFixture::kPlatformA, false);
    const auto b = f.service->issue_token(CscFixture::kPlatformB, false);
    // Another platform's token, and an unknown one, are not an error and change nothing
    // (RFC 7009 §2.2).
    f.service->revoke(CscFixture::kPlatformB, a.access_token);
    f.service->revoke(CscFixture::kPlatformB, "unknown");
    BOOST_CHECK_EQUAL(f.service->authenticate(a.access_token), "platform-a");
    f.service->revoke(CscFixture::kPlatformA, a.access_token);
    expect_csc([&] { f.service->authenticate(a.access_token); }, CscFailure::invalid_token,
               "The access token is not valid");
    BOOST_CHECK_EQUAL(f.service->authenticate(b.access_token), "platform-b");

    const auto revoked = f.events_of_type("csc.token_revoked");
    BOOST_REQUIRE_EQUAL(revoked.size(), 3u);
    BOOST_CHECK_EQUAL(revoked[0].event.actor, "client:platform-b");
    BOOST_CHECK_EQUAL(revoked[0].event.details.at("revoked"), 0);
    BOOST_CHECK_EQUAL(revoked[2].event.details.at("revoked"), 1);
    BOOST_CHECK_EQUAL(revoked[2].event.details.at("kind"), "access");
}

BOOST_AUTO_TEST_CASE(a_refresh_token_makes_access_tokens_and_its_revocation_ends_them) {
    CscFixture f("csc_token_refresh");
    const auto first = f.service->issue_token(CscFixture::kPlatformA, true);
    BOOST_REQUIRE(first.refresh_token);
    const auto second = f.service->refresh(*first.refresh_token, "192.0.2.11");
    BOOST_CHECK(second.access_token != first.access_token);
    BOOST_CHECK_EQUAL(f.service->authenticate(second.access_token), "platform-a");
    // An access token is no refresh token, and a refresh token no access token.
    expect_csc([&] { f.service->refresh(first.access_token, "192.0.2.11"); },
               CscFailure::invalid_grant, "The refresh token is not valid");
    expect_csc([&] { f.service->authenticate(*first.refresh_token); }, CscFailure::invalid_token,
               "The access token is not valid");
    const auto unrelated = f.service->issue_token(CscFixture::kPlatformA, false);

    f.service->revoke(CscFixture::kPlatformA, *first.refresh_token);
    for (const auto* token : {&first.access_token, &second.access_token})
        expect_csc([&] { f.service->authenticate(*token); }, CscFailure::invalid_token,
                   "The access token is not valid");
    expect_csc([&] { f.service->refresh(*first.refresh_token, "192.0.2.11"); },
               CscFailure::invalid_grant, "The refresh token is not valid");
    BOOST_CHECK_EQUAL(f.service->authenticate(unrelated.access_token), "platform-a");
    const auto revoked = f.events_of_type("csc.token_revoked");
    BOOST_REQUIRE_EQUAL(revoked.size(), 1u);
    BOOST_CHECK_EQUAL(revoked[0].event.details.at("kind"), "refresh");
    BOOST_CHECK_EQUAL(revoked[0].event.details.at("revoked"), 3);  // it and its two

    BOOST_CHECK_EQUAL(f.events_of_type("csc.token_issued").size(), 2u);
    const auto refreshed = f.events_of_type("csc.token_refreshed");
    BOOST_REQUIRE_EQUAL(refreshed.size(), 1u);
    BOOST_CHECK_EQUAL(refreshed[0].event.details.at("address"), "192.0.2.11");
}

BOOST_AUTO_TEST_CASE(a_refresh_token_expires_and_a_zero_lifetime_gives_none) {
    csc::Settings settings;
    settings.refresh_token_lifetime = 1h;
    {
        // One fixture at a time: a process sees only the SoftHSM tokens that existed when no
        // other was open (tests/tsa/tsa_fixture.hpp).
        CscFixture f("csc_token_refresh_expiry", settings);
        const auto issued = f.service->issue_token(CscFixture::kPlatformA, true);
        BOOST_REQUIRE(issued.refresh_token);
        f.clock.advance(1h);
        expect_csc([&] { f.service->refresh(*issued.refresh_token, "192.0.2.11"); },
                   CscFailure::invalid_grant, "The refresh token expired");
    }

    settings.refresh_token_lifetime = 0s;
    CscFixture g("csc_token_no_refresh", settings);
    BOOST_CHECK(!g.service->issue_token(CscFixture::kPlatformA, true).refresh_token);
}

BOOST_AUTO_TEST_CASE(settings_that_cannot_work_are_refused) {
    CscFixture f("csc_settings");
    const auto make = [&](csc::Settings s) {
        return csc::make_remote_signing(csc::RemoteSigningDependencies{
            .database = f.database,
            .token = *f.token,
            .certificates = f.certificates,
            .challenges = *f.challenges,
            .totp = *f.totp,
            .sms = {},
            .tsa = *f.tsa.responder,
            .audit = f.audit,
            .clock = f.clock,
            .settings = s,
        });
    };
    csc::Settings s;
    s.multisign = 0;
    expect_error([&] { make(s); }, Errc::invalid_argument, "csc.multisign");
    s = {};
    s.sad_lifetime = 0s;
    expect_error([&] { make(s); }, Errc::invalid_argument, "csc.sad_lifetime");
    s = {};
    s.access_token_lifetime = -1s;
    expect_error([&] { make(s); }, Errc::invalid_argument, "csc.access_token_lifetime");
}

BOOST_AUTO_TEST_SUITE_END()
