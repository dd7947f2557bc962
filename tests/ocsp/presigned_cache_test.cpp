// PresignedCache: what find() may return (never past nextUpdate), the rule of put() (revoked
// wins, then the newer thisUpdate), and many threads at once.
#include "ocsp/presigned_cache.hpp"

#include <boost/test/unit_test.hpp>
#include <thread>

#include "ocsp/response_summary.hpp"
#include "tests/ocsp/test_signer.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

store::CertificateRecord certificate(Bytes serial, std::string status = "issued") {
    store::CertificateRecord c;
    c.serial = std::move(serial);
    c.issuer_ca = "issuing";
    c.status = std::move(status);
    if (c.status == "revoked") {
        c.revoked_at = std::chrono::system_clock::now() - 1min;
        c.revocation_reason = 1;
    }
    return c;
}

const auto kNow =
    std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());

}  // namespace

BOOST_AUTO_TEST_SUITE(presigned_cache)

BOOST_AUTO_TEST_CASE(find_never_returns_a_response_at_or_past_its_next_update) {
    TestSigner signer(3600s);
    ocsp::PresignedCache cache;
    const Bytes serial{0x11, 0x22};
    const auto response = signer.sign(certificate(serial), ocsp::CertIdHash::sha1, kNow);
    BOOST_CHECK(cache.put({serial, ocsp::CertIdHash::sha1}, response));
    BOOST_REQUIRE(cache.find({serial, ocsp::CertIdHash::sha1}, kNow).has_value());
    BOOST_CHECK(cache.find({serial, ocsp::CertIdHash::sha1}, kNow)->der == response.der);
    BOOST_CHECK(cache.find({serial, ocsp::CertIdHash::sha1}, kNow + 3599s).has_value());
    BOOST_CHECK(!cache.find({serial, ocsp::CertIdHash::sha1}, kNow + 3600s).has_value());
    BOOST_CHECK(!cache.find({serial, ocsp::CertIdHash::sha1}, kNow + 3601s).has_value());
    // The other hash, another serial, a serial no certificate can have: nothing.
    BOOST_CHECK(!cache.find({serial, ocsp::CertIdHash::sha256}, kNow).has_value());
    BOOST_CHECK(!cache.find({Bytes{0x11}, ocsp::CertIdHash::sha1}, kNow).has_value());
    BOOST_CHECK(!cache.find({Bytes(21, 1), ocsp::CertIdHash::sha1}, kNow).has_value());
    BOOST_CHECK(!cache.find({Bytes{}, ocsp::CertIdHash::sha1}, kNow).has_value());
    expect_error(
        [&] {
            cache.put({Bytes(21, 1), ocsp::CertIdHash::sha1}, response);
        },
        Errc::invalid_argument, "20 octets");
    BOOST_CHECK_EQUAL(cache.size(), 1u);
    BOOST_CHECK_EQUAL(cache.certificates(), 1u);
    BOOST_CHECK_EQUAL(cache.bytes(), response.der.size());
}

BOOST_AUTO_TEST_CASE(a_revoked_response_is_never_replaced_by_a_good_one) {
    TestSigner signer(3600s);
    ocsp::PresignedCache cache;
    const Bytes serial{0x33};
    const ocsp::ResponseKey key{serial, ocsp::CertIdHash::sha256};
    const auto good = signer.sign(certificate(serial), key.hash, kNow);
    const auto revoked = signer.sign(certificate(serial, "revoked"), key.hash, kNow - 5s);
    const auto later_good = signer.sign(certificate(serial), key.hash, kNow + 10s);
    BOOST_CHECK(cache.put(key, good));
    // Read from the DER: the revoked one wins though its thisUpdate is earlier.
    cache.offer(key, revoked);
    BOOST_CHECK(cache.find(key, kNow)->der == revoked.der);
    BOOST_CHECK(!cache.put(key, later_good));
    BOOST_CHECK(cache.find(key, kNow)->der == revoked.der);
    BOOST_CHECK(ocsp::summarize_response(cache.find(key, kNow)->der).status ==
                ocsp::ResponseSummary::Status::revoked);
    // A newer revoked one replaces it; an older good one never replaced the newer good one.
    const auto newer_revoked = signer.sign(certificate(serial, "revoked"), key.hash, kNow + 20s);
    BOOST_CHECK(cache.put(key, newer_revoked));
    const ocsp::ResponseKey other{Bytes{0x34}, ocsp::CertIdHash::sha256};
    BOOST_CHECK(cache.put(other, later_good, false));
    BOOST_CHECK(!cache.put(other, good, false));
    BOOST_CHECK(cache.find(other, kNow)->der == later_good.der);
    BOOST_CHECK_EQUAL(cache.size(), 2u);
    BOOST_CHECK_EQUAL(cache.bytes(), newer_revoked.der.size() + later_good.der.size());
}

BOOST_AUTO_TEST_CASE(many_threads_find_and_put_at_once) {
    TestSigner signer(3600s);
    ocsp::PresignedCache cache;
    constexpr int kSerials = 2000;
    std::vector<Bytes> serials;
    std::vector<ocsp::SignedResponse> responses;
    for (int i = 0; i < kSerials; ++i) {
        serials.push_back(random_serial());
        responses.push_back(signer.sign(certificate(serials.back()), ocsp::CertIdHash::sha1, kNow));
    }
    // Writers put every response while readers look every serial up: a reader finds either
    // nothing yet or exactly the response put, never anything else.
    std::atomic<int> wrong{0};
    std::atomic<int> hits{0};
    {
        std::vector<std::jthread> threads;
        for (int w = 0; w < 2; ++w) {
            threads.emplace_back([&, w] {
                for (int i = w; i < kSerials; i += 2)
                    cache.put({serials[i], ocsp::CertIdHash::sha1}, responses[i], false);
            });
        }
        for (int r = 0; r < 6; ++r) {
            threads.emplace_back([&] {
                for (int round = 0; round < 5; ++round) {
                    for (int i = 0; i < kSerials; ++i) {
                        const auto found = cache.find({serials[i], ocsp::CertIdHash::sha1}, kNow);
                        if (found && found->der != responses[i].der)
                            ++wrong;
                        else if (found)
                            ++hits;
                    }
                }
            });
        }
    }
    BOOST_CHECK_EQUAL(wrong.load(), 0);
    BOOST_TEST_MESSAGE("hits while filling: " << hits.load());
    BOOST_CHECK_EQUAL(cache.size(), static_cast<std::size_t>(kSerials));
    for (int i = 0; i < kSerials; ++i)
        BOOST_CHECK(cache.find({serials[i], ocsp::CertIdHash::sha1}, kNow)->der ==
                    responses[i].der);
    // The structures' estimate stays well under 1 KiB per certificate beyond the DER.
    BOOST_CHECK_LT(cache.overhead_bytes() / cache.certificates(), 1024u);
    MetricsRegistry metrics;
    cache.register_metrics(metrics);
    const auto text = metrics.render();
    BOOST_CHECK_NE(text.find("signet_ocsp_cache_responses 2000"), std::string::npos);
    BOOST_CHECK_NE(text.find("signet_ocsp_cache_bytes " + std::to_string(cache.bytes())),
                   std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
