// DocumentVault (sign/document_vault.hpp): the data keys (fresh from the HSM, wrapped and
// unwrapped under the documents key), and the writers and readers they start.
#include "sign/document_vault.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "common/error.hpp"
#include "sign/document_streams.hpp"

namespace signet::sign {

namespace {

constexpr std::size_t kMinChunk = 1024;
constexpr std::size_t kMaxChunk = 64 * 1024 * 1024;  // migration 10's check on chunk_size
constexpr std::size_t kIdBytes = 16;                 // 128 random bits

// 256 bits from the HSM's generator (C_GenerateRandom), held from then on only in secure memory.
Secret fresh_data_key(hsm::Token& token) {
    Bytes random = token.random(DocumentCipher::kKeyBytes);
    Secret key(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
    OPENSSL_cleanse(random.data(), random.size());
    return key;
}

// The data key wrapped under the documents key (CKM_AES_KEY_WRAP_PAD, RFC 5649, through
// hsm::Token::wrap_secret). Why not C_GenerateKey and C_WrapKey of a key born in the token: the
// data key must reach this process anyway, since 100 MiB are encrypted here and not through
// PKCS#11 (which would make the HSM the bottleneck of every upload and download), and
// wrap_secret is the token's one tested way of wrapping a secret the process holds.
Bytes wrap_data_key(hsm::Token& token, const std::string& label, const Secret& key) {
    try {
        return token.wrap_secret(label, as_bytes(key.view()));
    } catch (const Error& e) {
        if (e.code() != Errc::not_found)
            throw;
        throw Error(Errc::unavailable, missing_documents_key(label));
    }
}

Secret unwrap_data_key(hsm::Token& token, const store::DocumentRecord& record) {
    try {
        Secret key = token.unwrap_secret(record.key_label, record.wrapped_key);
        if (key.size() == DocumentCipher::kKeyBytes)
            return key;
    } catch (const Error& e) {
        if (e.code() == Errc::not_found)
            throw Error(Errc::unavailable, missing_documents_key(record.key_label));
        if (e.code() != Errc::invalid_argument)
            throw;
    }
    throw Error(Errc::crypto, "document " + record.id +
                                  ": its data key does not unwrap under the HSM key '" +
                                  record.key_label + "' (altered, or wrapped under another key)");
}

}  // namespace

std::string missing_documents_key(const std::string& label) {
    return "the HSM token holds no documents key '" + label + "' (signetctl hsm kek --label " +
           label + " makes it)";
}

DocumentVault::DocumentVault(store::Database& database, store::DocumentRepository& repository,
                             std::shared_ptr<hsm::Token> token, const Clock& clock,
                             DocumentVaultOptions options)
    : database_(database),
      repository_(repository),
      token_(std::move(token)),
      clock_(clock),
      options_(std::move(options)) {
    if (!token_)
        throw Error(Errc::invalid_argument, "the document vault needs an HSM token");
    if (options_.key_label.empty() || options_.key_label.size() > 200)
        throw Error(Errc::invalid_argument, "the documents key label has 1 to 200 characters");
    if (options_.chunk_size < kMinChunk || options_.chunk_size > kMaxChunk) {
        throw Error(Errc::invalid_argument, "the document chunk size is 1 KiB to 64 MiB, not " +
                                                std::to_string(options_.chunk_size) + " bytes");
    }
}

VaultWriter DocumentVault::write() {
    return write(options_.max_size);
}

VaultWriter DocumentVault::write(std::uint64_t max_size) {
    store::DocumentRecord record;
    record.id = to_hex(token_->random(kIdBytes));
    record.key_label = options_.key_label;
    record.chunk_size = static_cast<std::int64_t>(options_.chunk_size);
    record.created_at = clock_.now();
    // The key lives in this scope only: once the cipher has its own (wiped) copy, it is wiped.
    const Secret key = fresh_data_key(*token_);
    record.wrapped_key = wrap_data_key(*token_, options_.key_label, key);
    DocumentCipher cipher(DocumentCipher::Direction::seal, key, record.id);

    store::Database::Lease lease = database_.acquire();
    lease->begin({});
    return VaultWriter(std::make_unique<VaultWriter::State>(VaultWriter::State{
        .lease = std::move(lease),
        .repository = repository_,
        .cipher = std::move(cipher),
        .record = std::move(record),
        .max_size = max_size,
    }));
}

VaultReader DocumentVault::read(std::string_view id) {
    if (!is_document_id(id))
        throw Error(Errc::invalid_argument, "a document id is 32 lowercase hex digits");
    auto record =
        database_.with_connection([&](store::Connection& c) { return repository_.find(c, id); });
    if (!record)
        throw Error(Errc::not_found, "no document " + std::string(id));
    if (record->shredded_at)
        throw Error(Errc::failed_precondition,
                    "document " + record->id + " was crypto-shredded at " +
                        format_utc(*record->shredded_at) + ": its data key no longer exists");
    if (record->sha256.size() != std::tuple_size_v<Sha256Digest> || record->chunk_size <= 0)
        throw Error(Errc::crypto, "document " + record->id + ": its record is malformed");
    StoredDocument document{record->id, {}, static_cast<std::uint64_t>(record->size)};
    std::ranges::copy(record->sha256, document.sha256.begin());
    const Secret key = unwrap_data_key(*token_, *record);
    DocumentCipher cipher(DocumentCipher::Direction::open, key, record->id);
    return VaultReader(std::make_unique<VaultReader::State>(VaultReader::State{
        .database = database_,
        .repository = repository_,
        .cipher = std::move(cipher),
        .record = std::move(*record),
        .document = std::move(document),
    }));
}

void DocumentVault::shred(store::Connection& tx, std::string_view id, Clock::time_point at) {
    if (!is_document_id(id))
        throw Error(Errc::invalid_argument, "a document id is 32 lowercase hex digits");
    repository_.shred(tx, id, at);
}

Bytes DocumentVault::read_all(std::string_view id) {
    VaultReader reader = read(id);
    Bytes all;
    all.reserve(static_cast<std::size_t>(reader.document().size));
    while (auto chunk = reader.next())
        all.insert(all.end(), chunk->begin(), chunk->end());
    return all;
}

std::string DocumentVault::missing_key() {
    return token_->has_kek(options_.key_label) ? "" : missing_documents_key(options_.key_label);
}

}  // namespace signet::sign
