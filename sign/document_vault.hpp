#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/digest.hpp"
#include "hsm/token.hpp"
#include "store/database.hpp"
#include "store/documents.hpp"

namespace signet::sign {

// Contract documents encrypted at rest (issue 13, DESIGN.md "Durability and disaster recovery"):
// AES-256-GCM under a fresh data key per document, the key stored only wrapped (RFC 5649) by an
// AES key that never leaves the HSM, the ciphertext in PostgreSQL in chunks (store migration 10),
// so the database, its backups and its replicas alone reveal nothing. Plaintext never touches the
// disk: it passes through memory a chunk at a time. Chunk format: sign/document_cipher.hpp.

// The HSM key wrapping data keys, unless the configuration names another; an AES-256 token key
// that can only wrap and unwrap, made by `signetctl hsm kek --label signet-documents`.
inline constexpr std::string_view kDefaultDocumentsKey = "signet-documents";

struct DocumentVaultOptions {
    std::string key_label{kDefaultDocumentsKey};
    // The largest document accepted, in bytes (policy: signing.max_document_bytes).
    std::uint64_t max_size = 100 * 1024 * 1024;
    // Plaintext bytes per chunk (1 KiB to 64 MiB): what a writer or reader holds at once.
    std::size_t chunk_size = 1024 * 1024;
};

// A document as written: its id (32 lowercase hex digits), and its plaintext's SHA-256 and size.
struct StoredDocument {
    std::string id;
    Sha256Digest sha256{};
    std::uint64_t size = 0;
};

// "the HSM token holds no documents key 'L' (signetctl hsm kek --label L makes it)": the one
// wording of a missing documents key, in errors (Errc::unavailable) and in /healthz.
std::string missing_documents_key(const std::string& label);

// Streams one document in: feed it pieces of any size; each full chunk is sealed and inserted at
// once, so at most one chunk of plaintext is held. Everything happens in one database transaction
// on a pooled connection the writer holds until it is finished or destroyed: destroyed without
// finish() (abandoned, or after an error), it rolls back and nothing of the document is visible.
class VaultWriter {
  public:
    VaultWriter(VaultWriter&&) noexcept;
    VaultWriter& operator=(VaultWriter&&) noexcept;
    ~VaultWriter();

    // Errc::invalid_argument when the document would exceed max_size: the transaction is rolled
    // back then, nothing is stored. A database error (Errc::unavailable when it went away) also
    // ends the writer. After either, every call is Errc::failed_precondition.
    void write(ByteView piece);
    std::uint64_t size() const noexcept;  // bytes written so far

    // Runs in the writer's transaction just before COMMIT, with the document recorded: the
    // caller's own rows (a contract and its audit event) commit together with the document or
    // not at all.
    using BeforeCommit = std::function<void(store::Connection&, const StoredDocument&)>;
    // Seals the last chunk, records the document, runs `before_commit`, commits.
    StoredDocument finish(const BeforeCommit& before_commit = {});

    struct State;
    explicit VaultWriter(std::unique_ptr<State> state);

  private:
    std::unique_ptr<State> state_;
};

// Streams one document out, a chunk at a time, each chunk's tag verified before any of its bytes
// are handed out, and the SHA-256 of the whole compared with the recorded one before the last
// chunk is. Any failure (Errc::crypto: a chunk altered, moved, or the document cut short or its
// record altered; Errc::failed_precondition: a chunk missing) names the document and the chunk,
// and ends the reader.
class VaultReader {
  public:
    VaultReader(VaultReader&&) noexcept;
    VaultReader& operator=(VaultReader&&) noexcept;
    ~VaultReader();

    const StoredDocument& document() const noexcept;
    // The next chunk's plaintext; nullopt after the last.
    std::optional<Bytes> next();

    struct State;
    explicit VaultReader(std::unique_ptr<State> state);

  private:
    std::unique_ptr<State> state_;
};

// Thread-safe: writers and readers are independent objects, each used by one thread at a time.
class DocumentVault {
  public:
    // Errc::invalid_argument when an option is out of range. A missing HSM key is not an error
    // here (the node serves the rest): each write and read says so, as Errc::unavailable.
    DocumentVault(store::Database& database, store::DocumentRepository& repository,
                  std::shared_ptr<hsm::Token> token, const Clock& clock,
                  DocumentVaultOptions options = {});

    // A fresh data key from the HSM's generator, wrapped at once under the documents key, and a
    // transaction begun: an HSM without the key fails here, before any byte is taken.
    VaultWriter write();
    // The same with its own bound instead of options().max_size: a signed revision is the
    // submitted document (at most max_size) plus what the signatures append.
    VaultWriter write(std::uint64_t max_size);
    // Errc::not_found when there is no such document; Errc::invalid_argument for an id that is
    // not 32 lowercase hex digits.
    VaultReader read(std::string_view id);
    // Crypto-shredding, in the caller's transaction: the document's wrapped data key and its
    // chunks are deleted (store::DocumentRepository::shred); read() then refuses it, and no HSM
    // can open it again, as its key existed nowhere else.
    void shred(store::Connection& tx, std::string_view id, Clock::time_point at);
    // The whole document in memory, verified (a convenience over read()).
    Bytes read_all(std::string_view id);

    // For /healthz: missing_documents_key(key_label) while the token has no such key, else "".
    std::string missing_key();
    const DocumentVaultOptions& options() const noexcept { return options_; }

  private:
    store::Database& database_;
    store::DocumentRepository& repository_;
    std::shared_ptr<hsm::Token> token_;
    const Clock& clock_;
    DocumentVaultOptions options_;
};

}  // namespace signet::sign
