#include "sign/document_cipher.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <climits>

#include "common/error.hpp"

namespace signet::sign {

namespace {

constexpr std::string_view kAadLabel = "signet-document-chunk/1";
constexpr std::size_t kIvBytes = 12;  // 96 bits, SP 800-38D §5.2.1.1's recommended length
constexpr std::size_t kIdDigits = 32;
constexpr std::size_t kAadBytes = kAadLabel.size() + 1 + kIdDigits + 8 + 1;

// Fetched once: EVP_aes_256_gcm() would look the cipher up in the provider store on every init.
const EVP_CIPHER* aes_256_gcm() {
    static const EvpCipherPtr cipher(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
    if (!cipher)
        throw_openssl_error("AES-256-GCM is not available");
    return cipher.get();
}

void put_big_endian(std::uint8_t* out, std::uint64_t value) {
    for (int i = 7; i >= 0; --i, value >>= 8)
        out[i] = static_cast<std::uint8_t>(value & 0xff);
}

// OpenSSL's update functions take an int length.
int length_of(std::size_t size) {
    if (size > static_cast<std::size_t>(INT_MAX))
        throw Error(Errc::invalid_argument, "a document chunk is larger than 2 GiB");
    return static_cast<int>(size);
}

}  // namespace

bool is_document_id(std::string_view id) noexcept {
    return id.size() == kIdDigits && std::ranges::all_of(id, [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

DocumentCipher::DocumentCipher(Direction direction, const Secret& key, std::string_view document_id)
    : direction_(direction), document_id_(document_id), context_(EVP_CIPHER_CTX_new()) {
    if (key.size() != kKeyBytes)
        throw Error(Errc::invalid_argument, "a document's data key has 32 bytes");
    if (!is_document_id(document_id))
        throw Error(Errc::invalid_argument, "a document id is 32 lowercase hex digits");
    if (!context_)
        throw_openssl_error("EVP_CIPHER_CTX_new");
    // The key schedule is made once here; each chunk then sets only its IV.
    const auto* raw_key = reinterpret_cast<const unsigned char*>(key.view().data());
    const int ok =
        direction_ == Direction::seal
            ? EVP_EncryptInit_ex2(context_.get(), aes_256_gcm(), raw_key, nullptr, nullptr)
            : EVP_DecryptInit_ex2(context_.get(), aes_256_gcm(), raw_key, nullptr, nullptr);
    check_openssl(ok, "AES-256-GCM key setup");
}

void DocumentCipher::start(std::uint64_t index, bool last) {
    std::array<std::uint8_t, kIvBytes> iv{};  // fixed field: 4 zero bytes
    put_big_endian(iv.data() + 4, index);
    const int ok = direction_ == Direction::seal
                       ? EVP_EncryptInit_ex2(context_.get(), nullptr, nullptr, iv.data(), nullptr)
                       : EVP_DecryptInit_ex2(context_.get(), nullptr, nullptr, iv.data(), nullptr);
    check_openssl(ok, "AES-256-GCM IV setup");

    std::array<std::uint8_t, kAadBytes> aad{};
    auto* at = std::ranges::copy(kAadLabel, aad.begin()).out;
    *at++ = 0x00;
    at = std::ranges::copy(document_id_, at).out;
    put_big_endian(at, index);
    at += 8;
    *at = last ? 0x01 : 0x00;
    int ignored = 0;
    check_openssl(
        EVP_CipherUpdate(context_.get(), nullptr, &ignored, aad.data(), length_of(aad.size())),
        "AES-256-GCM additional data");
}

Bytes DocumentCipher::seal(std::uint64_t index, bool last, ByteView plaintext) {
    if (direction_ != Direction::seal)
        throw Error(Errc::internal, "DocumentCipher::seal on a cipher made to open");
    start(index, last);
    Bytes sealed(plaintext.size() + kTagBytes);
    int written = 0;
    if (!plaintext.empty()) {
        check_openssl(EVP_EncryptUpdate(context_.get(), sealed.data(), &written, plaintext.data(),
                                        length_of(plaintext.size())),
                      "AES-256-GCM encryption");
    }
    int tail = 0;
    check_openssl(EVP_EncryptFinal_ex(context_.get(), sealed.data() + written, &tail),
                  "AES-256-GCM encryption");
    if (static_cast<std::size_t>(written + tail) != plaintext.size())
        throw Error(Errc::internal, "AES-256-GCM wrote an unexpected length");
    check_openssl(EVP_CIPHER_CTX_ctrl(context_.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                      sealed.data() + plaintext.size()),
                  "AES-256-GCM tag");
    return sealed;
}

Bytes DocumentCipher::open(std::uint64_t index, bool last, ByteView sealed) {
    if (direction_ != Direction::open)
        throw Error(Errc::internal, "DocumentCipher::open on a cipher made to seal");
    const std::string where = "document " + document_id_ + ": chunk " + std::to_string(index);
    if (sealed.size() < kTagBytes)
        throw Error(Errc::crypto, where + " is shorter than its GCM tag");
    start(index, last);
    const std::size_t size = sealed.size() - kTagBytes;
    Bytes plaintext(size);
    int written = 0;
    if (size > 0) {
        check_openssl(EVP_DecryptUpdate(context_.get(), plaintext.data(), &written, sealed.data(),
                                        length_of(size)),
                      "AES-256-GCM decryption");
    }
    std::array<std::uint8_t, kTagBytes> tag{};
    std::ranges::copy(sealed.subspan(size), tag.begin());
    check_openssl(EVP_CIPHER_CTX_ctrl(context_.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()),
                  "AES-256-GCM tag");
    // GCM's final step writes nothing; an empty chunk still needs somewhere to point at.
    std::uint8_t none = 0;
    std::uint8_t* end = plaintext.empty() ? &none : plaintext.data() + written;
    int tail = 0;
    // SP 800-38D §7.2 step 8: on a tag mismatch the output is FAIL, never the plaintext.
    if (EVP_DecryptFinal_ex(context_.get(), end, &tail) <= 0) {
        clear_openssl_errors();
        OPENSSL_cleanse(plaintext.data(), plaintext.size());
        throw Error(Errc::crypto,
                    where +
                        " fails authentication (altered, moved from another document or "
                        "position, or the document was cut short)");
    }
    return plaintext;
}

}  // namespace signet::sign
