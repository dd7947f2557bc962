// Two nodes on one database, each with its cache, refresher (running) and listener: a
// revocation made through one is served revoked by both. The latency is printed (docs/ocsp.md
// quotes it); the test waits with a generous bound and asserts only the outcome.
#include <boost/test/unit_test.hpp>

#include "ocsp/refresher.hpp"
#include "ocsp/response_summary.hpp"
#include "tests/ocsp/test_signer.hpp"
#include "tests/store/test_cluster.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

struct ClusterNode {
    store::PostgresCertificates certificates;
    store::PostgresOcspResponses responses;
    ocsp::PresignedCache cache;
    ocsp::Refresher refresher;
    std::unique_ptr<store::NotificationListener> listener;
    ClusterNode(store::Database& database, const std::string& dsn, ocsp::ResponseSigner& signer,
         const Clock& clock)
        : certificates(database),
          responses(database),
          refresher({certificates, responses, cache, signer, clock, policy::OcspSettings{}}) {
        refresher.set_idle_sleep(100ms);
        refresher.load();
        listener = std::make_unique<store::NotificationListener>(dsn, "signet_certificate_status",
                                                                 refresher.listener_callbacks());
        BOOST_REQUIRE(listener->wait_until_listening(30s));
        refresher.start();
    }
    ~ClusterNode() {
        listener->stop();
        refresher.stop();
    }
    bool revoked(const Bytes& serial) {
        for (const auto hash : {ocsp::CertIdHash::sha1, ocsp::CertIdHash::sha256}) {
            const auto found = cache.find({serial, hash}, std::chrono::system_clock::now());
            if (!found || ocsp::summarize_response(found->der).status !=
                              ocsp::ResponseSummary::Status::revoked)
                return false;
        }
        return true;
    }
};

template <class P>
std::chrono::steady_clock::duration wait_until(P predicate) {
    const auto start = std::chrono::steady_clock::now();
    while (!predicate() && std::chrono::steady_clock::now() - start < 30s)
        std::this_thread::sleep_for(1ms);
    return std::chrono::steady_clock::now() - start;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(multi_node)

BOOST_AUTO_TEST_CASE(a_revocation_through_one_node_is_served_revoked_by_both) {
    const auto dsn = TestCluster::instance().migrated_database("ocsp_two_nodes");
    store::Database database_a({.dsn = dsn, .pool_size = 4});
    store::Database database_b({.dsn = dsn, .pool_size = 4});
    TestSigner signer(3600s);
    SystemClock clock;
    const auto serials = insert_issued(database_a, 50);
    ClusterNode a(database_a, dsn, signer, clock);
    ClusterNode b(database_b, dsn, signer, clock);
    // Both serve every certificate once the loops have run (one signs, the other pulls).
    wait_until([&] { return a.cache.certificates() == 50 && b.cache.certificates() == 50; });
    BOOST_REQUIRE_EQUAL(a.cache.certificates(), 50u);
    BOOST_REQUIRE_EQUAL(b.cache.certificates(), 50u);
    BOOST_CHECK(!b.revoked(serials[7]));

    for (int round = 0; round < 3; ++round) {
        const Bytes& serial = serials[10 + round];
        const auto start = std::chrono::steady_clock::now();
        revoke_row(database_a, serial, std::chrono::system_clock::now());
        std::chrono::steady_clock::duration to_a{}, to_b{};
        wait_until([&] {
            const auto now = std::chrono::steady_clock::now() - start;
            if (to_a == decltype(to_a){} && a.revoked(serial))
                to_a = now;
            if (to_b == decltype(to_b){} && b.revoked(serial))
                to_b = now;
            return to_a != decltype(to_a){} && to_b != decltype(to_b){};
        });
        BOOST_CHECK(a.revoked(serial));
        BOOST_CHECK(b.revoked(serial));
        using Ms = std::chrono::duration<double, std::milli>;
        BOOST_TEST_MESSAGE("revocation served revoked by node A after "
                           << Ms(to_a).count() << " ms, by node B after " << Ms(to_b).count()
                           << " ms");
    }
    BOOST_CHECK(!a.revoked(serials[0]));
    // Nothing is due any more: the backlog on /metrics comes down to 0.
    MetricsRegistry metrics;
    a.refresher.register_metrics(metrics);
    a.cache.register_metrics(metrics);
    wait_until([&] { return a.refresher.backlog() == 0; });
    const auto text = metrics.render();
    BOOST_CHECK_NE(text.find("signet_ocsp_refresh_backlog 0\n"), std::string::npos);
    BOOST_CHECK_NE(text.find("signet_ocsp_cache_certificates 50\n"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
