// The TSA's /healthz rule (tsa/health.hpp), which lives with the responder and not in api/:
// degraded without a responder, on an unusable clock, when issuing on an untrusted clock only
// because the policy allows it, and when the certificate has ended or ends within the renewal
// window; ok otherwise. The clock is injected, so each edge is exact.
#include "tsa/health.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/tsa/tsa_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tsa_health)

BOOST_AUTO_TEST_CASE(no_responder_is_degraded_with_the_reason) {
    const tsa::TsaHealth health =
        tsa::assess_health(nullptr, std::chrono::system_clock::now(), "run the key ceremony");
    BOOST_CHECK(health.degraded);
    BOOST_CHECK_EQUAL(health.detail, "run the key ceremony");
}

BOOST_AUTO_TEST_CASE(a_usable_clock_and_a_current_certificate_are_ok) {
    TsaFixture f;
    const tsa::TsaHealth health = tsa::assess_health(f.responder.get(), f.clock->now(), "");
    BOOST_CHECK(!health.degraded);
    BOOST_CHECK_MESSAGE(has(health.detail, "synchronised") && has(health.detail, "valid until"),
                        health.detail);
}

BOOST_AUTO_TEST_CASE(an_unusable_clock_is_degraded) {
    TsaFixture f;
    f.clock->set_health({false, 0us, 16s, "the kernel reports the clock unsynchronised"});
    tsa::TsaHealth health = tsa::assess_health(f.responder.get(), f.clock->now(), "");
    BOOST_CHECK(health.degraded);
    BOOST_CHECK(has(health.detail, "answering timeNotAvailable"));
    // Synchronised, but the bound is beyond the accuracy.
    f.clock->set_health({true, 1ms, 1s, ""});
    health = tsa::assess_health(f.responder.get(), f.clock->now(), "");
    BOOST_CHECK(health.degraded);
    BOOST_CHECK(has(health.detail, "maximum error"));
}

BOOST_AUTO_TEST_CASE(issuing_on_an_untrusted_clock_is_degraded) {
    policy::TsaSettings lax;
    lax.allow_unsynchronized_clock = true;
    TsaFixture f({.settings = lax});
    f.clock->set_health({false, 0us, 16s, "unsynchronised"});
    const tsa::TsaHealth health = tsa::assess_health(f.responder.get(), f.clock->now(), "");
    BOOST_CHECK(health.degraded);
    BOOST_CHECK(has(health.detail, "development only"));
    // The same policy on a good clock is ok: the switch is not used.
    f.clock->set_health({true, 1us, 1ms, ""});
    BOOST_CHECK(!tsa::assess_health(f.responder.get(), f.clock->now(), "").degraded);
}

BOOST_AUTO_TEST_CASE(the_certificate_end_is_reported_from_the_renewal_window_on) {
    TsaFixture f;
    const auto not_after = f.responder->certificate_not_after();
    auto at = [&](Clock::time_point now) { return tsa::assess_health(f.responder.get(), now, ""); };
    // Just outside the window: ok; at its start and inside it: degraded, with a word why.
    BOOST_CHECK(!at(not_after - tsa::kCertificateRenewalWindow - 1s).degraded);
    BOOST_CHECK(!at(not_after - tsa::kCertificateRenewalWindow).degraded);
    const tsa::TsaHealth ending = at(not_after - tsa::kCertificateRenewalWindow + 1s);
    BOOST_CHECK(ending.degraded);
    BOOST_CHECK(has(ending.detail, "renew"));
    BOOST_CHECK(at(not_after).degraded);
    // Past notAfter: expired.
    const tsa::TsaHealth expired = at(not_after + 1s);
    BOOST_CHECK(expired.degraded);
    BOOST_CHECK(has(expired.detail, "expired"));
}

BOOST_AUTO_TEST_SUITE_END()
