// The document vault's round trip and what the database alone shows (sign/document_vault.hpp).
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/digest.hpp"
#include "tests/sign/document_vault_fixture.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

bool contains(ByteView haystack, std::string_view needle) {
    return std::ranges::search(haystack, as_bytes(needle)).size() == needle.size();
}

// Every file under `dir` that holds `needle`, for the message.
std::vector<std::string> files_holding(const std::filesystem::path& dir, std::string_view needle) {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(
             dir, std::filesystem::directory_options::skip_permission_denied)) {
        if (!entry.is_regular_file())
            continue;
        std::ifstream in(entry.path(), std::ios::binary);
        const Bytes content{std::istreambuf_iterator<char>(in), {}};
        if (contains(content, needle))
            found.push_back(entry.path().string());
    }
    return found;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(document_vault)

// Sizes around the chunk boundary, written in pieces that do not line up with the chunks, read
// back whole and chunk by chunk.
BOOST_AUTO_TEST_CASE(round_trip_of_sizes_around_the_chunk) {
    VaultFixture f("vault_round_trip");
    const std::size_t chunk = f.vault.options().chunk_size;
    BOOST_REQUIRE_EQUAL(chunk, kMiB);
    const std::size_t sizes[] = {0, 1, chunk - 1, chunk, chunk + 1, 5 * chunk + 12345};
    std::uint64_t seed = 10;
    for (const std::size_t size : sizes) {
        BOOST_TEST_CONTEXT("size " << size) {
            const Bytes data = random_bytes(size, ++seed);
            const auto stored = f.store(data, 100'003);
            BOOST_CHECK_EQUAL(stored.size, size);
            BOOST_CHECK(stored.sha256 == sha256_of(ByteView(data)));
            BOOST_CHECK_EQUAL(stored.id.size(), 32u);

            const std::int64_t expected_chunks =
                std::max<std::int64_t>(1, static_cast<std::int64_t>((size + chunk - 1) / chunk));
            const auto record = f.db.with_connection(
                [&](store::Connection& c) { return f.repository.find(c, stored.id); });
            BOOST_REQUIRE(record);
            BOOST_CHECK_EQUAL(record->chunk_count, expected_chunks);
            BOOST_CHECK_EQUAL(record->size, static_cast<std::int64_t>(size));
            BOOST_CHECK_EQUAL(record->key_label, "signet-documents");
            BOOST_CHECK(record->created_at == f.clock.now());
            BOOST_CHECK(record->sha256 == Bytes(stored.sha256.begin(), stored.sha256.end()));

            BOOST_CHECK(f.vault.read_all(stored.id) == data);

            sign::VaultReader reader = f.vault.read(stored.id);
            BOOST_CHECK_EQUAL(reader.document().size, size);
            Bytes streamed;
            std::int64_t pieces = 0;
            while (auto piece = reader.next()) {
                ++pieces;
                // Every chunk but the last is a whole chunk.
                if (pieces < expected_chunks)
                    BOOST_CHECK_EQUAL(piece->size(), chunk);
                streamed.insert(streamed.end(), piece->begin(), piece->end());
            }
            BOOST_CHECK_EQUAL(pieces, expected_chunks);
            BOOST_CHECK(streamed == data);
            BOOST_CHECK(!reader.next());  // stays at the end
        }
    }
    BOOST_CHECK_EQUAL(f.documents(), static_cast<std::int64_t>(std::size(sizes)));
}

// One piece of many chunks at once, and pieces of one byte.
BOOST_AUTO_TEST_CASE(pieces_of_any_size) {
    VaultFixture f("vault_pieces", {.chunk_size = kKiB});
    const Bytes data = random_bytes(10 * kKiB + 7, 3);
    BOOST_CHECK(f.vault.read_all(f.store(data, data.size()).id) == data);
    BOOST_CHECK(f.vault.read_all(f.store(data, 1).id) == data);
    sign::VaultWriter writer = f.vault.write();
    writer.write({});  // an empty piece changes nothing
    writer.write(data);
    BOOST_CHECK_EQUAL(writer.size(), data.size());
    BOOST_CHECK(f.vault.read_all(writer.finish().id) == data);
}

// The same plaintext twice: a fresh data key and id each time, so nothing stored repeats.
BOOST_AUTO_TEST_CASE(each_document_has_its_own_key) {
    VaultFixture f("vault_fresh_keys", {.chunk_size = kKiB});
    const Bytes data = random_bytes(3 * kKiB, 4);
    const auto a = f.store(data);
    const auto b = f.store(data);
    BOOST_CHECK_NE(a.id, b.id);
    BOOST_CHECK(a.sha256 == b.sha256);
    BOOST_CHECK_EQUAL(f.count("SELECT count(DISTINCT wrapped_key) FROM documents"), 2);
    BOOST_CHECK_EQUAL(f.count("SELECT count(DISTINCT ciphertext) FROM document_chunks"), 6);
    // The wrapped key is not the key: RFC 5649 output, 8 bytes longer than the padded key.
    BOOST_CHECK_EQUAL(f.count("SELECT min(octet_length(wrapped_key)) FROM documents"), 48);
}

// Equal chunks of one document under its one key: each chunk has its own IV, so neither the
// ciphertext nor the tag repeats (a repeated IV would repeat the whole keystream).
BOOST_AUTO_TEST_CASE(equal_chunks_do_not_share_a_keystream) {
    VaultFixture f("vault_ivs", {.chunk_size = kKiB});
    const Bytes zeros(4 * kKiB, 0);
    const auto stored = f.store(zeros);
    BOOST_CHECK_EQUAL(f.count("SELECT count(DISTINCT substring(ciphertext FROM 1 FOR 1024)) "
                              "FROM document_chunks"),
                      4);
    BOOST_CHECK(f.vault.read_all(stored.id) == zeros);
}

// The database alone reveals nothing: neither a dump of the tables nor PostgreSQL's files on
// disk (heap, TOAST and WAL, after a checkpoint) hold the plaintext. The same scan finds a marker
// stored in the clear, so it would see one.
BOOST_AUTO_TEST_CASE(the_database_alone_reveals_nothing) {
    VaultFixture f("vault_privacy", {.chunk_size = 4 * kKiB});
    const std::string marker = "SIGNET-PLAINTEXT-MARKER-7f3a9c";
    std::string text;
    while (text.size() < 20 * kKiB)
        text += "Contract clause " + std::to_string(text.size()) + ": " + marker + "\n";
    const auto stored = f.store(as_bytes(text), 1000);
    BOOST_REQUIRE(f.vault.read_all(stored.id) == Bytes(text.begin(), text.end()));

    const std::string control = "SIGNET-CLEAR-CONTROL-41d2e8";
    f.exec("CREATE TABLE scratch (t text)");
    f.exec("INSERT INTO scratch VALUES ($1)", {control});
    f.exec("CHECKPOINT");

    auto& server = TestCluster::instance().server();
    const auto dump =
        run_command({(server.bin_dir() / "pg_dump").string(), "--data-only", "--table=documents",
                     "--table=document_chunks", "--table=scratch", "--dbname=" + f.dsn});
    BOOST_REQUIRE_EQUAL(dump.exit_code, 0);
    BOOST_CHECK(dump.output.find("COPY public.document_chunks") != std::string::npos);
    BOOST_CHECK(dump.output.find(control) != std::string::npos);
    BOOST_CHECK(dump.output.find(marker) == std::string::npos);
    // Nor in bytea's hex form.
    BOOST_CHECK(dump.output.find(to_hex(as_bytes(marker))) == std::string::npos);

    const auto data_dir = server.data_dir();
    BOOST_CHECK(!files_holding(data_dir, control).empty());
    for (const auto& file : files_holding(data_dir, marker))
        BOOST_ERROR("the plaintext marker is in " << file);
}

// The caller's rows commit with the document, or neither does.
BOOST_AUTO_TEST_CASE(before_commit_runs_in_the_writer_transaction) {
    VaultFixture f("vault_before_commit", {.chunk_size = kKiB});
    f.exec("CREATE TABLE test_document_links (document_id text REFERENCES documents (id))");
    const Bytes data = random_bytes(3000, 5);

    sign::VaultWriter writer = f.vault.write();
    writer.write(data);
    const auto stored = writer.finish([&](store::Connection& tx, const sign::StoredDocument& d) {
        // The document is already there in this transaction, not yet for anyone else.
        BOOST_CHECK_EQUAL(
            tx.exec("SELECT count(*) FROM documents WHERE id = $1", {d.id}).one()[0].int64(), 1);
        BOOST_CHECK_EQUAL(f.documents(), 0);
        tx.exec("INSERT INTO test_document_links VALUES ($1)", {d.id});
    });
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM test_document_links"), 1);
    BOOST_CHECK(f.vault.read_all(stored.id) == data);

    sign::VaultWriter failing = f.vault.write();
    failing.write(data);
    BOOST_CHECK_THROW(failing.finish([](store::Connection&, const sign::StoredDocument&) {
        throw Error(Errc::failed_precondition, "the contract was refused");
    }),
                      Error);
    BOOST_CHECK_EQUAL(f.documents(), 1);
    BOOST_CHECK_EQUAL(f.chunks(), 3);
    expect_error([&] { failing.write(data); }, Errc::failed_precondition, "earlier error");
}

BOOST_AUTO_TEST_CASE(bad_ids_and_options_are_refused) {
    VaultFixture f("vault_bad_input");
    expect_error([&] { f.vault.read("nope"); }, Errc::invalid_argument, "32 lowercase hex digits");
    expect_error([&] { f.vault.read(std::string(32, 'A')); }, Errc::invalid_argument,
                 "32 lowercase hex digits");
    expect_error([&] { f.vault.read(std::string(32, 'a')); }, Errc::not_found,
                 "no document " + std::string(32, 'a'));
    expect_error(
        [&] { sign::DocumentVault(f.db, f.repository, f.token, f.clock, {.chunk_size = 100}); },
        Errc::invalid_argument, "chunk size");
    expect_error(
        [&] { sign::DocumentVault(f.db, f.repository, f.token, f.clock, {.key_label = ""}); },
        Errc::invalid_argument, "label");
}

BOOST_AUTO_TEST_SUITE_END()
