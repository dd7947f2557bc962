#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::store {

// An encrypted document (store migration 10, table documents): what reading it back needs. The
// plaintext is never here; its data key only wrapped by the HSM key `key_label`
// (sign/document_vault.hpp).
struct DocumentRecord {
    std::string id;         // 32 lowercase hex digits (128 random bits)
    std::int64_t size = 0;  // plaintext bytes
    Bytes sha256;           // of the plaintext
    Bytes wrapped_key;      // the AES-256 data key, RFC 5649-wrapped under key_label
    std::string key_label;
    std::int64_t chunk_size = 0;   // plaintext bytes per chunk, the last one fewer
    std::int64_t chunk_count = 0;  // at least 1 (an empty document has one empty chunk)
    Clock::time_point created_at;
    // Crypto-shredded: the wrapped key (empty here) and the chunks are gone (migration 15).
    std::optional<Clock::time_point> shredded_at;
};

// Reading documents: a document's record and its chunks one at a time (ciphertext followed by
// the GCM tag), in the caller's transaction or on a connection of its own.
class DocumentReader {
  public:
    virtual ~DocumentReader() = default;
    virtual std::optional<DocumentRecord> find(Connection& tx, std::string_view id) = 0;
    // nullopt when the document has no chunk `index`.
    virtual std::optional<Bytes> chunk(Connection& tx, std::string_view document_id,
                                       std::int64_t index) = 0;
};

// Writing them, in the caller's transaction: chunks first, then the record (the foreign key from
// document_chunks is checked at COMMIT), so a writer streams a document without holding it.
class DocumentRepository : public DocumentReader {
  public:
    // Errc::already_exists when the document already has this chunk.
    virtual void insert_chunk(Connection& tx, std::string_view document_id, std::int64_t index,
                              ByteView sealed) = 0;
    // Errc::already_exists when the id is taken; Errc::invalid_argument when the record breaks
    // the table's checks (chunk_count not the one size and chunk_size give...).
    virtual void insert(Connection& tx, const DocumentRecord& document) = 0;
    // Crypto-shredding: the wrapped data key and every chunk deleted, shredded_at set. Without
    // the key the ciphertext could never be opened again, HSM or not; the chunks go too, as
    // they are then only noise that costs storage and backups. The record (size, SHA-256)
    // stays. Errc::not_found for no such document; a document already shredded is left as is.
    virtual void shred(Connection& tx, std::string_view id, Clock::time_point at) = 0;
};

class PostgresDocuments final : public DocumentRepository {
  public:
    std::optional<DocumentRecord> find(Connection& tx, std::string_view id) override;
    std::optional<Bytes> chunk(Connection& tx, std::string_view document_id,
                               std::int64_t index) override;
    void insert_chunk(Connection& tx, std::string_view document_id, std::int64_t index,
                      ByteView sealed) override;
    void insert(Connection& tx, const DocumentRecord& document) override;
    void shred(Connection& tx, std::string_view id, Clock::time_point at) override;
};

}  // namespace signet::store
