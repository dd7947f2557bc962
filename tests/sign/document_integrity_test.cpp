// What the vault does with a database someone altered: every change to a chunk, its place or
// the document's record is caught before any byte of the affected chunk is handed out.
#include <boost/test/unit_test.hpp>

#include "tests/sign/document_vault_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

// 3.5 chunks of 1 KiB: chunks 0, 1, 2 whole, chunk 3 the last.
constexpr std::size_t kChunk = kKiB;
constexpr std::size_t kSize = 3 * kChunk + kChunk / 2;

struct Tampered : VaultFixture {
    explicit Tampered(const std::string& database)
        : VaultFixture(database, {.chunk_size = kChunk}) {}

    const Bytes data = random_bytes(kSize, 21);
    const std::string id = store(data).id;

    // Reads the document chunk by chunk: the chunks handed out before the error, which must be
    // the document's own, then the error.
    Bytes read_until_error(Errc code, const std::string& needle) {
        sign::VaultReader reader = vault.read(id);
        Bytes handed_out;
        try {
            while (auto chunk = reader.next())
                handed_out.insert(handed_out.end(), chunk->begin(), chunk->end());
            BOOST_ERROR("the altered document was read without an error");
        } catch (const Error& e) {
            BOOST_TEST_MESSAGE("error as expected: " << e.what());
            BOOST_CHECK_EQUAL(to_string(e.code()), to_string(code));
            BOOST_CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos,
                                "'" << e.what() << "' does not contain '" << needle << "'");
        }
        BOOST_CHECK(std::equal(handed_out.begin(), handed_out.end(), data.begin()));
        // The reader is done for.
        expect_error([&] { reader.next(); }, Errc::failed_precondition, "earlier error");
        expect_error([&] { vault.read_all(id); }, code, needle);
        return handed_out;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(document_vault)

BOOST_AUTO_TEST_CASE(a_changed_byte_is_caught) {
    Tampered f("vault_tamper_byte");
    f.exec(
        "UPDATE document_chunks SET ciphertext = set_byte(ciphertext, 100, "
        "get_byte(ciphertext, 100) # 1) WHERE document_id = $1 AND chunk_index = 1",
        {f.id});
    const Bytes handed_out =
        f.read_until_error(Errc::crypto, "document " + f.id + ": chunk 1 fails authentication");
    BOOST_CHECK_EQUAL(handed_out.size(), kChunk);  // chunk 0 only
}

BOOST_AUTO_TEST_CASE(a_changed_tag_is_caught) {
    Tampered f("vault_tamper_tag");
    f.exec(
        "UPDATE document_chunks SET ciphertext = set_byte(ciphertext, "
        "octet_length(ciphertext) - 1, get_byte(ciphertext, octet_length(ciphertext) - 1) # 128) "
        "WHERE document_id = $1 AND chunk_index = 0",
        {f.id});
    BOOST_CHECK(f.read_until_error(Errc::crypto, "chunk 0 fails authentication").empty());
}

BOOST_AUTO_TEST_CASE(swapped_chunks_are_caught) {
    Tampered f("vault_swap");
    // Through an index no chunk has, as the primary key allows one chunk per place.
    f.exec("UPDATE document_chunks SET chunk_index = 99 WHERE document_id = $1 AND chunk_index = 1",
           {f.id});
    f.exec("UPDATE document_chunks SET chunk_index = 1 WHERE document_id = $1 AND chunk_index = 2",
           {f.id});
    f.exec("UPDATE document_chunks SET chunk_index = 2 WHERE document_id = $1 AND chunk_index = 99",
           {f.id});
    BOOST_CHECK_EQUAL(f.read_until_error(Errc::crypto, "chunk 1 fails authentication").size(),
                      kChunk);
}

BOOST_AUTO_TEST_CASE(a_missing_last_chunk_is_caught) {
    Tampered f("vault_missing_last");
    f.exec("DELETE FROM document_chunks WHERE document_id = $1 AND chunk_index = 3", {f.id});
    BOOST_CHECK_EQUAL(f.read_until_error(Errc::failed_precondition,
                                         "document " + f.id + ": chunk 3 of 4 is missing")
                          .size(),
                      3 * kChunk);
}

// Cut short with a record made consistent again (size and chunk_count say three chunks): the
// new last chunk was not sealed as the last one.
BOOST_AUTO_TEST_CASE(a_document_cut_short_is_caught) {
    Tampered f("vault_truncated");
    f.exec("DELETE FROM document_chunks WHERE document_id = $1 AND chunk_index = 3", {f.id});
    f.exec("UPDATE documents SET size = $2, chunk_count = 3 WHERE id = $1",
           {f.id, static_cast<std::int64_t>(3 * kChunk)});
    BOOST_CHECK_EQUAL(f.read_until_error(Errc::crypto, "chunk 2 fails authentication").size(),
                      2 * kChunk);
}

BOOST_AUTO_TEST_CASE(a_chunk_from_another_document_is_caught) {
    Tampered f("vault_moved_chunk");
    const std::string other = f.store(random_bytes(kSize, 22)).id;
    f.exec(
        "UPDATE document_chunks c SET ciphertext = o.ciphertext FROM document_chunks o "
        "WHERE c.document_id = $1 AND c.chunk_index = 2 AND o.document_id = $2 "
        "AND o.chunk_index = 2",
        {f.id, other});
    BOOST_CHECK_EQUAL(
        f.read_until_error(Errc::crypto, "document " + f.id + ": chunk 2 fails").size(),
        2 * kChunk);
    BOOST_CHECK_EQUAL(f.vault.read_all(other).size(), kSize);  // the other is intact
}

// Another document's chunks under this document's id (its rows moved over whole): the id in
// the additional data tells them apart.
BOOST_AUTO_TEST_CASE(another_document_moved_under_this_id_is_caught) {
    Tampered f("vault_moved_document");
    const std::string other = f.store(random_bytes(kSize, 23)).id;
    f.exec("DELETE FROM document_chunks WHERE document_id = $1", {f.id});
    f.exec("UPDATE document_chunks SET document_id = $1 WHERE document_id = $2", {f.id, other});
    f.exec(
        "UPDATE documents d SET wrapped_key = o.wrapped_key, sha256 = o.sha256 FROM documents o "
        "WHERE d.id = $1 AND o.id = $2",
        {f.id, other});
    BOOST_CHECK(f.read_until_error(Errc::crypto, "chunk 0 fails authentication").empty());
}

BOOST_AUTO_TEST_CASE(an_altered_wrapped_key_is_caught) {
    Tampered f("vault_wrapped_key");
    f.exec(
        "UPDATE documents SET wrapped_key = set_byte(wrapped_key, 3, get_byte(wrapped_key, 3) # 1) "
        "WHERE id = $1",
        {f.id});
    expect_error([&] { f.vault.read(f.id); }, Errc::crypto,
                 "document " + f.id +
                     ": its data key does not unwrap under the HSM key "
                     "'signet-documents'");
}

// The recorded SHA-256 is what the contract's revision refers to: the last chunk is not handed
// out when the plaintext does not match it.
BOOST_AUTO_TEST_CASE(an_altered_recorded_hash_is_caught) {
    Tampered f("vault_recorded_hash");
    f.exec(
        "UPDATE documents SET sha256 = set_byte(sha256, 0, get_byte(sha256, 0) # 1) "
        "WHERE id = $1",
        {f.id});
    BOOST_CHECK_EQUAL(
        f.read_until_error(Errc::crypto, "the SHA-256 of its plaintext differs").size(),
        3 * kChunk);
}

BOOST_AUTO_TEST_SUITE_END()
