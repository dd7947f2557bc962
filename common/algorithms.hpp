#pragma once

#include <cstddef>
#include <string_view>

namespace signet {

// The algorithms Signet's keys and signatures use: vocabulary shared by the HSM layer, the
// configuration and the services.

// The key types Signet generates and signs with.
enum class KeyType { ec_p256, ec_p384, rsa_2048, rsa_3072, rsa_4096 };

std::string_view to_string(KeyType type) noexcept;
// Parses "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"; Errc::invalid_argument
// otherwise.
KeyType parse_key_type(std::string_view name);
bool is_ec(KeyType type) noexcept;
// Size in bytes of a signature: the modulus for RSA, the maximum DER ECDSA-Sig-Value for EC.
std::size_t max_signature_size(KeyType type) noexcept;
int key_bits(KeyType type) noexcept;

enum class Digest { sha256, sha384, sha512 };
std::string_view to_string(Digest digest) noexcept;  // "SHA256"... (OpenSSL's names)
std::size_t digest_size(Digest digest) noexcept;
// Maps an OpenSSL digest name ("SHA256", "SHA2-256", "sha-256"...); Errc::invalid_argument
// otherwise.
Digest parse_digest(std::string_view name);

}  // namespace signet
