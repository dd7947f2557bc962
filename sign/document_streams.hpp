#pragma once

// What a VaultWriter and a VaultReader hold (sign/document_vault.hpp); internal to the vault,
// which fills them (document_vault.cpp) and hands them to the writer (document_writer.cpp) and
// the reader (document_reader.cpp).
#include <cstdint>
#include <optional>

#include "common/digest.hpp"
#include "sign/document_cipher.hpp"
#include "sign/document_vault.hpp"
#include "store/database.hpp"
#include "store/documents.hpp"

namespace signet::sign {

struct VaultWriter::State {
    std::optional<store::Database::Lease> lease;  // in its transaction; gone once it ended
    store::DocumentRepository& repository;
    DocumentCipher cipher;
    // id, wrapped_key, key_label, chunk_size and created_at from the start; size, sha256 and
    // chunk_count at finish().
    store::DocumentRecord record;
    std::uint64_t max_size = 0;
    Sha256Stream sha256{};
    Bytes buffer{};  // the plaintext of the chunk being filled
    std::int64_t next_index = 0;
    std::uint64_t size = 0;
};

struct VaultReader::State {
    store::Database& database;
    store::DocumentReader& repository;
    DocumentCipher cipher;
    store::DocumentRecord record;
    StoredDocument document;
    Sha256Stream sha256{};
    std::int64_t next_index = 0;
    bool failed = false;
};

}  // namespace signet::sign
