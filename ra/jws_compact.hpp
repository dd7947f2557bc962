#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace signet::ra {

// The unverified first look at a JWS in compact serialization (RFC 7515 §7.1):
// BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature). It exists so the verifier
// can choose the provider and refuse a disallowed `alg` BEFORE any signature is computed (see
// ra/evidence.cpp for why that order matters with libjwt 1.10), and so a refusal names the
// precise reason. Nothing read here is trusted: libjwt parses the token again, verifies it, and
// its view is the one the claims are taken from and the header is re-checked against.
struct JwsPreview {
    nlohmann::json header;   // a JSON object
    nlohmann::json payload;  // a JSON object (RFC 7519 §7.2 step 10: JWT Claims Set)
    std::size_t signature_bytes = 0;
};

// Throws EvidenceError(malformed) unless `token` is exactly three parts of strict base64url
// (RFC 7515 §2: the URL-safe alphabet, no padding, no whitespace, canonical trailing bits) whose
// first two decode to JSON objects (RFC 7515 §5.2 steps 1-3). The signature may be empty (only
// `alg: none` has none; the verifier refuses that before looking at it).
JwsPreview preview_jws(std::string_view token);

}  // namespace signet::ra
