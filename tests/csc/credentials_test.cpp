// A platform's credentials (csc/credentials.cpp): the hsm-wrapped certificates of the subjects
// it registered, described as credentials/info says; another platform's credential is no
// credential at all, for every method.
#include <openssl/x509.h>

#include <boost/test/unit_test.hpp>

#include "ca/x509.hpp"
#include "tests/csc/csc_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;
using csc::CscFailure;

BOOST_AUTO_TEST_SUITE(csc_credentials)

BOOST_AUTO_TEST_CASE(the_registry_records_which_platform_registered_a_subject) {
    CscFixture f("csc_registered_by");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM subjects WHERE registered_by = 'platform-a'"),
                      2);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM subjects WHERE registered_by = 'platform-b'"),
                      1);
    // An operator's subject belongs to no platform.
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM subjects WHERE id = " +
                              std::to_string(f.dave.id) + " AND registered_by IS NULL"),
                      1);
}

BOOST_AUTO_TEST_CASE(a_platform_lists_its_own_subjects_credentials_newest_first) {
    CscFixture f("csc_list");
    const auto a = f.service->list(CscFixture::kPlatformA, false);
    BOOST_REQUIRE_EQUAL(a.size(), 3u);
    std::vector<std::string> ids;
    for (const auto& c : a)
        ids.push_back(c.id);
    // Issued in the order alice EC, alice RSA, bob EC; listed newest first.
    BOOST_CHECK_EQUAL(ids[0], f.bob_ec_id);
    BOOST_CHECK(std::ranges::count(ids, f.alice_ec_id) == 1);
    BOOST_CHECK(std::ranges::count(ids, f.alice_rsa_id) == 1);
    const auto b = f.service->list(CscFixture::kPlatformB, false);
    BOOST_REQUIRE_EQUAL(b.size(), 1u);
    BOOST_CHECK_EQUAL(b[0].id, f.carol_ec_id);
    // Nobody's list holds the operator's subject's credential.
    BOOST_CHECK(f.service->list({"platform-c", "192.0.2.30"}, false).empty());

    // only_valid leaves the revoked one out; the full list says it is disabled.
    f.authority->revoke(f.alice_rsa.record.serial, ca::RevocationReason::key_compromise,
                        std::nullopt, "operator:test");
    BOOST_CHECK_EQUAL(f.service->list(CscFixture::kPlatformA, true).size(), 2u);
    const auto all = f.service->list(CscFixture::kPlatformA, false);
    const auto rsa = std::ranges::find(all, f.alice_rsa_id, &csc::Credential::id);
    BOOST_REQUIRE(rsa != all.end());
    BOOST_CHECK(!rsa->key.enabled);
    BOOST_CHECK_EQUAL(rsa->certificate.status, "revoked");
    // and, past their validity, the expired ones.
    f.clock.advance(31 * 24h);
    BOOST_CHECK(f.service->list(CscFixture::kPlatformA, true).empty());
    BOOST_CHECK_EQUAL(f.service->list(CscFixture::kPlatformA, false).front().certificate.status,
                      "expired");

    const auto listed = f.events_of_type("csc.credentials_listed");
    BOOST_REQUIRE_EQUAL(listed.size(), 7u);
    BOOST_CHECK_EQUAL(listed[0].event.actor, "client:platform-a");
    BOOST_CHECK_EQUAL(listed[0].event.details.at("count"), 3);
}

BOOST_AUTO_TEST_CASE(info_describes_the_key_the_certificate_and_the_otps) {
    csc::Settings settings;
    settings.totp_authorizes = true;  // signing.totp_signs on: an enrolled TOTP is offered
    CscFixture f("csc_info", settings);
    const csc::Credential ec = f.service->info(CscFixture::kPlatformA, f.alice_ec_id);
    BOOST_CHECK_EQUAL(ec.id, f.alice_ec_id);
    BOOST_CHECK_EQUAL(ec.subject_id, f.alice.id);
    BOOST_CHECK(ec.key.enabled);
    BOOST_CHECK_EQUAL(ec.key.bits, 256);
    BOOST_CHECK_EQUAL(ec.key.curve.value_or(""), "1.2.840.10045.3.1.7");
    BOOST_CHECK(std::ranges::count(ec.key.algorithms, "1.2.840.10045.4.3.2") == 1);
    BOOST_CHECK_EQUAL(ec.certificate.status, "valid");
    BOOST_CHECK_EQUAL(ec.certificate.serial_hex, f.alice_ec_id);
    // The certificate, then its CAs up to the root (the small ceremony: issuing, root).
    BOOST_REQUIRE_EQUAL(ec.certificate.chain.size(), 3u);
    BOOST_CHECK(ec.certificate.chain[0] == *f.alice_ec.record.der);
    const X509Ptr issuing = ca::certificate_from_der(ec.certificate.chain[1]);
    const X509Ptr leaf = ca::certificate_from_der(ec.certificate.chain[0]);
    BOOST_CHECK_EQUAL(X509_check_issued(issuing.get(), leaf.get()), X509_V_OK);
    BOOST_CHECK(ec.certificate.subject_dn.find("CN=王芳") != std::string::npos);
    BOOST_CHECK(ec.certificate.valid_from == f.alice_ec.record.not_before);
    BOOST_CHECK(ec.certificate.valid_to == f.alice_ec.record.not_after);
    BOOST_CHECK(ec.auth.sms);    // a mobile number and a gateway
    BOOST_CHECK(!ec.auth.totp);  // not enrolled
    BOOST_CHECK_EQUAL(ec.multisign, 100);

    const csc::Credential rsa = f.service->info(CscFixture::kPlatformA, f.alice_rsa_id);
    BOOST_CHECK_EQUAL(rsa.key.bits, 2048);
    BOOST_CHECK(!rsa.key.curve);
    BOOST_CHECK(std::ranges::count(rsa.key.algorithms, "1.2.840.113549.1.1.10") == 1);  // PSS
    BOOST_CHECK(f.service->info(CscFixture::kPlatformA, f.bob_ec_id).auth.totp);

    const auto read = f.events_of_type("csc.credential_read");
    BOOST_REQUIRE_EQUAL(read.size(), 3u);
    BOOST_CHECK_EQUAL(read[0].event.object, "csc_credential:" + f.alice_ec_id);
    BOOST_CHECK_EQUAL(read[0].event.details.at("address"), "192.0.2.10");
}

BOOST_AUTO_TEST_CASE(another_platforms_credential_is_no_credential_for_any_method) {
    CscFixture f("csc_other_platform");
    const std::string before = f.csc_tables();
    const std::size_t sent = f.messages.size();
    const csc::Caller b = CscFixture::kPlatformB;
    // Alice's credential, an operator's subject's, an unknown serial, a lowercase spelling
    // and no hex at all: each the same refusal.
    std::string lower = f.alice_ec_id;
    std::ranges::transform(lower, lower.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    for (const std::string& id : {f.alice_ec_id, f.dave_ec_id, std::string("0123456789ABCDEF"),
                                  lower, std::string("not hex")}) {
        BOOST_TEST_CONTEXT(id) {
            const auto invalid = [&](auto operation) {
                expect_csc(operation, CscFailure::invalid_request,
                           "Invalid parameter credentialID");
            };
            invalid([&] { f.service->info(b, id); });
            invalid([&] { f.service->send_challenge(b, id, "OTP"); });
            csc::AuthorizeRequest r;
            r.credential_id = id;
            r.hashes = {CscFixture::sha256("contract")};
            r.auth_object = "OTP";
            r.code = "123456";
            invalid([&] { f.service->authorize(b, r); });
            invalid([&] { f.service->extend(b, {id, std::string(43, 'A'), {}, {}}); });
            invalid([&] {
                f.service->sign_hash(b, f.sign_request(id, std::string(43, 'A'),
                                                       {CscFixture::sha256("contract")}));
            });
        }
    }
    BOOST_CHECK_EQUAL(f.messages.size(), sent);  // no SMS went to alice
    BOOST_CHECK_EQUAL(f.csc_tables(), before);
}

BOOST_AUTO_TEST_SUITE_END()
