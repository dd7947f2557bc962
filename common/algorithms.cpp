#include "common/algorithms.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "common/error.hpp"
#include "common/text.hpp"

namespace signet {

std::string_view to_string(KeyType type) noexcept {
    switch (type) {
        case KeyType::ec_p256:
            return "ec-p256";
        case KeyType::ec_p384:
            return "ec-p384";
        case KeyType::rsa_2048:
            return "rsa-2048";
        case KeyType::rsa_3072:
            return "rsa-3072";
        case KeyType::rsa_4096:
            return "rsa-4096";
    }
    return "unknown";
}

KeyType parse_key_type(std::string_view name) {
    for (KeyType t : {KeyType::ec_p256, KeyType::ec_p384, KeyType::rsa_2048, KeyType::rsa_3072,
                      KeyType::rsa_4096}) {
        if (name == to_string(t))
            return t;
    }
    throw Error(Errc::invalid_argument,
                "unknown key type " + quote_input(name) +
                    " (expected ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096)");
}

bool is_ec(KeyType type) noexcept {
    return type == KeyType::ec_p256 || type == KeyType::ec_p384;
}

int key_bits(KeyType type) noexcept {
    switch (type) {
        case KeyType::ec_p256:
            return 256;
        case KeyType::ec_p384:
            return 384;
        case KeyType::rsa_2048:
            return 2048;
        case KeyType::rsa_3072:
            return 3072;
        case KeyType::rsa_4096:
            return 4096;
    }
    return 0;
}

std::size_t max_signature_size(KeyType type) noexcept {
    const auto field_bytes = static_cast<std::size_t>((key_bits(type) + 7) / 8);
    if (!is_ec(type))
        return field_bytes;
    // ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3): each INTEGER may
    // need a leading zero octet, plus tag and length octets; the SEQUENCE adds its own.
    return 2 * (field_bytes + 1 + 3) + 3;
}

std::string_view to_string(Digest digest) noexcept {
    switch (digest) {
        case Digest::sha256:
            return "SHA256";
        case Digest::sha384:
            return "SHA384";
        case Digest::sha512:
            return "SHA512";
    }
    return "unknown";
}

std::size_t digest_size(Digest digest) noexcept {
    switch (digest) {
        case Digest::sha256:
            return 32;
        case Digest::sha384:
            return 48;
        case Digest::sha512:
            return 64;
    }
    return 0;
}

Digest parse_digest(std::string_view name) {
    std::string key;
    for (char c : name) {
        if (c != '-' && c != '_')
            key.push_back(static_cast<char>(std::toupper(c)));
    }
    if (key == "SHA256" || key == "SHA2256")
        return Digest::sha256;
    if (key == "SHA384" || key == "SHA2384")
        return Digest::sha384;
    if (key == "SHA512" || key == "SHA2512")
        return Digest::sha512;
    throw Error(Errc::invalid_argument,
                "digest " + quote_input(name) + " is not supported (SHA-256, SHA-384, SHA-512)");
}

}  // namespace signet
