// The Refresher on a real PostgreSQL with the software signer: missing -> signed, aged past its
// refresh point -> re-signed (and not before), revoked -> re-signed as revoked at once, the
// store or HSM away, and two nodes on one database hearing each other's revocations.
#include "ocsp/refresher.hpp"

#include <boost/test/unit_test.hpp>
#include <thread>

#include "ocsp/response_summary.hpp"
#include "tests/ocsp/test_signer.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;
using ocsp::CertIdHash;

namespace {

policy::OcspSettings settings() {
    policy::OcspSettings s;
    s.response_validity = 3600s;
    s.refresh_after_percent = 50;
    return s;
}

// One node's source: its cache and refresher over the shared database.
struct Node {
    store::PostgresCertificates certificates;
    store::PostgresOcspResponses responses;
    ocsp::PresignedCache cache;
    ocsp::Refresher refresher;
    Node(store::Database& database, ocsp::ResponseSigner& signer, const Clock& clock,
         unsigned threads = 1)
        : certificates(database),
          responses(database),
          refresher({certificates, responses, cache, signer, clock, settings(), nullptr, threads}) {
    }

    ocsp::ResponseSummary::Status status(const Bytes& serial, CertIdHash hash,
                                         Clock::time_point now) {
        const auto found = cache.find({serial, hash}, now);
        BOOST_REQUIRE(found.has_value());
        return ocsp::summarize_response(found->der).status;
    }
};

struct Fixture {
    std::string dsn;
    store::Database database;
    TestSigner signer{3600s};
    ManualClock clock{
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())};
    Node node{database, signer, clock};

    explicit Fixture(const std::string& name)
        : dsn(TestCluster::instance().migrated_database(name)),
          database({.dsn = dsn, .pool_size = 4}) {}
};

constexpr auto kGood = ocsp::ResponseSummary::Status::good;
constexpr auto kRevoked = ocsp::ResponseSummary::Status::revoked;

}  // namespace

BOOST_AUTO_TEST_SUITE(refresher)

BOOST_AUTO_TEST_CASE(missing_responses_are_signed_in_both_hashes_stored_and_cached) {
    Fixture f("refresher_missing");
    const auto serials = insert_issued(f.database, 5);
    BOOST_CHECK_EQUAL(f.node.refresher.refresh_once(100), 10u);
    BOOST_CHECK_EQUAL(f.signer.signatures(), 10u);
    for (const auto& serial : serials) {
        for (const auto hash : {CertIdHash::sha1, CertIdHash::sha256}) {
            BOOST_CHECK(f.node.status(serial, hash, f.clock.now()) == kGood);
            const auto stored = f.node.responses.find(serial, ocsp::to_string(hash));
            BOOST_REQUIRE(stored.has_value());
            BOOST_CHECK(stored->der == f.node.cache.find({serial, hash}, f.clock.now())->der);
            BOOST_CHECK(stored->this_update == f.clock.now());
        }
    }
    BOOST_CHECK_EQUAL(f.node.responses.queued(), 0);
    BOOST_CHECK_EQUAL(f.node.refresher.refresh_once(100), 0u);
    // `max` bounds a pass.
    insert_issued(f.database, 3);
    BOOST_CHECK_EQUAL(f.node.refresher.refresh_once(2), 4u);
    BOOST_CHECK_EQUAL(f.node.refresher.refresh_once(2), 2u);
}

BOOST_AUTO_TEST_CASE(several_signing_threads_sign_each_certificate_once) {
    Fixture f("refresher_threads");
    Node node(f.database, f.signer, f.clock, 3);
    const auto serials = insert_issued(f.database, 50);
    BOOST_CHECK_EQUAL(node.refresher.refresh_once(100), 100u);
    BOOST_CHECK_EQUAL(f.signer.signatures(), 100u);
    BOOST_CHECK_EQUAL(node.cache.size(), 100u);
    BOOST_CHECK_EQUAL(node.responses.queued(), 0);
    for (const auto& serial : serials)
        BOOST_CHECK(node.responses.find(serial, "sha256").has_value());
    // The HSM away in the middle: what was signed is kept, the rest stays queued.
    insert_issued(f.database, 10);
    f.signer.set_available(false);
    BOOST_CHECK_THROW(node.refresher.refresh_once(100), Error);
    BOOST_CHECK_EQUAL(node.responses.queued(), 10);
}

BOOST_AUTO_TEST_CASE(a_response_is_re_signed_past_its_refresh_point_and_not_before) {
    Fixture f("refresher_aged");
    const auto serials = insert_issued(f.database, 20);
    BOOST_REQUIRE_EQUAL(f.node.refresher.refresh_once(100), 40u);
    const auto signed_at = f.clock.now();
    // 44% of the validity: before any certificate's point (50%, moved earlier by up to 5%).
    f.clock.advance(3600s * 44 / 100);
    BOOST_CHECK_EQUAL(f.node.refresher.refresh_once(100), 0u);
    // Past 50%: every one, once.
    f.clock.set(signed_at + 1801s);
    BOOST_CHECK_EQUAL(f.node.refresher.refresh_once(100), 40u);
    BOOST_CHECK_EQUAL(f.node.refresher.refresh_once(100), 0u);
    for (const auto& serial : serials) {
        const auto found = f.node.cache.find({serial, CertIdHash::sha256}, f.clock.now());
        BOOST_REQUIRE(found.has_value());
        BOOST_CHECK(found->this_update == f.clock.now());
        BOOST_CHECK(f.node.responses.find(serial, "sha1")->this_update == f.clock.now());
    }
}

BOOST_AUTO_TEST_CASE(the_refresh_points_are_spread_between_45_and_50_percent) {
    Fixture f("refresher_jitter");
    insert_issued(f.database, 200);
    BOOST_REQUIRE_EQUAL(f.node.refresher.refresh_once(1000), 400u);
    const auto signed_at = f.clock.now();
    // At 47.5%: some, not all (the serials' last octets are random).
    f.clock.set(signed_at + 3600s * 475 / 1000);
    const auto early = f.node.refresher.refresh_once(1000);
    BOOST_TEST_MESSAGE("re-signed at 47.5%: " << early / 2 << " of 200 certificates");
    BOOST_CHECK_GT(early, 0u);
    BOOST_CHECK_LT(early, 400u);
    f.clock.set(signed_at + 1801s);
    BOOST_CHECK_EQUAL(early + f.node.refresher.refresh_once(1000), 400u);
}

BOOST_AUTO_TEST_CASE(a_revocation_is_signed_revoked_at_once_and_settles_the_queue) {
    Fixture f("refresher_revoked");
    const auto serials = insert_issued(f.database, 3);
    f.node.refresher.refresh_once(100);
    revoke_row(f.database, serials[1], f.clock.now());
    BOOST_CHECK_EQUAL(f.node.refresher.certificate_changed(serials[1]), 2u);
    for (const auto hash : {CertIdHash::sha1, CertIdHash::sha256}) {
        BOOST_CHECK(f.node.status(serials[1], hash, f.clock.now()) == kRevoked);
        BOOST_CHECK(f.node.responses.find(serials[1], ocsp::to_string(hash))->revoked);
        BOOST_CHECK(f.node.status(serials[0], hash, f.clock.now()) == kGood);
    }
    // The queue entry the revocation made is settled: nothing signs it again.
    BOOST_CHECK_EQUAL(f.node.refresher.refresh_once(100), 0u);
    // Another node hearing the same NOTIFY takes the stored response instead of signing.
    Node other(f.database, f.signer, f.clock);
    const auto before = f.signer.signatures();
    BOOST_CHECK_EQUAL(other.refresher.certificate_changed(serials[1]), 0u);
    BOOST_CHECK_EQUAL(f.signer.signatures(), before);
    BOOST_CHECK(other.status(serials[1], CertIdHash::sha1, f.clock.now()) == kRevoked);
    // An unknown serial changes nothing.
    BOOST_CHECK_EQUAL(f.node.refresher.certificate_changed(Bytes{0x01, 0x02}), 0u);
}

BOOST_AUTO_TEST_CASE(the_hsm_away_keeps_the_queue_and_a_ca_without_responder_is_skipped) {
    Fixture f("refresher_hsm_down");
    insert_issued(f.database, 4);
    insert_issued(f.database, 2, "no-responder");
    f.signer.set_available(false);
    expect_error([&] { f.node.refresher.refresh_once(100); }, Errc::unavailable, "HSM");
    BOOST_CHECK_EQUAL(f.node.responses.queued(), 6);
    BOOST_CHECK_EQUAL(f.node.cache.size(), 0u);
    f.signer.set_available(true);
    BOOST_CHECK_EQUAL(f.node.refresher.refresh_once(100), 8u);
    // The two without a responder were settled, not retried forever.
    BOOST_CHECK_EQUAL(f.node.responses.queued(), 0);
    BOOST_CHECK_EQUAL(f.node.cache.certificates(), 4u);
}

BOOST_AUTO_TEST_CASE(the_loop_reports_its_backlog_while_the_hsm_is_away_and_clears_it) {
    Fixture f("refresher_backlog");
    MetricsRegistry metrics;
    f.node.refresher.register_metrics(metrics);
    f.node.refresher.set_idle_sleep(10ms);
    insert_issued(f.database, 4);
    f.signer.set_available(false);
    f.node.refresher.start();
    auto wait_for = [&](std::size_t backlog) {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (f.node.refresher.backlog() != backlog && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(10ms);
    };
    wait_for(4);
    BOOST_CHECK_EQUAL(f.node.refresher.backlog(), 4u);
    BOOST_CHECK_NE(metrics.render().find("signet_ocsp_refresh_backlog 4\n"), std::string::npos);
    BOOST_CHECK_EQUAL(f.node.cache.size(), 0u);
    // The HSM back: the loop (after its backoff) signs them all.
    f.signer.set_available(true);
    wait_for(0);
    f.node.refresher.stop();
    BOOST_CHECK_EQUAL(f.node.refresher.backlog(), 0u);
    BOOST_CHECK_EQUAL(f.node.cache.size(), 8u);
    BOOST_CHECK_NE(metrics.render().find("signet_ocsp_presigned_total 8\n"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_hash_turned_on_later_is_pre_signed_once_the_loop_starts) {
    Fixture f("refresher_new_hash");
    auto sha256_only = settings();
    sha256_only.presign_sha1 = false;
    ocsp::PresignedCache first_cache;
    ocsp::Refresher first(
        {f.node.certificates, f.node.responses, first_cache, f.signer, f.clock, sha256_only});
    const auto serials = insert_issued(f.database, 3);
    BOOST_CHECK_EQUAL(first.refresh_once(10), 3u);
    BOOST_CHECK(!f.node.responses.find(serials[0], "sha1").has_value());
    BOOST_CHECK_EQUAL(f.node.responses.queue_missing(false, true), 0);
    // Both hashes now (f.node's settings): the loop queues the three and signs both hashes.
    f.node.refresher.set_idle_sleep(10ms);
    f.node.refresher.start();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (f.node.cache.size() < 6 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    f.node.refresher.stop();
    for (const auto& serial : serials)
        BOOST_CHECK(f.node.responses.find(serial, "sha1").has_value());
    BOOST_CHECK_EQUAL(f.node.cache.size(), 6u);
}

BOOST_AUTO_TEST_CASE(the_store_away_fails_the_pass_and_the_next_one_recovers) {
    Fixture f("refresher_store_down");
    insert_issued(f.database, 2);
    store::Database unreachable(
        {.dsn = "host=/nonexistent-signet dbname=x", .pool_size = 1, .acquire_timeout = 200ms});
    store::PostgresOcspResponses down(unreachable);
    ocsp::PresignedCache cache;
    ocsp::Refresher refresher({f.node.certificates, down, cache, f.signer, f.clock, settings()});
    expect_error([&] { refresher.refresh_once(10); }, Errc::unavailable, "database unavailable");
    expect_error([&] { refresher.load(); }, Errc::unavailable, "database unavailable");
    // The loop survives it: counts the failures, backs off, and stops when told.
    MetricsRegistry metrics;
    refresher.register_metrics(metrics);
    refresher.start();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (metrics.render().find("signet_ocsp_refresh_failures_total 0") != std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    refresher.stop();
    BOOST_CHECK_EQUAL(metrics.render().find("signet_ocsp_refresh_failures_total 0"),
                      std::string::npos);
    BOOST_CHECK_EQUAL(f.node.refresher.refresh_once(10), 4u);
}

BOOST_AUTO_TEST_CASE(load_fills_a_new_cache_and_pull_brings_what_another_node_signed) {
    Fixture f("refresher_load");
    const auto first = insert_issued(f.database, 5);
    f.node.refresher.refresh_once(100);
    Node other(f.database, f.signer, f.clock);
    other.refresher.load();
    BOOST_CHECK_EQUAL(other.cache.size(), 10u);
    BOOST_CHECK(other.cache.find({first[0], CertIdHash::sha1}, f.clock.now())->der ==
                f.node.cache.find({first[0], CertIdHash::sha1}, f.clock.now())->der);
    const auto second = insert_issued(f.database, 2);
    f.node.refresher.refresh_once(100);
    BOOST_CHECK(!other.cache.find({second[0], CertIdHash::sha1}, f.clock.now()).has_value());
    BOOST_CHECK_GE(other.refresher.pull(), 4u);
    BOOST_CHECK(other.cache.find({second[0], CertIdHash::sha1}, f.clock.now()).has_value());
    BOOST_CHECK_EQUAL(other.cache.size(), 14u);
}

BOOST_AUTO_TEST_CASE(reconnecting_rechecks_revocations_made_while_deaf) {
    Fixture f("refresher_reconnect");
    const auto serials = insert_issued(f.database, 2);
    f.node.refresher.refresh_once(100);
    auto callbacks = f.node.refresher.listener_callbacks();
    callbacks.on_error("connection lost: test");
    // Revoked while the listener was away: its NOTIFY is lost.
    revoke_row(f.database, serials[0], std::chrono::system_clock::now());
    BOOST_CHECK(f.node.status(serials[0], CertIdHash::sha1, f.clock.now()) == kGood);
    callbacks.on_reconnect();
    BOOST_CHECK(f.node.status(serials[0], CertIdHash::sha1, f.clock.now()) == kRevoked);
    BOOST_CHECK(f.node.status(serials[1], CertIdHash::sha1, f.clock.now()) == kGood);
    // A payload is parsed as "{issuer_ca}:{serial hex}"; a bad one is counted, not thrown.
    revoke_row(f.database, serials[1], std::chrono::system_clock::now());
    callbacks.on_notification("issuing:" + to_hex(serials[1]));
    BOOST_CHECK(f.node.status(serials[1], CertIdHash::sha256, f.clock.now()) == kRevoked);
    callbacks.on_notification("no colon");
    callbacks.on_notification("issuing:zz");
}

BOOST_AUTO_TEST_SUITE_END()
