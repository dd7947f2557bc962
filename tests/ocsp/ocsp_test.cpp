// The OCSP responder (ocsp::StatusResponder) in process, on a real SoftHSM token and PostgreSQL,
// after a real key ceremony and with an Authority issuing and revoking; every signed response
// judged by `openssl ocsp` trusting the root alone.
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <boost/test/unit_test.hpp>

#include "ca/x509.hpp"
#include "common/der.hpp"
#include "tests/ocsp/ocsp_fixture.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

std::string serial_arg(const Bytes& serial) {
    return "0x" + to_hex(serial);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ocsp_responder)

BOOST_AUTO_TEST_CASE(good_in_sha1_and_sha256_signed_by_key_verified_by_openssl_then_cached) {
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_good");
    const auto issued = f.issue();
    for (const std::string hash : {"-sha1", "-sha256"}) {
        BOOST_TEST_MESSAGE("CertID hash " << hash);
        const Bytes request = f.request(f.pem("issuing"), {hash, "-cert", f.leaf("leaf"), "-no_nonce"});
        const auto answer = f.responder->answer(request, "10.0.0.1");
        BOOST_REQUIRE_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_SUCCESSFUL);
        BOOST_CHECK(answer.cacheable);
        BOOST_CHECK(answer.this_update == ocsp::whole_seconds(f.clock.now()));
        BOOST_CHECK(answer.next_update == answer.this_update + f.settings.response_validity);

        const auto verdict = f.check(answer.der, {"-issuer", f.pem("issuing"), hash, "-cert",
                                                  f.leaf("leaf"), "-no_nonce"});
        BOOST_CHECK_MESSAGE(verdict.exit_code == 0 && verdict.verified(), verdict.output);
        BOOST_CHECK_MESSAGE(contains(verdict.output, f.leaf("leaf") + ": good"), verdict.output);
        const std::string algorithm = hash == "-sha1" ? "Hash Algorithm: sha1" : "Hash Algorithm: sha256";
        BOOST_CHECK_MESSAGE(contains(verdict.output, algorithm), verdict.output);

        // GeneralizedTime without fractions (RFC 5280 §4.1.2.5.2): YYYYMMDDHHMMSSZ.
        for (const std::string& time : response_times(answer.der)) {
            BOOST_CHECK_EQUAL(time.size(), 15u);
            BOOST_CHECK(time.back() == 'Z' && time.find('.') == std::string::npos);
        }
        // ResponderID byKey (RFC 6960 §4.2.2.3): the SHA-1 of the responder's public key; the
        // responder certificate in `certs`.
        const auto basic = basic_response(answer.der);
        const ASN1_OCTET_STRING* key_id = nullptr;
        const X509_NAME* name = nullptr;
        BOOST_REQUIRE_EQUAL(OCSP_resp_get0_id(basic.get(), &key_id, &name), 1);
        BOOST_REQUIRE(key_id != nullptr);
        BOOST_CHECK(name == nullptr);
        const auto responder = ca::certificate_from_pem_or_der(as_bytes(read_file(f.pem("ocsp-issuing"))));
        unsigned char expected[SHA_DIGEST_LENGTH];
        BOOST_REQUIRE_EQUAL(X509_pubkey_digest(responder.get(), EVP_sha1(), expected, nullptr), 1);
        BOOST_CHECK(Bytes(ASN1_STRING_get0_data(key_id), ASN1_STRING_get0_data(key_id) + 20) ==
                    Bytes(expected, expected + 20));
        const STACK_OF(X509)* certs = OCSP_resp_get0_certs(basic.get());
        BOOST_REQUIRE_EQUAL(sk_X509_num(certs), 1);
        BOOST_CHECK_EQUAL(X509_cmp(sk_X509_value(certs, 0), responder.get()), 0);

        // Asked again: the same bytes, from the cache the first answer was offered to.
        const std::size_t hits = f.cache.hits();
        const auto again = f.responder->answer(request, "10.0.0.1");
        BOOST_CHECK(again.der == answer.der);
        BOOST_CHECK(again.cacheable);
        BOOST_CHECK_EQUAL(f.cache.hits(), hits + 1);
    }
    BOOST_CHECK_EQUAL(f.cache.offers(), 2u);  // one per hash algorithm
    const std::string metrics = f.metrics.render();
    BOOST_CHECK_MESSAGE(
        contains(metrics, "signet_ocsp_responses_total{status=\"successful\",source=\"cache\"} 2"),
        metrics);
    BOOST_CHECK_MESSAGE(
        contains(metrics, "signet_ocsp_responses_total{status=\"successful\",source=\"live\"} 2"),
        metrics);
}

BOOST_AUTO_TEST_CASE(answer_from_memory_gives_only_a_held_pre_signed_response) {
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_memory");
    f.issue();
    const Bytes request = f.request(f.pem("issuing"), {"-cert", f.leaf("leaf"), "-no_nonce"});
    // Nothing held yet: nullopt (the responder's keys are not even loaded), and nothing signed.
    BOOST_CHECK(!f.responder->answer_from_memory(request));
    BOOST_CHECK_EQUAL(f.cache.offers(), 0u);
    const auto signed_live = f.responder->answer(request, "10.0.0.1");
    BOOST_REQUIRE(signed_live.cacheable);
    // Now held: the same bytes, cacheable, counted as served from the cache.
    const auto held = f.responder->answer_from_memory(request);
    BOOST_REQUIRE(held.has_value());
    BOOST_CHECK(held->der == signed_live.der);
    BOOST_CHECK(held->cacheable);
    BOOST_CHECK(held->next_update == signed_live.next_update);
    BOOST_CHECK_MESSAGE(
        contains(f.metrics.render(),
                 "signet_ocsp_responses_total{status=\"successful\",source=\"cache\"} 1"),
        f.metrics.render());
    // A nonce to echo, two CertIDs, or bytes that do not decode: left to answer().
    BOOST_CHECK(!f.responder->answer_from_memory(
        f.request(f.pem("issuing"), {"-cert", f.leaf("leaf"), "-nonce"})));
    BOOST_CHECK(!f.responder->answer_from_memory(f.request(
        f.pem("issuing"), {"-cert", f.leaf("leaf"), "-cert", f.leaf("leaf"), "-no_nonce"})));
    BOOST_CHECK(!f.responder->answer_from_memory(as_bytes(std::string("garbage"))));
    BOOST_CHECK_EQUAL(f.cache.offers(), 1u);
}

BOOST_AUTO_TEST_CASE(revoked_with_its_time_and_reason) {
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_revoked");
    const auto issued = f.issue();
    f.clock.advance(std::chrono::minutes(5));
    const auto revoked = f.authority->revoke(issued.record.serial,
                                             ca::RevocationReason::key_compromise, std::nullopt,
                                             "operator:test");
    const Bytes request = f.request(f.pem("issuing"), {"-cert", f.leaf("leaf"), "-no_nonce"});
    const auto answer = f.responder->answer(request, "10.0.0.1");
    BOOST_REQUIRE_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    BOOST_CHECK(answer.cacheable);
    const auto verdict =
        f.check(answer.der, {"-issuer", f.pem("issuing"), "-cert", f.leaf("leaf"), "-no_nonce"});
    BOOST_CHECK_MESSAGE(verdict.verified(), verdict.output);
    BOOST_CHECK_MESSAGE(contains(verdict.output, f.leaf("leaf") + ": revoked"), verdict.output);
    BOOST_CHECK_MESSAGE(contains(verdict.output, "Reason: keyCompromise"), verdict.output);

    const auto basic = basic_response(answer.der);
    int reason = -1;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    BOOST_CHECK_EQUAL(OCSP_single_get0_status(OCSP_resp_get0(basic.get(), 0), &reason, &revoked_at,
                                              nullptr, nullptr),
                      V_OCSP_CERTSTATUS_REVOKED);
    BOOST_CHECK_EQUAL(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
    BOOST_REQUIRE(revoked_at != nullptr);
    const auto seconds =
        std::chrono::floor<std::chrono::seconds>(revoked.revoked_at->time_since_epoch()).count();
    Asn1GeneralizedTimePtr expected(ASN1_GENERALIZEDTIME_set(nullptr, static_cast<time_t>(seconds)));
    BOOST_CHECK_EQUAL(ASN1_STRING_cmp(revoked_at, expected.get()), 0);
}

BOOST_AUTO_TEST_CASE(a_serial_never_issued_and_a_reserved_row_are_unknown_and_not_cached) {
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_unknown");
    // A row left 'reserved' (the issuance stopped between reservation and signing).
    std::optional<store::CertificateRecord> reserved;
    f.authority->set_after_reservation([&](const store::CertificateRecord& record) {
        reserved = record;
        throw std::runtime_error("stopped before signing");
    });
    BOOST_CHECK_THROW(f.issue(), std::runtime_error);
    f.authority->set_after_reservation({});
    BOOST_REQUIRE(reserved.has_value());
    // A certificate of the other CA, asked about with this CA's hashes: not this CA's.
    const auto other = f.issue_plain("other");

    for (const Bytes& serial : {Bytes{0x12, 0x34, 0x56}, reserved->serial, other.record.serial}) {
        const Bytes request =
            f.request(f.pem("issuing"), {"-serial", serial_arg(serial), "-no_nonce"});
        const auto answer = f.responder->answer(request, "10.0.0.1");
        BOOST_REQUIRE_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_SUCCESSFUL);
        BOOST_CHECK(!answer.cacheable);
        const auto verdict = f.check(answer.der, {"-issuer", f.pem("issuing"), "-serial",
                                                  serial_arg(serial), "-no_nonce"});
        BOOST_CHECK_MESSAGE(verdict.verified(), verdict.output);
        BOOST_CHECK_MESSAGE(contains(verdict.output, ": unknown"), verdict.output);
    }
    BOOST_CHECK_EQUAL(f.cache.offers(), 0u);
}

BOOST_AUTO_TEST_CASE(an_issuer_not_served_or_without_a_responder_is_unauthorized_unsigned) {
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_unauthorized");
    const auto issued = f.issue();
    const auto plain = f.issue_plain("plain-leaf");
    // The root is no issuing CA; "plain" has no responder; a CA unknown to the store.
    const std::vector<std::pair<std::string, std::string>> cases{
        {f.pem("root"), f.pem("issuing")},
        {f.pem("plain"), f.leaf("plain-leaf")},
        {f.pem("ocsp-issuing"), f.leaf("leaf")},
    };
    for (const auto& [issuer, cert] : cases) {
        const Bytes request = f.request(issuer, {"-cert", cert, "-no_nonce"});
        const auto answer = f.responder->answer(request, "10.0.0.1");
        BOOST_CHECK_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
        BOOST_CHECK(!answer.cacheable);
        const auto verdict = f.check(answer.der, {});
        BOOST_CHECK_MESSAGE(contains(verdict.output, "Responder Error: unauthorized (6)"),
                            verdict.output);
    }
    // CertIDs of two CAs in one request: no one responder may answer for both.
    const Bytes mixed_a = f.request(f.pem("issuing"), {"-cert", f.leaf("leaf"), "-no_nonce"});
    BOOST_CHECK_EQUAL(response_status(f.responder->answer(mixed_a, "c").der),
                      OCSP_RESPONSE_STATUS_SUCCESSFUL);
    const Bytes mixed = f.request(f.pem("issuing"), {"-cert", f.leaf("leaf"), "-issuer",
                                                     f.pem("plain"), "-cert", f.leaf("plain-leaf"),
                                                     "-no_nonce"});
    BOOST_CHECK_EQUAL(response_status(f.responder->answer(mixed, "c").der),
                      OCSP_RESPONSE_STATUS_UNAUTHORIZED);
    const std::string metrics = f.metrics.render();
    BOOST_CHECK_MESSAGE(
        contains(metrics, "signet_ocsp_responses_total{status=\"unauthorized\",source=\"live\"} 4"),
        metrics);
}

BOOST_AUTO_TEST_CASE(a_nonce_is_echoed_in_a_live_response_and_dropped_when_policy_says_so) {
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_nonce");
    f.issue();
    const Bytes request = f.request(f.pem("issuing"), {"-cert", f.leaf("leaf"), "-nonce"});
    const std::string request_file = f.save("nonce-request.der", request);
    const auto answer = f.responder->answer(request, "10.0.0.1");
    BOOST_REQUIRE_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    BOOST_CHECK(!answer.cacheable);
    BOOST_CHECK_EQUAL(f.cache.offers(), 0u);
    // -reqin: openssl compares the nonces (a mismatch is "Nonce Verify error", exit 1).
    auto verdict = f.check(answer.der, {"-reqin", request_file, "-issuer", f.pem("issuing")});
    BOOST_CHECK_MESSAGE(verdict.exit_code == 0 && verdict.verified(), verdict.output);
    BOOST_CHECK_MESSAGE(contains(verdict.output, "OCSP Nonce"), verdict.output);
    BOOST_CHECK_MESSAGE(!contains(verdict.output, "WARNING: no nonce in response"), verdict.output);
    {
        const unsigned char* p = request.data();
        OcspRequestPtr parsed(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request.size())));
        BOOST_CHECK_EQUAL(OCSP_check_nonce(parsed.get(), basic_response(answer.der).get()), 1);
    }

    // ocsp.live_nonce false: answered as without a nonce (signed once, cached, no nonce).
    auto settings = f.settings;
    settings.live_nonce = false;
    f.rebuild_responder(settings);
    const auto cached = f.responder->answer(request, "10.0.0.1");
    BOOST_REQUIRE_EQUAL(response_status(cached.der), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    BOOST_CHECK(cached.cacheable);
    BOOST_CHECK_EQUAL(f.cache.offers(), 1u);
    verdict = f.check(cached.der, {"-reqin", request_file, "-issuer", f.pem("issuing")});
    BOOST_CHECK_MESSAGE(verdict.verified(), verdict.output);
    BOOST_CHECK_MESSAGE(contains(verdict.output, "WARNING: no nonce in response"), verdict.output);
}

BOOST_AUTO_TEST_CASE(two_certids_get_one_live_response_with_both) {
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_two");
    f.issue("one");
    const auto two = f.issue("two");
    f.authority->revoke(two.record.serial, ca::RevocationReason::superseded, std::nullopt,
                        "operator:test");
    const std::vector<std::string> ids{"-cert", f.leaf("one"), "-cert", f.leaf("two"),
                                       "-no_nonce"};
    auto request_args = ids;
    const Bytes request = f.request(f.pem("issuing"), request_args);
    const auto answer = f.responder->answer(request, "10.0.0.1");
    BOOST_REQUIRE_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    BOOST_CHECK(!answer.cacheable);
    BOOST_CHECK_EQUAL(OCSP_resp_count(basic_response(answer.der).get()), 2);
    std::vector<std::string> check_args{"-issuer", f.pem("issuing")};
    check_args.insert(check_args.end(), ids.begin(), ids.end());
    const auto verdict = f.check(answer.der, check_args);
    BOOST_CHECK_MESSAGE(verdict.verified(), verdict.output);
    BOOST_CHECK_MESSAGE(contains(verdict.output, f.leaf("one") + ": good"), verdict.output);
    BOOST_CHECK_MESSAGE(contains(verdict.output, f.leaf("two") + ": revoked"), verdict.output);
    BOOST_CHECK_MESSAGE(contains(verdict.output, "Reason: superseded"), verdict.output);
}

BOOST_AUTO_TEST_CASE(live_signing_is_limited_per_client_and_refills_with_time) {
    policy::OcspSettings settings;
    settings.live_per_client_per_second = 1;
    settings.live_burst = 2;
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_limit", settings);
    f.issue();
    const Bytes request = f.request(f.pem("issuing"), {"-cert", f.leaf("leaf"), "-nonce"});
    const auto status = [&](const std::string& client) {
        return response_status(f.responder->answer(request, client).der);
    };
    // The clock stands still: the burst, then nothing for this client; others are not affected.
    BOOST_CHECK_EQUAL(status("192.0.2.1"), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    BOOST_CHECK_EQUAL(status("192.0.2.1"), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    BOOST_CHECK_EQUAL(status("192.0.2.1"), OCSP_RESPONSE_STATUS_TRYLATER);
    BOOST_CHECK_EQUAL(status("192.0.2.2"), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    // A cached answer costs no signature: served to the limited client all the same.
    const Bytes plain = f.request(f.pem("issuing"), {"-cert", f.leaf("leaf"), "-no_nonce"});
    BOOST_CHECK_EQUAL(response_status(f.responder->answer(plain, "192.0.2.2").der),
                      OCSP_RESPONSE_STATUS_SUCCESSFUL);
    BOOST_CHECK_EQUAL(response_status(f.responder->answer(plain, "192.0.2.1").der),
                      OCSP_RESPONSE_STATUS_SUCCESSFUL);
    // One second: one more signature.
    f.clock.advance(std::chrono::seconds(1));
    BOOST_CHECK_EQUAL(status("192.0.2.1"), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    BOOST_CHECK_EQUAL(status("192.0.2.1"), OCSP_RESPONSE_STATUS_TRYLATER);
    const std::string metrics = f.metrics.render();
    BOOST_CHECK_MESSAGE(contains(metrics, "signet_ocsp_live_limited_total 2"), metrics);
    BOOST_CHECK_MESSAGE(
        contains(metrics, "signet_ocsp_responses_total{status=\"tryLater\",source=\"live\"} 2"),
        metrics);
}

BOOST_AUTO_TEST_CASE(a_store_that_is_down_gives_try_later_and_the_cache_still_serves) {
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_store_down");
    f.issue("cached");
    f.issue("missed");
    const Bytes cached = f.request(f.pem("issuing"), {"-cert", f.leaf("cached"), "-no_nonce"});
    BOOST_REQUIRE(f.responder->answer(cached, "c").cacheable);
    const Bytes missed = f.request(f.pem("issuing"), {"-cert", f.leaf("missed"), "-no_nonce"});
    const Bytes nonce = f.request(f.pem("issuing"), {"-cert", f.leaf("missed"), "-nonce"});

    f.drop_database();
    for (const Bytes* request : {&missed, &nonce}) {
        const auto answer = f.responder->answer(*request, "c");
        BOOST_CHECK_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_TRYLATER);
        BOOST_CHECK(!answer.cacheable);
    }
    const auto served = f.responder->answer(cached, "c");
    BOOST_CHECK_EQUAL(response_status(served.der), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    BOOST_CHECK(served.cacheable);

    // A responder that starts while the store is down cannot know its CAs yet: tryLater (not
    // unauthorized), for a request the cache could serve too.
    ocsp::ResponderKeys keys(f.token, *f.certificates, f.clock);
    ocsp::HsmResponseSigner signer(keys, f.settings.response_validity);
    ocsp::StatusResponder starting(
        {*f.certificates, f.cache, keys, signer, f.clock, f.settings});
    for (int i = 0; i < 2; ++i) {  // the failed read, then the one not yet due again
        const auto answer = starting.answer(cached, "c");
        BOOST_CHECK_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_TRYLATER);
    }
}

BOOST_AUTO_TEST_CASE(malformed_requests_get_an_unsigned_malformed_request) {
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_malformed");
    const Bytes good = f.request(f.pem("issuing"), {"-serial", "0x01", "-no_nonce"});
    Bytes trailing = good;
    trailing.push_back(0);
    for (const Bytes& bad : {Bytes{}, Bytes{0x30, 0x00}, trailing, Bytes(good.begin(), good.end() - 3)}) {
        const auto answer = f.responder->answer(bad, "c");
        BOOST_CHECK(answer.der == (Bytes{0x30, 0x03, 0x0a, 0x01, 0x01}));
        BOOST_CHECK(!answer.cacheable);
    }
    // More CertIDs than ocsp.max_certificates_per_request.
    auto settings = f.settings;
    settings.max_certificates_per_request = 1;
    f.rebuild_responder(settings);
    const Bytes two = f.request(f.pem("issuing"), {"-serial", "1", "-serial", "2", "-no_nonce"});
    BOOST_CHECK_EQUAL(response_status(f.responder->answer(two, "c").der),
                      OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    // One byte over ocsp.max_request_bytes, and exactly at it.
    settings.max_request_bytes = good.size() - 1;
    f.rebuild_responder(settings);
    BOOST_CHECK_EQUAL(response_status(f.responder->answer(good, "c").der),
                      OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    settings.max_request_bytes = good.size();
    f.rebuild_responder(settings);
    BOOST_CHECK_EQUAL(response_status(f.responder->answer(good, "c").der),
                      OCSP_RESPONSE_STATUS_SUCCESSFUL);
    const std::string metrics = f.metrics.render();
    BOOST_CHECK_MESSAGE(contains(metrics, "signet_ocsp_responses_total{status=\"malformedRequest\","
                                          "source=\"live\"} 6"),
                        metrics);
}

BOOST_AUTO_TEST_CASE(a_response_never_outlives_its_responder_certificate) {
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_outlive");
    const auto issued = f.issue();
    const auto responder =
        ca::certificate_from_pem_or_der(as_bytes(read_file(f.pem("ocsp-issuing"))));
    std::tm tm{};
    BOOST_REQUIRE_EQUAL(ASN1_TIME_to_tm(X509_get0_notAfter(responder.get()), &tm), 1);
    const Clock::time_point not_after = std::chrono::system_clock::from_time_t(timegm(&tm));
    // Ten minutes before the responder's end, with an hour's validity: nextUpdate is its end.
    f.clock.set(not_after - std::chrono::minutes(10));
    const auto signed_now = f.signer->sign(issued.record, ocsp::CertIdHash::sha1, f.clock.now());
    BOOST_CHECK(signed_now.next_update == not_after);
    const Bytes request = f.request(f.pem("issuing"), {"-cert", f.leaf("leaf"), "-no_nonce"});
    const auto answer = f.responder->answer(request, "c");
    BOOST_REQUIRE_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    BOOST_CHECK(answer.next_update == not_after);
    // Well before it: the full validity.
    f.clock.set(not_after - std::chrono::days(30));
    const auto early = f.signer->sign(issued.record, ocsp::CertIdHash::sha1, f.clock.now());
    BOOST_CHECK(early.next_update == early.this_update + f.settings.response_validity);
}

BOOST_AUTO_TEST_CASE(an_expired_responder_certificate_gives_try_later) {
    OcspFixture f(SoftHsm::instance().open_new_token("ocsp"), "ocsp_expired");
    const auto issued = f.issue();
    const Bytes request = f.request(f.pem("issuing"), {"-cert", f.leaf("leaf"), "-no_nonce"});
    BOOST_CHECK_EQUAL(response_status(f.responder->answer(request, "c").der),
                      OCSP_RESPONSE_STATUS_SUCCESSFUL);
    // Past the responder's 365 days (its CA's 730 are not over): no valid responder.
    f.clock.advance(std::chrono::days(366));
    const auto answer = f.responder->answer(request, "c");
    BOOST_CHECK_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_TRYLATER);
    BOOST_CHECK(!answer.cacheable);
    // The signer (the pre-signing refresher's) refuses as well.
    expect_error([&] { f.signer->sign(issued.record, ocsp::CertIdHash::sha1, f.clock.now()); },
                 Errc::not_found, "no OCSP responder certificate valid now");
}

BOOST_AUTO_TEST_SUITE_END()
