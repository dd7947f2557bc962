// The issuance cycle's group commit on a real PostgreSQL: writes of concurrent issuances share
// one transaction, and one member's failure stays its own. To make a batch deterministically,
// the test holds a lock that stops the (single) writer at its first batch, waits until the
// other writes are queued behind it, then lets go: they all go in the second batch.
#include "ca/issuance_journal.hpp"

#include <boost/test/unit_test.hpp>
#include <functional>
#include <thread>

#include "ca/x509.hpp"
#include "common/error.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

struct Fixture {
    store::Database database{
        {.dsn = TestCluster::instance().migrated_database("issuance_journal"), .pool_size = 6}};
    ManualClock clock{std::chrono::system_clock::now()};
    audit::PostgresAuditLog audit{database, clock};
    store::PostgresCertificates certificates{database};
    ca::GroupCommitIssuanceJournal journal{database, certificates, audit, {.writers = 1}};
    std::uint8_t next_serial = 1;

    store::CertificateRecord record() {
        store::CertificateRecord r;
        r.serial = Bytes(20, 0x11);
        r.serial[19] = next_serial++;
        r.issuer_ca = "test-ca";
        r.purpose = "subject";
        r.profile = "personal";
        r.subject_dn = "CN=Test";
        r.key_type = "ec-p256";
        r.key_source = "csr";
        r.public_key = {0x30, 0x00};
        r.tbs = {0x30, 0x01, 0x02};
        r.status = "reserved";
        r.not_before = clock.now();
        r.not_after = clock.now() + std::chrono::hours(24);
        r.reserved_at = clock.now();
        return r;
    }

    std::string status(ByteView serial) {
        const auto row = certificates.find(serial);
        return row ? row->status : "absent";
    }

    std::int64_t count(const std::string& sql) {
        return database.with_connection(
            [&](store::Connection& c) { return c.exec(sql).one()[0].int64(); });
    }

    // Runs `first` while a SHARE lock on certificates stops the writer in it, queues `rest`
    // behind it, then releases the lock. Returns each write's error ("" for none).
    std::vector<std::string> in_one_batch(std::function<void()> first,
                                          std::vector<std::function<void()>> rest) {
        auto blocker = database.acquire();
        blocker->begin({});
        blocker->exec("LOCK TABLE certificates IN SHARE MODE");
        std::vector<std::string> outcomes(rest.size() + 1);
        auto run = [&](std::size_t i, const std::function<void()>& write) {
            return std::jthread([&outcomes, i, write] {
                try {
                    write();
                } catch (const Error& e) {
                    outcomes[i] = std::string(to_string(e.code()));
                }
            });
        };
        std::vector<std::jthread> threads;
        threads.push_back(run(0, first));
        // The writer holds the first batch and waits for the lock...
        while (count("SELECT count(*) FROM pg_locks WHERE NOT granted") == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        for (std::size_t i = 0; i < rest.size(); ++i)
            threads.push_back(run(i + 1, rest[i]));
        // ...while the others queue up for the next one.
        while (journal.stats().queued < rest.size())
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        blocker->rollback();
        threads.clear();
        return outcomes;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(issuance_journal)

BOOST_AUTO_TEST_CASE(one_caller_reserves_and_completes) {
    Fixture f;
    auto r = f.record();
    f.journal.reserve(r);
    BOOST_CHECK_EQUAL(f.status(r.serial), "reserved");
    r.der = Bytes{0x30, 0x03, 0x01, 0x02, 0x03};
    r.issued_at = f.clock.now();
    f.journal.complete(r, {"certificate.issued", "operator:test", "certificate:1", {}});
    BOOST_CHECK_EQUAL(f.status(r.serial), "issued");
    BOOST_CHECK(f.certificates.find(r.serial)->der == r.der);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM audit_outbox"), 1);
    // A second completion of the same row would be a second certificate for it.
    expect_error(
        [&] {
            f.journal.complete(r, {"certificate.issued", "operator:test", "x", {}});
        },
        Errc::failed_precondition, "is not reserved");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM audit_outbox"), 1);
    MetricsRegistry metrics;
    f.journal.register_metrics(metrics);
    const std::string text = metrics.render();
    for (const char* name : {"signet_ca_commit_batches_total", "signet_ca_committed_writes_total",
                             "signet_ca_commit_split_batches_total"})
        BOOST_CHECK_MESSAGE(text.find(name) != std::string::npos, name << " is missing");
    BOOST_CHECK_EQUAL(f.journal.stats().writes, 3u);
}

BOOST_AUTO_TEST_CASE(a_refused_reservation_in_a_batch_fails_alone) {
    Fixture f;
    const auto taken = f.record();
    f.journal.reserve(taken);
    auto first = f.record();
    auto duplicate = f.record();
    duplicate.serial = taken.serial;
    auto bad = f.record();
    bad.purpose = "not-a-purpose";  // the table's CHECK refuses it: the whole statement fails
    auto good1 = f.record();
    auto good2 = f.record();
    const auto outcomes =
        f.in_one_batch([&] { f.journal.reserve(first); },
                       {[&] { f.journal.reserve(duplicate); }, [&] { f.journal.reserve(bad); },
                        [&] { f.journal.reserve(good1); }, [&] { f.journal.reserve(good2); }});
    BOOST_CHECK_EQUAL(outcomes[0], "");
    BOOST_CHECK_EQUAL(outcomes[1], "already_exists");
    BOOST_CHECK_EQUAL(outcomes[2], "invalid_argument");
    BOOST_CHECK_EQUAL(outcomes[3], "");
    BOOST_CHECK_EQUAL(outcomes[4], "");
    for (const auto* r : {&first, &good1, &good2})
        BOOST_CHECK_EQUAL(f.status(r->serial), "reserved");
    BOOST_CHECK_EQUAL(f.status(bad.serial), "absent");
    // The taken row is untouched.
    BOOST_CHECK(f.certificates.find(taken.serial)->tbs == taken.tbs);
    const auto stats = f.journal.stats();
    BOOST_CHECK_EQUAL(stats.largest_batch, 4u);
    BOOST_CHECK_EQUAL(stats.split_batches, 1u);
}

BOOST_AUTO_TEST_CASE(a_batch_of_completions_stores_each_certificate_with_its_event) {
    Fixture f;
    std::vector<store::CertificateRecord> records;
    for (int i = 0; i < 4; ++i) {
        records.push_back(f.record());
        f.journal.reserve(records.back());
        records.back().der = Bytes{0x30, 0x01, static_cast<std::uint8_t>(i)};
        records.back().issued_at = f.clock.now();
    }
    auto never_reserved = f.record();
    never_reserved.der = Bytes{0x30, 0x00};
    never_reserved.issued_at = f.clock.now();
    auto complete = [&](const store::CertificateRecord& r) {
        return [&f, &r] {
            f.journal.complete(r, {"certificate.issued",
                                   "operator:test",
                                   "certificate:" + ca::serial_hex(r.serial),
                                   {}});
        };
    };
    // A reservation and completions in one batch, one of them for a row that is not reserved.
    auto fresh = f.record();
    const auto outcomes = f.in_one_batch(complete(records[0]),
                                         {complete(records[1]), complete(never_reserved),
                                          [&] { f.journal.reserve(fresh); }, complete(records[2])});
    BOOST_CHECK_EQUAL(outcomes[0], "");
    BOOST_CHECK_EQUAL(outcomes[1], "");
    BOOST_CHECK_EQUAL(outcomes[2], "failed_precondition");
    BOOST_CHECK_EQUAL(outcomes[3], "");
    BOOST_CHECK_EQUAL(outcomes[4], "");
    for (int i = 0; i < 3; ++i) {
        const auto row = f.certificates.find(records[i].serial);
        BOOST_CHECK_EQUAL(row->status, "issued");
        BOOST_CHECK(row->der == records[i].der);
    }
    BOOST_CHECK_EQUAL(f.status(records[3].serial), "reserved");
    BOOST_CHECK_EQUAL(f.status(never_reserved.serial), "absent");
    BOOST_CHECK_EQUAL(f.status(fresh.serial), "reserved");
    // One event per stored certificate, none for the refused one.
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM audit_outbox"), 3);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM audit_outbox WHERE object = 'certificate:" +
                              ca::serial_hex(never_reserved.serial) + "'"),
                      0);
    BOOST_CHECK_EQUAL(f.journal.stats().split_batches, 0u);
    // And they enter the log, numbered without a gap.
    BOOST_CHECK_EQUAL(f.audit.drain(), 3u);
    BOOST_CHECK(audit::verify(f.audit).ok());
}

BOOST_AUTO_TEST_CASE(an_invalid_audit_event_is_its_callers_error_alone) {
    Fixture f;
    auto r = f.record();
    f.journal.reserve(r);
    r.der = Bytes{0x30, 0x00};
    r.issued_at = f.clock.now();
    expect_error(
        [&] {
            f.journal.complete(r, {"Not A Type", "operator:test", "x", {}});
        },
        Errc::invalid_argument, "type");
    BOOST_CHECK_EQUAL(f.status(r.serial), "reserved");
}

BOOST_AUTO_TEST_CASE(an_unavailable_database_fails_every_member_and_splits_nothing) {
    Fixture f;
    // Nothing listens there: every transaction fails before it begins.
    store::Database away({.dsn = "host=/nonexistent-signet-socket-dir dbname=signet",
                          .pool_size = 2,
                          .acquire_timeout = std::chrono::milliseconds(500)});
    ca::GroupCommitIssuanceJournal journal{away, f.certificates, f.audit, {.writers = 1}};
    std::vector<store::CertificateRecord> records;
    for (int i = 0; i < 6; ++i)
        records.push_back(f.record());
    std::vector<std::string> outcomes(records.size());
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < records.size(); ++i) {
            threads.emplace_back([&, i] {
                try {
                    journal.reserve(records[i]);
                } catch (const Error& e) {
                    outcomes[i] = std::string(to_string(e.code()));
                }
            });
        }
    }
    for (const auto& outcome : outcomes)
        BOOST_CHECK_EQUAL(outcome, "unavailable");
    BOOST_CHECK_EQUAL(journal.stats().split_batches, 0u);
}

BOOST_AUTO_TEST_CASE(a_commit_that_does_not_come_gives_unavailable_after_the_wait) {
    Fixture f;
    ca::GroupCommitIssuanceJournal journal{f.database,
                                           f.certificates,
                                           f.audit,
                                           {.writers = 1, .wait = std::chrono::milliseconds(300)}};
    store::Database other({.dsn = f.database.options().dsn, .pool_size = 1});
    auto blocker = other.acquire();
    blocker->begin({});
    blocker->exec("LOCK TABLE certificates IN ACCESS EXCLUSIVE MODE");
    const auto r = f.record();
    expect_error([&] { journal.reserve(r); }, Errc::unavailable, "database.wait_ms");
    BOOST_CHECK_EQUAL(journal.stats().timeouts, 1u);
    blocker->rollback();
    // The reservation was in flight: it commits once the lock is gone (a reserved row that
    // nothing was signed for, which the table allows), and the journal serves on.
    auto next = f.record();
    journal.reserve(next);
    BOOST_CHECK_EQUAL(f.status(next.serial), "reserved");
}

BOOST_AUTO_TEST_CASE(the_placeholder_signature_algorithm_is_what_signing_writes) {
    for (const KeyType type : {KeyType::ec_p256, KeyType::ec_p384, KeyType::rsa_2048}) {
        BOOST_TEST_CONTEXT(to_string(type)) {
            EvpPkeyPtr key(type == KeyType::ec_p256   ? EVP_EC_gen("P-256")
                           : type == KeyType::ec_p384 ? EVP_EC_gen("P-384")
                                                      : EVP_RSA_gen(2048));
            BOOST_REQUIRE(key);
            ca::CertificateTemplate tmpl;
            tmpl.serial = Bytes(20, 0x42);
            tmpl.subject = {{"C", "CN"}, {"CN", "Placeholder Test"}};
            tmpl.not_before =
                std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
            tmpl.not_after = tmpl.not_before + std::chrono::hours(24);
            tmpl.key_usage = {"digitalSignature"};
            auto cert = ca::build_certificate(tmpl, key.get(), nullptr);
            ca::set_signature_algorithm(cert.get(), type);
            const Bytes placeholder_tbs = ca::tbs_der(cert.get());
            ca::sign_certificate(cert.get(), key.get());
            BOOST_CHECK(ca::tbs_der(cert.get()) == placeholder_tbs);
            BOOST_CHECK_EQUAL(X509_verify(cert.get(), key.get()), 1);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
