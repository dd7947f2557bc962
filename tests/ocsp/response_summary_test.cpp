// summarize_response on responses `openssl ocsp` made (the fuzz seeds in
// fuzz/corpus/ocsp_summary/, from an index file and a CA key): what it reads, what it refuses.
#include "ocsp/response_summary.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/support/expect.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::testing;
using Status = ocsp::ResponseSummary::Status;

namespace {

Bytes seed(const std::string& name) {
    const std::string text = read_file(source_file("fuzz/corpus/ocsp_summary/" + name));
    return Bytes(text.begin(), text.end());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(response_summary)

BOOST_AUTO_TEST_CASE(reads_what_openssl_ocsp_signed) {
    const auto good = ocsp::summarize_response(seed("good.der"));
    BOOST_CHECK(good.status == Status::good);
    BOOST_CHECK(good.serial == (Bytes{0x12, 0x34}));
    BOOST_REQUIRE(good.next_update.has_value());
    BOOST_CHECK(*good.next_update - good.this_update == std::chrono::hours(24));
    BOOST_CHECK(!good.revocation_time.has_value());

    const auto revoked = ocsp::summarize_response(seed("revoked-sha256.der"));
    BOOST_CHECK(revoked.status == Status::revoked);
    BOOST_REQUIRE(revoked.revocation_time.has_value());
    BOOST_CHECK_EQUAL(format_utc(*revoked.revocation_time), "2026-12-01T00:00:00.000000Z");
    BOOST_CHECK_EQUAL(revoked.revocation_reason.value_or(-1), 1);  // keyCompromise

    // RFC 6960 §4.2.1: nextUpdate is optional (Signet always sets it; others may not).
    BOOST_CHECK(!ocsp::summarize_response(seed("no-next-update.der")).next_update.has_value());
}

BOOST_AUTO_TEST_CASE(refuses_anything_but_one_successful_basic_response) {
    for (const std::string name :
         {"empty", "truncated.der", "trailing-byte.der", "malformed-request-status.der",
          "a-request-not-a-response.der"}) {
        BOOST_TEST_CONTEXT(name) {
            expect_error([&] { ocsp::summarize_response(seed(name)); }, Errc::invalid_argument,
                         "not a pre-signed OCSP response");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
