#pragma once

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <deque>
#include <mutex>

#include "common/error.hpp"
#include "ra/otp_crypto.hpp"

namespace signet::testing {

// ra::OtpCrypto in memory, for tests: OpenSSL's generator (or scripted octets first), HMAC-SHA-256
// under a fixed key, and a seed "wrapping" that encrypts and authenticates under another fixed key
// (nonce || seed XOR HMAC(key, 0x01 || nonce) || HMAC(key, 0x02 || nonce || ciphertext)): like the
// HSM's, a blob that does not hold the seed in the clear and that only this object opens.
class FakeOtpCrypto final : public ra::OtpCrypto {
  public:
    Bytes random(std::size_t n) override {
        std::lock_guard lock(mutex_);
        Bytes out(n);
        std::size_t i = 0;
        for (; i < n && !scripted_.empty(); ++i) {
            out[i] = scripted_.front();
            scripted_.pop_front();
        }
        if (i < n && RAND_bytes(out.data() + i, static_cast<int>(n - i)) != 1)
            throw Error(Errc::crypto, "RAND_bytes failed");
        return out;
    }
    Bytes keyed_hash(ByteView data) override { return hmac(kHashKey, data); }
    Bytes wrap_seed(ByteView seed) override {
        if (seed.size() > 32)
            throw Error(Errc::invalid_argument, "fake wrap: seed too long");
        Bytes blob = random(16);
        const Bytes pad = stream(blob);
        for (std::size_t i = 0; i < seed.size(); ++i)
            blob.push_back(seed[i] ^ pad[i]);
        const Bytes tag = tag_of(blob);
        blob.insert(blob.end(), tag.begin(), tag.end());
        return blob;
    }
    Secret unwrap_seed(ByteView blob) override {
        if (blob.size() < 48 || blob.size() > 16 + 32 + 32)
            throw Error(Errc::crypto, "fake unwrap: bad blob");
        const ByteView body = blob.first(blob.size() - 32);
        const Bytes tag = tag_of(body);
        if (!std::equal(tag.begin(), tag.end(), blob.end() - 32))
            throw Error(Errc::crypto, "fake unwrap: tag mismatch");
        const Bytes pad = stream(Bytes(body.begin(), body.begin() + 16));
        std::string seed;
        for (std::size_t i = 16; i < body.size(); ++i)
            seed.push_back(static_cast<char>(body[i] ^ pad[i - 16]));
        Secret out(seed);
        OPENSSL_cleanse(seed.data(), seed.size());
        return out;
    }
    std::string kek_label() const override { return "test-kek"; }

    // Octets random() returns before OpenSSL's.
    void script(std::initializer_list<std::uint8_t> octets) {
        std::lock_guard lock(mutex_);
        scripted_.insert(scripted_.end(), octets);
    }
    void script(ByteView octets) {
        std::lock_guard lock(mutex_);
        scripted_.insert(scripted_.end(), octets.begin(), octets.end());
    }

  private:
    static constexpr std::string_view kHashKey = "fake otp hmac key, 32 bytes long";
    static constexpr std::string_view kWrapKey = "fake otp wrap key, 32 bytes long";

    static Bytes hmac(std::string_view key, ByteView data) {
        Bytes out(32);
        unsigned int length = 0;
        if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
                  out.data(), &length))
            throw Error(Errc::crypto, "HMAC failed");
        return out;
    }
    static Bytes stream(const Bytes& nonce) {
        Bytes input{0x01};
        input.insert(input.end(), nonce.begin(), nonce.begin() + 16);
        return hmac(kWrapKey, input);
    }
    static Bytes tag_of(ByteView body) {
        Bytes input{0x02};
        input.insert(input.end(), body.begin(), body.end());
        return hmac(kWrapKey, input);
    }

    std::mutex mutex_;
    std::deque<std::uint8_t> scripted_;
};

}  // namespace signet::testing
