// The pre-signed responses' table (migration 6) on a real PostgreSQL: the upsert's rule (revoked
// wins, then the newer thisUpdate), streaming, the queue the trigger fills, and due().
#include "store/ocsp_responses.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/ocsp/test_signer.hpp"
#include "tests/store/test_cluster.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

struct OcspResponsesFixture {
    store::Database database{
        {.dsn = TestCluster::instance().migrated_database("ocsp_store"), .pool_size = 2}};
    store::PostgresOcspResponses responses{database};
    const Clock::time_point now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());

    store::StoredOcspResponse row(const Bytes& serial, std::string hash, Clock::time_point at,
                                  bool revoked = false, std::uint8_t tag = 1) {
        return {serial, std::move(hash), "issuing", Bytes{0x30, tag}, at, at + 1h, at, revoked, 0};
    }
    void settle_all() {
        std::vector<store::SettledEntry> done;
        for (const auto& d : responses.due(now, 100000, {}))
            if (d.queued_version)
                done.push_back({d.certificate.serial, *d.queued_version});
        responses.settle(done);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(ocsp_responses)

BOOST_AUTO_TEST_CASE(upsert_keeps_revoked_over_good_and_then_the_newer_this_update) {
    OcspResponsesFixture f;
    const auto serial = insert_issued(f.database, 1).front();
    const store::StoredOcspResponse first[] = {f.row(serial, "sha1", f.now, false, 1),
                                               f.row(serial, "sha256", f.now, false, 2)};
    f.responses.upsert_many(first);
    auto found = f.responses.find(serial, "sha1");
    BOOST_REQUIRE(found.has_value());
    BOOST_CHECK(found->der == (Bytes{0x30, 1}));
    BOOST_CHECK(found->this_update == f.now);
    BOOST_CHECK(found->next_update == f.now + 1h);
    BOOST_CHECK_EQUAL(found->issuer_ca, "issuing");
    BOOST_CHECK(!found->revoked);
    BOOST_CHECK(f.responses.find(serial, "sha256")->der == (Bytes{0x30, 2}));

    // An older good one does not replace a newer good one.
    const store::StoredOcspResponse older[] = {f.row(serial, "sha1", f.now - 10s, false, 3)};
    f.responses.upsert_many(older);
    BOOST_CHECK(f.responses.find(serial, "sha1")->der == (Bytes{0x30, 1}));
    // A revoked one replaces a good one even with an earlier thisUpdate (another node's clock).
    const store::StoredOcspResponse revoked[] = {f.row(serial, "sha1", f.now - 5s, true, 4)};
    f.responses.upsert_many(revoked);
    BOOST_CHECK(f.responses.find(serial, "sha1")->revoked);
    // And a later good one never replaces it.
    const store::StoredOcspResponse late_good[] = {f.row(serial, "sha1", f.now + 60s, false, 5)};
    f.responses.upsert_many(late_good);
    BOOST_CHECK(f.responses.find(serial, "sha1")->der == (Bytes{0x30, 4}));
    // A newer revoked one does.
    const store::StoredOcspResponse newer[] = {f.row(serial, "sha1", f.now + 60s, true, 6)};
    f.responses.upsert_many(newer);
    BOOST_CHECK(f.responses.find(serial, "sha1")->der == (Bytes{0x30, 6}));
    BOOST_CHECK(!f.responses.find(Bytes{0x7f}, "sha1").has_value());
}

BOOST_AUTO_TEST_CASE(load_all_streams_every_row_across_pages_and_changed_after_only_new_ones) {
    OcspResponsesFixture f;
    const auto serials = insert_issued(f.database, 6000);
    std::vector<store::StoredOcspResponse> rows;
    for (const auto& s : serials)
        rows.push_back(f.row(s, "sha256", f.now));
    f.responses.upsert_many(rows);
    std::size_t loaded = 0;
    f.responses.load_all([&](store::StoredOcspResponse&& r) {
        BOOST_CHECK(r.der == (Bytes{0x30, 1}));
        ++loaded;
    });
    BOOST_CHECK_EQUAL(loaded, serials.size());

    std::size_t all = 0;
    const auto highest = f.responses.changed_after(0, [&](store::StoredOcspResponse&&) { ++all; });
    BOOST_CHECK_EQUAL(all, serials.size());
    // One more write: only it comes after `highest`.
    const store::StoredOcspResponse again[] = {f.row(serials[7], "sha256", f.now + 1s, false, 9)};
    f.responses.upsert_many(again);
    std::vector<Bytes> seen;
    const auto next = f.responses.changed_after(
        highest, [&](store::StoredOcspResponse&& r) { seen.push_back(r.serial); });
    BOOST_REQUIRE_EQUAL(seen.size(), 1u);
    BOOST_CHECK(seen[0] == serials[7]);
    BOOST_CHECK_GT(next, highest);
    BOOST_CHECK_EQUAL(f.responses.changed_after(next, [](store::StoredOcspResponse&&) {}), next);

    std::size_t recent = 0;
    f.responses.changed_since(f.now + 1s, [&](store::StoredOcspResponse&&) { ++recent; });
    BOOST_CHECK_EQUAL(recent, 1u);
}

BOOST_AUTO_TEST_CASE(issued_and_revoked_certificates_are_queued_and_aged_responses_are_due) {
    OcspResponsesFixture f;
    const auto serials = insert_issued(f.database, 3);
    // The trigger queued all three, oldest entry first, with what a response needs.
    auto due = f.responses.due(f.now, 10, {});
    BOOST_REQUIRE_EQUAL(due.size(), 3u);
    BOOST_CHECK_EQUAL(f.responses.queued(), 3);
    for (const auto& d : due) {
        BOOST_CHECK(d.queued_version.has_value());
        BOOST_CHECK_EQUAL(d.certificate.status, "issued");
        BOOST_CHECK_EQUAL(d.certificate.issuer_ca, "issuing");
    }
    BOOST_CHECK_EQUAL(f.responses.due(f.now, 2, {}).size(), 2u);

    // Signed: settled, stored an hour ago.
    std::vector<store::StoredOcspResponse> rows;
    for (const auto& s : serials) {
        rows.push_back(f.row(s, "sha1", f.now - 1h));
        rows.push_back(f.row(s, "sha256", f.now - 1h));
    }
    f.responses.upsert_many(rows);
    f.settle_all();
    BOOST_CHECK_EQUAL(f.responses.queued(), 0);
    BOOST_CHECK(f.responses.due(f.now - 2h, 10, {}).empty());
    // Aged: due once the bound passes their thisUpdate, once each (two hashes, one certificate).
    due = f.responses.due(f.now, 10, {});
    BOOST_REQUIRE_EQUAL(due.size(), 3u);
    for (const auto& d : due) {
        BOOST_CHECK(!d.queued_version.has_value());
        BOOST_REQUIRE(d.oldest.has_value());
        BOOST_CHECK(*d.oldest == f.now - 1h);
    }
    BOOST_CHECK_EQUAL(f.responses.aged(f.now), 6);
    // Each certificate's share of the jitter, in the query: with a jitter of 2 h and a bound
    // 1 h past their thisUpdate, a certificate is due exactly when its serial's last octet is
    // over 128 (its own bound: thisUpdate + 2 h * (octet - 128) / 256); the others are left out
    // rather than filling the limit.
    std::size_t expected = 0;
    for (const auto& serial : serials)
        expected += serial.back() > 128 ? 1 : 0;
    const auto jittered = f.responses.due(f.now, 10, std::chrono::hours(2));
    BOOST_CHECK_EQUAL(jittered.size(), expected);
    for (const auto& d : jittered)
        BOOST_CHECK_GT(static_cast<int>(d.certificate.serial.back()), 128);

    // A revocation queues it again at once, ahead of the aged ones.
    revoke_row(f.database, serials[1], f.now);
    due = f.responses.due(f.now, 10, {});
    BOOST_REQUIRE_EQUAL(due.size(), 3u);
    BOOST_CHECK(due[0].certificate.serial == serials[1]);
    BOOST_CHECK_EQUAL(due[0].certificate.status, "revoked");
    BOOST_REQUIRE(due[0].certificate.revoked_at.has_value());
    BOOST_CHECK_EQUAL(due[0].certificate.revocation_reason.value_or(-1), 1);
    BOOST_REQUIRE(due[0].queued_version.has_value());
    BOOST_CHECK(f.responses.queued_version(serials[1]) == due[0].queued_version);
    const auto revoked = f.responses.revoked_since(f.now - 1s);
    BOOST_REQUIRE_EQUAL(revoked.size(), 1u);
    BOOST_CHECK(revoked[0] == serials[1]);

    // Settling an entry that was queued again since leaves the newer entry.
    const store::SettledEntry stale[] = {{serials[1], *due[0].queued_version - 1}};
    f.responses.settle(stale);
    BOOST_CHECK_EQUAL(f.responses.queued(), 1);
    const store::SettledEntry current[] = {{serials[1], *due[0].queued_version}};
    f.responses.settle(current);
    BOOST_CHECK_EQUAL(f.responses.queued(), 0);
}

BOOST_AUTO_TEST_CASE(a_reserved_certificate_is_not_queued) {
    OcspResponsesFixture f;
    f.database.with_connection([](store::Connection& c) {
        c.exec(
            "INSERT INTO certificates (serial, issuer_ca, purpose, profile, subject_dn, key_type, "
            "key_source, public_key, tbs, status, not_before, not_after, reserved_at) VALUES "
            "('\\x0102'::bytea, 'issuing', 'subject', 'p', 'CN=x', 'ec-p256', 'csr', "
            "'\\x00'::bytea, '\\x00'::bytea, 'reserved', now(), now(), now())");
    });
    BOOST_CHECK_EQUAL(f.responses.queued(), 0);
    f.database.with_connection([](store::Connection& c) {
        c.exec(
            "UPDATE certificates SET status = 'issued', der = '\\x00'::bytea, issued_at = now() "
            "WHERE serial = '\\x0102'::bytea");
    });
    BOOST_CHECK_EQUAL(f.responses.queued(), 1);
}

// The responder's live path reads a certificate's status without its large columns.
BOOST_AUTO_TEST_CASE(find_status_reads_the_status_without_the_large_columns) {
    OcspResponsesFixture f;
    const auto serial = insert_issued(f.database, 1).front();
    store::PostgresCertificates certificates(f.database);
    auto status = certificates.find_status(serial);
    BOOST_REQUIRE(status.has_value());
    BOOST_CHECK(status->serial == serial);
    BOOST_CHECK_EQUAL(status->issuer_ca, "issuing");
    BOOST_CHECK_EQUAL(status->status, "issued");
    BOOST_CHECK(!status->revoked_at);
    BOOST_CHECK(status->der == std::nullopt && status->tbs.empty() && status->public_key.empty());
    BOOST_CHECK(certificates.find(serial)->der.has_value());

    revoke_row(f.database, serial, f.now);
    status = certificates.find_status(serial);
    BOOST_REQUIRE(status.has_value());
    BOOST_CHECK_EQUAL(status->status, "revoked");
    BOOST_CHECK(status->revoked_at == f.now);
    BOOST_CHECK_EQUAL(status->revocation_reason.value_or(-1), 1);
    BOOST_CHECK(!certificates.find_status(Bytes{0x7f, 0x01}));
}

BOOST_AUTO_TEST_SUITE_END()
