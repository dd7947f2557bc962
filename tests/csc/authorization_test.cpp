// Credential authorization (csc/authorization.cpp): the subject's SMS code or TOTP opens a
// transaction bound to the hashes, the count and the credential; wrong codes count against the
// subject as the RA's rules say; extendTransaction renews the SAD both ways §11.9 allows.
#include <boost/test/unit_test.hpp>

#include "tests/csc/csc_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;
using csc::CscFailure;

namespace {

std::string other_code(const std::string& code) {
    std::string wrong = code;
    wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
    return wrong;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(csc_authorization)

BOOST_AUTO_TEST_CASE(an_sms_code_names_the_platform_and_authorizes_the_hashes) {
    CscFixture f("csc_authorize_sms");
    const Bytes a = CscFixture::sha256("contract A");
    const csc::AuthorizeRequest request = f.by_sms(CscFixture::kPlatformA, f.alice_ec_id, {a}, 1);
    // The message says who asks and with which credential.
    BOOST_CHECK(f.messages.back().find("platform-a") != std::string::npos);
    BOOST_CHECK(f.messages.back().find(f.alice_ec_id) != std::string::npos);
    BOOST_CHECK(f.messages.back().find("sign remotely") != std::string::npos);

    const csc::Activation activation = f.service->authorize(CscFixture::kPlatformA, request);
    BOOST_CHECK_EQUAL(activation.sad.size(), 43u);
    BOOST_CHECK_EQUAL(activation.expires_in, 300);
    BOOST_CHECK(f.csc_tables().find(activation.sad) == std::string::npos);  // only its hash
    BOOST_CHECK_EQUAL(f.count("SELECT signatures_left FROM csc_transactions"), 1);
    // The code is used: the same code again is refused.
    expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, request); },
               CscFailure::invalid_otp, "The OTP is invalid");

    const auto sent = f.events_of_type("csc.challenge_sent");
    BOOST_REQUIRE_EQUAL(sent.size(), 1u);
    BOOST_CHECK_EQUAL(sent[0].event.object, "csc_credential:" + f.alice_ec_id);
    const auto authorized = f.events_of_type("csc.authorized");
    BOOST_REQUIRE_EQUAL(authorized.size(), 1u);
    BOOST_CHECK_EQUAL(authorized[0].event.actor, "client:platform-a");
    BOOST_CHECK_EQUAL(authorized[0].event.details.at("hashes").at(0), to_hex(a));
    BOOST_CHECK_EQUAL(authorized[0].event.details.at("num_signatures"), 1);
    BOOST_CHECK_EQUAL(authorized[0].event.details.at("auth_object"), "OTP");
    // No code in any event.
    for (const auto& e : f.drained_events())
        BOOST_CHECK(e.event.details.dump().find(request.code) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_code_sent_for_one_credential_authorizes_no_other) {
    CscFixture f("csc_authorize_bound_code");
    const std::string code = f.sms_code(CscFixture::kPlatformA, f.alice_ec_id);
    csc::AuthorizeRequest r;
    r.credential_id = f.alice_rsa_id;  // alice's other credential: no challenge was sent for it
    r.hashes = {CscFixture::sha256("contract")};
    r.auth_object = "OTP";
    r.code = code;
    expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, r); }, CscFailure::invalid_otp,
               "The OTP is invalid");
    r.credential_id = f.alice_ec_id;
    BOOST_CHECK_NO_THROW(f.service->authorize(CscFixture::kPlatformA, r));
}

BOOST_AUTO_TEST_CASE(a_totp_code_authorizes_only_where_totp_signs) {
    // signing.totp_signs is off by default: info offers no TOTP and authorize refuses it, with
    // no attempt counted against the subject.
    CscFixture f("csc_authorize_totp_off");
    BOOST_CHECK(!f.service->info(CscFixture::kPlatformA, f.bob_ec_id).auth.totp);
    csc::AuthorizeRequest r;
    r.credential_id = f.bob_ec_id;
    r.hashes = {CscFixture::sha256("contract")};
    r.auth_object = "TOTP";
    r.code = f.next_totp(f.bob.id);
    expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, r); },
               CscFailure::invalid_authentication_data, "The authentication data is invalid");
    BOOST_CHECK(f.events_of_type("csc.authorized").empty());
}

BOOST_AUTO_TEST_CASE(a_totp_code_authorizes_once) {
    csc::Settings settings;
    settings.totp_authorizes = true;
    CscFixture f("csc_authorize_totp", settings);
    csc::AuthorizeRequest r;
    r.credential_id = f.bob_ec_id;
    r.hashes = {CscFixture::sha256("contract")};
    r.auth_object = "TOTP";
    r.code = f.next_totp(f.bob.id);
    BOOST_CHECK_NO_THROW(f.service->authorize(CscFixture::kPlatformA, r));
    expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, r); }, CscFailure::invalid_otp,
               "The OTP is invalid (it was used)");
    // Alice has no authenticator; an object that is neither is invalid authentication data.
    r.credential_id = f.alice_ec_id;
    expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, r); }, CscFailure::invalid_otp,
               "The OTP is invalid");
    r.auth_object = "PIN";
    expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, r); },
               CscFailure::invalid_authentication_data, "The authentication data is invalid");
}

BOOST_AUTO_TEST_CASE(wrong_codes_are_invalid_otp_until_the_ra_locks_the_subject) {
    CscFixture f("csc_authorize_lockout");  // otp.max_failures = 3
    csc::AuthorizeRequest r = f.by_sms(CscFixture::kPlatformA, f.alice_ec_id,
                                       {CscFixture::sha256("contract")}, 1);
    const std::string right = r.code;
    r.code = other_code(right);
    expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, r); }, CscFailure::invalid_otp,
               "The OTP is invalid (2 attempt(s) left)");
    expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, r); }, CscFailure::invalid_otp,
               "The OTP is invalid (1 attempt(s) left)");
    expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, r); },
               CscFailure::invalid_request, "Credential locked");
    // Locked: the right code does not open it, on any credential of the subject, nor does a
    // new code get sent.
    r.code = right;
    expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, r); },
               CscFailure::invalid_request, "Credential locked");
    expect_csc([&] { f.service->send_challenge(CscFixture::kPlatformA, f.alice_rsa_id, "OTP"); },
               CscFailure::invalid_request, "Credential locked");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM csc_transactions"), 0);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM audit_events WHERE event_type = "
                              "'otp.subject_locked'"),
                      1);
    // After the RA's lockout period, a new code works.
    f.clock.advance(f.otp_policy.lockout);
    BOOST_CHECK_NO_THROW(f.authorize(CscFixture::kPlatformA, f.alice_ec_id,
                                     {CscFixture::sha256("contract")}, 1));
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused_before_the_code_is_spent) {
    CscFixture f("csc_authorize_refusals");
    csc::AuthorizeRequest r = f.by_sms(CscFixture::kPlatformA, f.alice_ec_id,
                                       {CscFixture::sha256("contract")}, 1);
    const std::string before = f.csc_tables();
    const auto refused = [&](csc::AuthorizeRequest changed, const std::string& description) {
        expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, changed); },
                   CscFailure::invalid_request, description);
    };
    csc::AuthorizeRequest c = r;
    c.num_signatures = 0;
    refused(c, "Invalid value for parameter numSignatures");
    c = r;
    c.num_signatures = 101;  // multisign 100
    c.hashes.assign(101, CscFixture::sha256("x"));
    refused(c, "Numbers of signatures is too high");
    c = r;
    c.hashes.clear();
    refused(c, "Missing (or invalid type) array parameter hashes");
    c = r;
    c.hashes.push_back(CscFixture::sha256("more hashes than signatures"));
    refused(c, "Numbers of signatures is too high");
    c = r;
    c.hashes = {Bytes(31, 0x01)};
    refused(c, "Invalid digest value length");
    c = r;
    c.hash_algorithm = Digest::sha384;  // the hashes are SHA-256's size
    refused(c, "Invalid digest value length");
    c = r;
    c.description = std::string(501, 'x');
    refused(c, "Invalid parameter description");
    c.description = std::string("bad \xff byte");
    refused(c, "Invalid parameter description");
    c.description = std::string("nul \0 inside", 12);
    refused(c, "Invalid parameter description");
    BOOST_CHECK_EQUAL(f.csc_tables(), before);
    // The code was never checked: it still authorizes, with 500 characters of description
    // (1500 bytes of UTF-8).
    std::string description;
    for (int i = 0; i < 500; ++i)
        description += "签";
    r.description = description;
    BOOST_CHECK_NO_THROW(f.service->authorize(CscFixture::kPlatformA, r));

    // A revoked credential, and an expired one.
    f.authority->revoke(f.alice_rsa.record.serial, ca::RevocationReason::key_compromise,
                        std::nullopt, "operator:test");
    expect_csc([&] { f.service->send_challenge(CscFixture::kPlatformA, f.alice_rsa_id, "OTP"); },
               CscFailure::invalid_request,
               "The credential identified by credentialID is disabled");
    expect_csc([&] { f.service->send_challenge(CscFixture::kPlatformA, f.alice_ec_id, "TOTP"); },
               CscFailure::invalid_request, "Invalid parameter authObjectID");
    csc::AuthorizeRequest late = f.by_sms(CscFixture::kPlatformA, f.alice_ec_id,
                                          {CscFixture::sha256("contract")}, 1);
    f.clock.advance(31 * 24h);
    expect_csc([&] { f.service->authorize(CscFixture::kPlatformA, late); },
               CscFailure::invalid_request, "Signing certificate is expired");
}

BOOST_AUTO_TEST_CASE(extending_with_bound_hashes_carries_those_not_yet_signed_and_no_other) {
    CscFixture f("csc_extend_bound");
    const Bytes a = CscFixture::sha256("A"), b = CscFixture::sha256("B");
    const auto first = f.authorize(CscFixture::kPlatformA, f.alice_ec_id, {a, b}, 2);
    BOOST_REQUIRE_EQUAL(f.service->sign_hash(CscFixture::kPlatformA,
                                             f.sign_request(f.alice_ec_id, first.sad, {a}))
                            .size(),
                        1u);
    // The platform cannot swap in a hash the signer did not approve.
    expect_csc(
        [&] {
            f.service->extend(CscFixture::kPlatformA,
                              {f.alice_ec_id, first.sad, Digest::sha256, {CscFixture::sha256("C")}});
        },
        CscFailure::invalid_request, "Hash is not authorized by the SAD");
    const auto second = f.service->extend(CscFixture::kPlatformA, {f.alice_ec_id, first.sad, {}, {}});
    // The new SAD signs b (not a again), and the old one is gone.
    expect_csc(
        [&] {
            f.service->sign_hash(CscFixture::kPlatformA,
                                 f.sign_request(f.alice_ec_id, second.sad, {a}));
        },
        CscFailure::invalid_request, "Hash is not authorized by the SAD");
    expect_csc([&] { f.service->extend(CscFixture::kPlatformA, {f.alice_ec_id, first.sad, {}, {}}); },
               CscFailure::invalid_request, "Invalid parameter SAD");
    BOOST_CHECK_EQUAL(f.service->sign_hash(CscFixture::kPlatformA,
                                           f.sign_request(f.alice_ec_id, second.sad, {b}))
                          .size(),
                      1u);
    // Every signature is made: nothing is left to extend.
    expect_csc([&] { f.service->extend(CscFixture::kPlatformA, {f.alice_ec_id, second.sad, {}, {}}); },
               CscFailure::invalid_request, "Invalid parameter SAD");

    const auto extended = f.events_of_type("csc.extended");
    BOOST_REQUIRE_EQUAL(extended.size(), 1u);
    BOOST_CHECK_EQUAL(extended[0].event.details.at("hashes").at(0), to_hex(b));
}

BOOST_AUTO_TEST_CASE(extending_a_count_approved_with_fewer_hashes_takes_the_next_hashes) {
    // §11.9 Note 31 / §13.12: two signatures of one PDF, the second's hash known only after the
    // first signature.
    CscFixture f("csc_extend_pdf");
    const Bytes first_hash = CscFixture::sha256("revision 1");
    const auto first = f.authorize(CscFixture::kPlatformA, f.alice_ec_id, {first_hash}, 2);
    const Bytes second_hash = CscFixture::sha256("revision 2");
    // Not before the first SAD has signed what it holds... it may: the count allows two.
    f.service->sign_hash(CscFixture::kPlatformA,
                         f.sign_request(f.alice_ec_id, first.sad, {first_hash}));
    expect_csc(
        [&] {
            f.service->extend(CscFixture::kPlatformA,
                              {f.alice_ec_id, first.sad, Digest::sha384, {Bytes(48, 0x02)}});
        },
        CscFailure::invalid_request, "Invalid parameter hashAlgorithmOID");
    expect_csc(
        [&] {
            f.service->extend(CscFixture::kPlatformA,
                              {f.alice_ec_id, first.sad, Digest::sha256,
                               {second_hash, CscFixture::sha256("revision 3")}});
        },
        CscFailure::invalid_request, "Numbers of signatures is too high");
    const auto second = f.service->extend(
        CscFixture::kPlatformA, {f.alice_ec_id, first.sad, Digest::sha256, {second_hash}});
    const auto signatures = f.service->sign_hash(
        CscFixture::kPlatformA, f.sign_request(f.alice_ec_id, second.sad, {second_hash}));
    BOOST_REQUIRE_EQUAL(signatures.size(), 1u);
    BOOST_CHECK(CscFixture::verifies(f.alice_ec, Digest::sha256, hsm::Padding::ecdsa,
                                     signatures[0], second_hash));
    BOOST_CHECK_EQUAL(f.count("SELECT signatures_left FROM csc_transactions"), 0);

    // An expired SAD is not extended.
    const auto late = f.authorize(CscFixture::kPlatformA, f.alice_ec_id, {first_hash}, 2);
    f.clock.advance(300s);
    expect_csc([&] { f.service->extend(CscFixture::kPlatformA, {f.alice_ec_id, late.sad, {}, {}}); },
               CscFailure::invalid_request, "SAD expired");
}

BOOST_AUTO_TEST_SUITE_END()
