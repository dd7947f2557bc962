#pragma once

#include <string_view>

#include <openssl/evp.h>

#include "common/bytes.hpp"

namespace signet::hsm {

// The key types Signet generates and signs with.
enum class KeyType { ec_p256, ec_p384, rsa_2048, rsa_3072, rsa_4096 };

std::string_view to_string(KeyType type) noexcept;
// Parses "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"; Errc::invalid_argument otherwise.
KeyType parse_key_type(std::string_view name);
bool is_ec(KeyType type) noexcept;
// Size in bytes of a signature: the modulus for RSA, the maximum DER ECDSA-Sig-Value for EC.
std::size_t max_signature_size(KeyType type) noexcept;
int key_bits(KeyType type) noexcept;

enum class Digest { sha256, sha384, sha512 };
std::string_view to_string(Digest digest) noexcept;  // "SHA256"... (OpenSSL's names)
std::size_t digest_size(Digest digest) noexcept;
// Maps an OpenSSL digest name ("SHA256", "SHA2-256", "sha-256"...); Errc::invalid_argument otherwise.
Digest parse_digest(std::string_view name);

// How the digest is turned into a signature.
enum class Padding {
    ecdsa,  // EC keys: ECDSA over the digest (FIPS 186-4), result DER-encoded (RFC 3279 §2.2.3)
    pkcs1,  // RSA: RSASSA-PKCS1-v1_5 over DigestInfo (RFC 8017 §8.2)
    pss,    // RSA: RSASSA-PSS, MGF1 with the same digest, salt length = digest length (RFC 8017 §8.1)
};

// A private key that signs digests without ever showing itself. Implementations: a key held as
// a token object in the HSM, and a user key that lives wrapped outside the HSM and is unwrapped
// for each signature. Thread-safe: sign_digest may be called from many threads at once.
class Signer {
public:
    virtual ~Signer() = default;

    virtual KeyType key_type() const noexcept = 0;

    // The public half as an OpenSSL key, owned by the signer (EVP_PKEY_up_ref to keep it).
    virtual EVP_PKEY* public_key() const noexcept = 0;

    // Signs `digest`, which must be digest_size(digest_alg) bytes. Padding::ecdsa only for EC
    // keys, pkcs1/pss only for RSA keys; anything else is Errc::invalid_argument.
    virtual Bytes sign_digest(Digest digest_alg, Padding padding, ByteView digest) const = 0;
};

}  // namespace signet::hsm
