// The clock behind genTime (DESIGN.md invariant 4), with an injected clock at the edges. RFC 3161
// section 2.4.2: accuracy is the time deviation around the UTC time in genTime. genTime is the
// clock cut to the policy's precision, so it may be off by the kernel's maximum error plus one
// precision step; the TSA issues only while that sum is within the accuracy it claims, and
// answers timeNotAvailable otherwise, without recording anything.
#include <boost/test/unit_test.hpp>

#include "tests/support/expect.hpp"
#include "tests/tsa/tsa_fixture.hpp"
#include "tsa/protocol.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;
using tsa::Failure;

namespace {

// A synchronised kernel clock with this maximum error; the estimate is much smaller, as on a
// real host, so a rule that read the estimate would pass where the bound does not.
Clock::Health synchronised(std::chrono::microseconds maximum_error) {
    return {true, 1us, maximum_error, ""};
}

// Whether the responder grants a token now; a refusal must be timeNotAvailable.
bool granted(TsaFixture& f) {
    const tsa::Reply reply = f.responder->respond(make_request({}), kRequester);
    if (!reply.failure)
        return true;
    BOOST_CHECK_EQUAL(to_string(*reply.failure), "timeNotAvailable");
    BOOST_CHECK_MESSAGE(reply.reason.find("maximum error") != std::string::npos ||
                            reply.reason.find("synchronised") != std::string::npos,
                        reply.reason);
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tsa_clock)

BOOST_AUTO_TEST_CASE(maximum_error_plus_the_precision_step_is_bounded_by_the_accuracy) {
    TsaFixture f({.start = false});
    struct Case {
        std::chrono::milliseconds accuracy;
        unsigned precision;
        std::chrono::microseconds room;  // accuracy - step: the largest maximum error taken
    };
    for (const Case c : {Case{1000ms, 3, 999'000us}, Case{1000ms, 6, 999'999us},
                         Case{250ms, 2, 240'000us}, Case{2ms, 3, 1'000us}, Case{5ms, 4, 4'900us}}) {
        BOOST_TEST_CONTEXT("accuracy " << c.accuracy.count() << " ms, precision " << c.precision) {
            policy::TsaSettings settings;
            settings.accuracy = c.accuracy;
            settings.precision = c.precision;
            f.restart(settings);
            const auto before = f.tokens->count();
            f.clock->set_health(synchronised(c.room));
            BOOST_CHECK(f.responder->clock_verdict().usable);
            BOOST_CHECK(granted(f));  // exactly at the bound
            f.clock->set_health(synchronised(c.room + 1us));
            BOOST_CHECK(!f.responder->clock_verdict().usable);
            BOOST_CHECK(!granted(f));  // one microsecond over
            f.clock->set_health(synchronised(0us));
            BOOST_CHECK(granted(f));
            // Only the granted tokens were recorded.
            BOOST_CHECK_EQUAL(f.tokens->count(), before + 2);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_estimated_error_is_not_the_bound) {
    TsaFixture f;
    // A small estimate (esterror) with a maximum error beyond the accuracy: refused.
    f.clock->set_health({true, 10ms, 1500ms, ""});
    const tsa::Reply refused = f.responder->respond(make_request({}), kRequester);
    BOOST_REQUIRE(refused.failure.has_value());
    BOOST_CHECK_EQUAL(to_string(*refused.failure), "timeNotAvailable");
    BOOST_CHECK(refused.reason.find("maximum error 1500000 us + precision step 1000 us") !=
                std::string::npos);
    const ParsedReply parsed = parse_reply(refused.der);
    BOOST_REQUIRE_EQUAL(parsed.failure_bits.size(), 1u);
    BOOST_CHECK_EQUAL(parsed.failure_bits[0], static_cast<int>(Failure::time_not_available));
    // The maximum error itself at the accuracy: no room left for the step, refused too.
    f.clock->set_health({true, 10ms, 1000ms, ""});
    BOOST_CHECK(!granted(f));
    BOOST_CHECK_EQUAL(f.tokens->count(), 0);
}

BOOST_AUTO_TEST_CASE(an_unsynchronised_clock_gives_time_not_available_unless_allowed) {
    TsaFixture f;
    f.clock->set_health({false, 0us, 16s, "the kernel reports the clock unsynchronised"});
    const tsa::Reply reply = f.responder->respond(make_request({}), kRequester);
    BOOST_REQUIRE(reply.failure.has_value());
    BOOST_CHECK_EQUAL(to_string(*reply.failure), "timeNotAvailable");
    BOOST_CHECK(parse_reply(reply.der).status_text.find("unsynchronised") != std::string::npos);
    const tsa::ClockVerdict verdict = f.responder->clock_verdict();
    BOOST_CHECK(!verdict.usable);
    BOOST_CHECK(!verdict.lax);

    // The development switch issues anyway, and says so.
    policy::TsaSettings lax;
    lax.allow_unsynchronized_clock = true;
    f.restart(lax);
    BOOST_CHECK(granted(f));
    BOOST_CHECK(f.responder->clock_verdict().lax);
    BOOST_CHECK(f.responder->clock_verdict().detail.find("development only") != std::string::npos);
    // ... also for a synchronised clock whose bound is beyond the accuracy.
    f.clock->set_health(synchronised(2s));
    BOOST_CHECK(granted(f));
    BOOST_CHECK(f.responder->clock_verdict().lax);
    // Within the bound the switch changes nothing.
    f.clock->set_health(synchronised(1ms));
    BOOST_CHECK(granted(f));
    BOOST_CHECK(!f.responder->clock_verdict().lax);
    BOOST_CHECK_EQUAL(f.tokens->count(), 3);
}

BOOST_AUTO_TEST_CASE(the_system_clock_reports_the_kernels_bound) {
    // Whatever this machine's NTP state, the kernel keeps a maximum error: it grows by its
    // frequency tolerance every second and the NTP daemon sets it again at each update, so it
    // is never zero.
    const Clock::Health health = SystemClock().health();
    BOOST_TEST_MESSAGE("synchronised " << health.synchronized << ", estimated "
                                       << health.estimated_error.count() << " us, maximum "
                                       << health.maximum_error.count() << " us");
    BOOST_CHECK_GT(health.maximum_error.count(), 0);
}

BOOST_AUTO_TEST_SUITE_END()
