#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/digest.hpp"

namespace signet::ocsp {

// The hash of a CertID (RFC 6960 §4.1.1). SHA-1 is what RFC 5019 §2.1.1 clients send; SHA-256
// is what RFC 9919 (RFC 5019's update) lets them send. A response answers in the request's own.
enum class CertIdHash { sha1, sha256 };
inline std::string_view to_string(CertIdHash hash) noexcept {
    return hash == CertIdHash::sha1 ? "sha1" : "sha256";
}

// Which response: one certificate (serials are unique across Signet's CAs) in one CertID hash.
struct ResponseKey {
    Bytes serial;
    CertIdHash hash = CertIdHash::sha1;
    friend auto operator<=>(const ResponseKey&, const ResponseKey&) = default;
};

// A signed, nonce-free OCSPResponse (DER) about one certificate, as pre-signed and cached.
struct SignedResponse {
    Bytes der;  // the whole OCSPResponse, responseStatus successful
    Clock::time_point this_update;
    Clock::time_point next_update;
    Clock::time_point produced_at;
    // The SHA-256 of `der`, when the holder computed it once (PresignedCache::find): the strong
    // ETag of every GET that serves it (RFC 5019 §6.2), not worth hashing per request.
    std::optional<Sha256Digest> der_sha256{};
};

}  // namespace signet::ocsp
