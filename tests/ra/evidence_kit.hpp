#pragma once

#include <string>
#include <string_view>

#include "common/handle.hpp"

// Provider keys and signed statements for the identity-evidence tests (tests/ra/evidence_test.cpp):
// made here with OpenSSL, so a test can sign any header and payload text (duplicate keys, crit,
// a wrong alg) that a JOSE library would refuse to produce.
namespace signet::ra::testing {

struct TestKey {
    EvpPkeyPtr key;
    std::string public_pem;
    std::string private_pem;
};

TestKey make_ec_key(const char* curve = "P-256");
TestKey make_rsa_key(unsigned bits = 2048);

// RFC 7515 §2: base64url without padding.
std::string base64url(std::string_view bytes);

// BASE64URL(header).BASE64URL(payload).BASE64URL(signature), the signature made with `key` by
// its type: ES256 (the raw R||S of RFC 7518 §3.4) or RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
std::string sign_jws(std::string_view header_json, std::string_view payload_json, EVP_PKEY* key);

// The same with HS256 (RFC 7518 §3.2), `secret` as the HMAC key.
std::string sign_hs256(std::string_view header_json, std::string_view payload_json,
                       std::string_view secret);

// A token made by libjwt itself (jwt_encode_str), signed with `private_pem`.
std::string sign_with_libjwt(std::string_view payload_json, const char* alg,
                             const std::string& private_pem, const char* kid);

}  // namespace signet::ra::testing
