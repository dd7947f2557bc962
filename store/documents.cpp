#include "store/documents.hpp"

#include "common/error.hpp"

namespace signet::store {

namespace {

constexpr Statement kFind{
    "documents.find",
    "SELECT id, size, sha256, wrapped_key, key_label, chunk_size, chunk_count, created_at, "
    "shredded_at FROM documents WHERE id = $1"};
constexpr Statement kShred{"documents.shred",
                           "UPDATE documents SET wrapped_key = NULL, shredded_at = $2::timestamptz "
                           "WHERE id = $1 AND shredded_at IS NULL RETURNING id"};
constexpr Statement kShredChunks{"documents.shred_chunks",
                                 "DELETE FROM document_chunks WHERE document_id = $1"};
constexpr Statement kExists{"documents.exists", "SELECT 1 FROM documents WHERE id = $1"};
constexpr Statement kChunk{"documents.chunk",
                           "SELECT ciphertext FROM document_chunks "
                           "WHERE document_id = $1 AND chunk_index = $2"};
constexpr Statement kInsertChunk{
    "documents.insert_chunk",
    "INSERT INTO document_chunks (document_id, chunk_index, ciphertext) "
    "VALUES ($1, $2, $3::bytea)"};
constexpr Statement kInsert{
    "documents.insert",
    "INSERT INTO documents (id, size, sha256, wrapped_key, key_label, chunk_size, chunk_count, "
    "created_at) VALUES ($1, $2, $3::bytea, $4::bytea, $5, $6, $7, $8::timestamptz)"};

}  // namespace

std::optional<DocumentRecord> PostgresDocuments::find(Connection& tx, std::string_view id) {
    const Result rows = tx.exec(kFind, {id});
    if (rows.empty())
        return std::nullopt;
    const Row row = rows.one();
    DocumentRecord d;
    d.id = row["id"].as<std::string>();
    d.size = row["size"].int64();
    d.sha256 = row["sha256"].bytes();
    d.shredded_at = row["shredded_at"].optional<Clock::time_point>();
    if (!d.shredded_at)
        d.wrapped_key = row["wrapped_key"].bytes();
    d.key_label = row["key_label"].as<std::string>();
    d.chunk_size = row["chunk_size"].int64();
    d.chunk_count = row["chunk_count"].int64();
    d.created_at = row["created_at"].time();
    return d;
}

std::optional<Bytes> PostgresDocuments::chunk(Connection& tx, std::string_view document_id,
                                              std::int64_t index) {
    const Result rows = tx.exec(kChunk, {document_id, index});
    if (rows.empty())
        return std::nullopt;
    return rows.one()["ciphertext"].bytes();
}

void PostgresDocuments::insert_chunk(Connection& tx, std::string_view document_id,
                                     std::int64_t index, ByteView sealed) {
    tx.exec(kInsertChunk, {document_id, index, sealed});
}

void PostgresDocuments::insert(Connection& tx, const DocumentRecord& d) {
    tx.exec(kInsert, {d.id, d.size, d.sha256, d.wrapped_key, d.key_label, d.chunk_size,
                      d.chunk_count, d.created_at});
}

void PostgresDocuments::shred(Connection& tx, std::string_view id, Clock::time_point at) {
    if (tx.exec(kShred, {id, at}).empty()) {
        if (tx.exec(kExists, {id}).empty())
            throw Error(Errc::not_found, "no document " + std::string(id));
        return;  // shredded before
    }
    tx.exec(kShredChunks, {id});
}

}  // namespace signet::store
