// VaultReader (sign/document_vault.hpp): a document streamed out a verified chunk at a time.
#include <openssl/crypto.h>

#include <algorithm>

#include "common/error.hpp"
#include "sign/document_streams.hpp"

namespace signet::sign {

namespace {

// The plaintext bytes chunk `index` holds, by the record: chunk_size, the last one the rest.
std::int64_t expected_size(const store::DocumentRecord& r, std::int64_t index) {
    if (index + 1 < r.chunk_count)
        return r.chunk_size;
    return r.size - (r.chunk_count - 1) * r.chunk_size;
}

Bytes next_chunk(VaultReader::State& s) {
    const store::DocumentRecord& r = s.record;
    const std::int64_t index = s.next_index;
    const std::string where = "document " + r.id + ": chunk " + std::to_string(index) + " of " +
                              std::to_string(r.chunk_count);
    const auto sealed = s.database.with_connection(
        [&](store::Connection& c) { return s.repository.chunk(c, r.id, index); });
    if (!sealed)
        throw Error(Errc::failed_precondition, where + " is missing");
    const bool last = index + 1 == r.chunk_count;
    Bytes plaintext = s.cipher.open(static_cast<std::uint64_t>(index), last, *sealed);
    // The tag vouches for the chunk, not for the record: a size or SHA-256 altered in the record
    // is caught here.
    if (static_cast<std::int64_t>(plaintext.size()) != expected_size(r, index)) {
        OPENSSL_cleanse(plaintext.data(), plaintext.size());
        throw Error(Errc::crypto, where + " holds " + std::to_string(plaintext.size()) +
                                      " bytes, not the " + std::to_string(expected_size(r, index)) +
                                      " the document's record says");
    }
    s.sha256.update(plaintext);
    if (last && s.sha256.finish() != s.document.sha256) {
        OPENSSL_cleanse(plaintext.data(), plaintext.size());
        throw Error(
            Errc::crypto,
            "document " + r.id + ": the SHA-256 of its plaintext differs from the recorded one");
    }
    ++s.next_index;
    return plaintext;
}

}  // namespace

VaultReader::VaultReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
VaultReader::VaultReader(VaultReader&&) noexcept = default;
VaultReader& VaultReader::operator=(VaultReader&&) noexcept = default;
VaultReader::~VaultReader() = default;

const StoredDocument& VaultReader::document() const noexcept {
    static const StoredDocument none;
    return state_ ? state_->document : none;
}

std::optional<Bytes> VaultReader::next() {
    if (!state_ || state_->failed) {
        throw Error(Errc::failed_precondition, "the document reader stopped at an earlier error");
    }
    State& s = *state_;
    if (s.next_index == s.record.chunk_count)
        return std::nullopt;
    try {
        return next_chunk(s);
    } catch (...) {
        s.failed = true;
        throw;
    }
}

}  // namespace signet::sign
