#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/handle.hpp"
#include "common/secret.hpp"

namespace signet::sign {

// AES-256-GCM over one document's chunks (NIST SP 800-38D), under the document's own data key.
// Internal to the vault (sign/document_vault.cpp).
//
// The IV of chunk i is 96 bits: a 32-bit fixed field of zeros, then i as a 64-bit big-endian
// invocation field: SP 800-38D §8.2.1's deterministic construction. §8 asks that an IV never be
// used twice under one key; here every key is fresh (256 random bits from the HSM) and seals one
// document only, and a document's writer seals each index exactly once, so every (key, IV) pair
// is used once. A counter rather than random IVs also keeps §8.3's limit on random IVs (2^32
// invocations per key) out of the question, and no chunk index approaches 2^64.
//
// The additional authenticated data binds each chunk to its place:
//   "signet-document-chunk/1" 0x00 || document id (32 ASCII hex digits)
//   || index (64-bit big-endian) || 0x01 if it is the document's last chunk, else 0x00
// so a chunk moved to another document or position fails its tag, and so does a document cut
// short after a chunk boundary: its new last chunk was not sealed as the last one.
class DocumentCipher {
  public:
    static constexpr std::size_t kKeyBytes = 32;  // AES-256
    static constexpr std::size_t kTagBytes = 16;  // SP 800-38D §5.2.1.2: the full 128-bit tag

    enum class Direction { seal, open };

    // The key is copied into OpenSSL's context (wiped when the cipher goes); the caller may wipe
    // its Secret right after. Errc::invalid_argument when the key is not 32 bytes or the id not
    // 32 lowercase hex digits.
    DocumentCipher(Direction direction, const Secret& key, std::string_view document_id);

    // Ciphertext followed by the 16-byte tag.
    Bytes seal(std::uint64_t index, bool last, ByteView plaintext);
    // The plaintext, or Errc::crypto when the tag does not verify (nothing of the chunk handed
    // out, the partial plaintext wiped).
    Bytes open(std::uint64_t index, bool last, ByteView sealed);

  private:
    void start(std::uint64_t index, bool last);

    Direction direction_;
    std::string document_id_;
    EvpCipherCtxPtr context_;
};

// 32 lowercase hex digits: the form of a document id.
bool is_document_id(std::string_view id) noexcept;

}  // namespace signet::sign
