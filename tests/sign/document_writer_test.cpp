// A document that is not written to the end leaves nothing behind: refused for its size,
// abandoned, without the HSM key, or with the database gone mid-write.
#include <boost/test/unit_test.hpp>

#include "tests/sign/document_vault_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;

BOOST_AUTO_TEST_SUITE(document_vault)

BOOST_AUTO_TEST_CASE(a_document_over_the_limit_is_refused_and_nothing_stored) {
    VaultFixture f("vault_limit", {.max_size = 10 * kKiB, .chunk_size = kKiB});
    // Exactly the limit is accepted.
    const Bytes limit = random_bytes(10 * kKiB, 31);
    BOOST_CHECK(f.vault.read_all(f.store(limit).id) == limit);
    BOOST_CHECK_EQUAL(f.documents(), 1);

    // One byte more, after several chunks went into the transaction.
    sign::VaultWriter writer = f.vault.write();
    writer.write(ByteView(limit).first(6 * kKiB));
    BOOST_CHECK_EQUAL(f.db.stats().in_use, 1u);
    writer.write(ByteView(limit).subspan(6 * kKiB));
    expect_error([&] { writer.write(Bytes(1, 0x42)); }, Errc::invalid_argument,
                 "larger than the limit of 10240 bytes");
    BOOST_CHECK_EQUAL(f.documents(), 1);
    BOOST_CHECK_EQUAL(f.chunks(), 10);
    // Its connection went back to the pool at once, not when the writer goes.
    BOOST_CHECK_EQUAL(f.db.stats().in_use, 0u);
    expect_error([&] { writer.write(Bytes(1, 0x42)); }, Errc::failed_precondition, "earlier error");
    expect_error([&] { writer.finish(); }, Errc::failed_precondition, "earlier error");

    // One piece over the limit all at once.
    sign::VaultWriter big = f.vault.write();
    expect_error([&] { big.write(Bytes(10 * kKiB + 1, 0x42)); }, Errc::invalid_argument,
                 "larger than the limit");
    BOOST_CHECK_EQUAL(f.documents(), 1);
    BOOST_CHECK_EQUAL(f.chunks(), 10);
}

BOOST_AUTO_TEST_CASE(an_abandoned_writer_leaves_nothing) {
    VaultFixture f("vault_abandoned", {.chunk_size = kKiB});
    {
        sign::VaultWriter writer = f.vault.write();
        writer.write(random_bytes(5 * kKiB + 3, 32));
        // Its chunks are in its transaction, which no one else sees.
        BOOST_CHECK_EQUAL(f.chunks(), 0);
    }
    BOOST_CHECK_EQUAL(f.documents(), 0);
    BOOST_CHECK_EQUAL(f.chunks(), 0);
    BOOST_CHECK_EQUAL(f.db.stats().in_use, 0u);

    // A moved-from writer is an empty shell; the one it moved into still works.
    sign::VaultWriter first = f.vault.write();
    first.write(random_bytes(100, 33));
    sign::VaultWriter second = std::move(first);
    expect_error([&] { first.write(Bytes(1)); }, Errc::failed_precondition, "finished");
    second.write(random_bytes(100, 34));
    BOOST_CHECK_EQUAL(second.finish().size, 200u);
    BOOST_CHECK_EQUAL(f.documents(), 1);
    expect_error([&] { second.finish(); }, Errc::failed_precondition, "finished");
}

BOOST_AUTO_TEST_CASE(a_missing_hsm_key_is_a_clear_error) {
    VaultFixture f("vault_no_key", {}, /*with_key=*/false);
    const std::string message =
        "the HSM token holds no documents key 'signet-documents' (signetctl hsm kek --label "
        "signet-documents makes it)";
    expect_error([&] { f.vault.write(); }, Errc::unavailable, message);
    BOOST_CHECK_EQUAL(f.vault.missing_key(), message);
    BOOST_CHECK_EQUAL(f.documents(), 0);
    BOOST_CHECK_EQUAL(f.db.stats().in_use, 0u);

    // Once the key is made, the same vault works.
    f.token->generate_kek("signet-documents");
    BOOST_CHECK_EQUAL(f.vault.missing_key(), "");
    const Bytes data = random_bytes(2000, 35);
    const std::string id = f.store(data).id;

    // A document whose recorded key the token does not hold.
    f.exec("UPDATE documents SET key_label = 'signet-documents-2019' WHERE id = $1", {id});
    expect_error([&] { f.vault.read(id); }, Errc::unavailable,
                 "the HSM token holds no documents key 'signet-documents-2019' (signetctl hsm kek "
                 "--label signet-documents-2019 makes it)");
    // A key of that name, but not the one that wrapped the data key.
    f.token->generate_kek("signet-documents-2019");
    expect_error([&] { f.vault.read(id); }, Errc::crypto, "its data key does not unwrap");
    f.exec("UPDATE documents SET key_label = 'signet-documents' WHERE id = $1", {id});
    BOOST_CHECK(f.vault.read_all(id) == data);
}

// Each document records the key that wrapped its data key: after a change of key (a vault
// configured with another label), the documents from before stay readable, and the new ones
// need the new key.
BOOST_AUTO_TEST_CASE(documents_keep_the_key_they_were_written_under) {
    VaultFixture f("vault_key_change");
    const Bytes before = random_bytes(3000, 40);
    const std::string old_id = f.store(before).id;

    f.token->generate_kek("signet-documents-2027");
    sign::DocumentVault renewed(f.db, f.repository, f.token, f.clock,
                                {.key_label = "signet-documents-2027"});
    BOOST_CHECK(renewed.read_all(old_id) == before);
    sign::VaultWriter writer = renewed.write();
    const Bytes after = random_bytes(3000, 41);
    writer.write(after);
    const std::string new_id = writer.finish().id;
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM documents WHERE key_label = "
                              "'signet-documents-2027'"),
                      1);
    BOOST_CHECK(f.vault.read_all(new_id) == after);
}

BOOST_AUTO_TEST_CASE(the_database_going_away_mid_write_leaves_nothing) {
    VaultFixture f("vault_db_stops", {.chunk_size = kKiB});
    auto& server = TestCluster::instance().server();
    {
        RestartGuard guard{server};
        sign::VaultWriter writer = f.vault.write();
        writer.write(random_bytes(3 * kKiB + 10, 36));
        server.stop();
        expect_error([&] { writer.write(random_bytes(2 * kKiB, 37)); }, Errc::unavailable,
                     "database unavailable");
        expect_error([&] { writer.finish(); }, Errc::failed_precondition, "earlier error");
    }
    BOOST_CHECK_EQUAL(f.documents(), 0);
    BOOST_CHECK_EQUAL(f.chunks(), 0);
    // And the vault writes again on the restarted server.
    const Bytes data = random_bytes(4 * kKiB, 38);
    BOOST_CHECK(f.vault.read_all(f.store(data).id) == data);
}

// The writer's connection is killed by the server (pg_terminate_backend) just before finish().
BOOST_AUTO_TEST_CASE(a_terminated_connection_mid_write_leaves_nothing) {
    VaultFixture f("vault_db_terminated", {.chunk_size = kKiB});
    sign::VaultWriter writer = f.vault.write();
    writer.write(random_bytes(3 * kKiB + 10, 39));
    const auto killed = f.count(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in%'");
    BOOST_REQUIRE_EQUAL(killed, 1);
    expect_error([&] { writer.finish(); }, Errc::unavailable, "database unavailable");
    BOOST_CHECK_EQUAL(f.documents(), 0);
    BOOST_CHECK_EQUAL(f.chunks(), 0);
}

BOOST_AUTO_TEST_SUITE_END()
