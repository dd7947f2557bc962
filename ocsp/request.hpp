#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "ocsp/types.hpp"

// The OCSP request decoder (RFC 6960 §4.1): strict DER, bounded, no OpenSSL object outlives it.
namespace signet::ocsp {

// The largest OCSPRequest decoded at all, whatever the policy (ocsp.max_request_bytes, smaller,
// is the HTTP layer's). A request for 8 CertIDs with a nonce and a signature is under 2 KiB.
inline constexpr std::size_t kMaxRequestBytes = 16 * 1024;

// The longest nonce accepted, in octets of its OCTET STRING (RFC 9654 §2.1: SIZE(1..32)).
inline constexpr std::size_t kMaxNonceBytes = 32;

// One CertID of a request (RFC 6960 §4.1.1), as it came.
struct CertIdQuery {
    CertIdHash hash = CertIdHash::sha1;
    Bytes issuer_name_hash;  // hash of the issuer's DN (DER), 20 or 32 octets
    Bytes issuer_key_hash;   // hash of the issuer's subjectPublicKey BIT STRING value
    Bytes serial;            // DER INTEGER content octets (as store::CertificateRecord::serial)
    friend bool operator==(const CertIdQuery&, const CertIdQuery&) = default;
};

struct DecodedRequest {
    std::vector<CertIdQuery> ids;  // in the request's order, 1..max_ids of them
    std::optional<Bytes> nonce;    // the nonce's octets (inside its OCTET STRING), 1..32
};

// Decodes an OCSPRequest. Errc::invalid_argument, with a message saying what is wrong, for:
// an empty input or one over kMaxRequestBytes; anything that is not exactly one DER-encoded
// OCSPRequest (trailing bytes, BER forms: indefinite lengths, non-minimal lengths, constructed
// strings, an explicit default version); a version other than v1; a CertID hash other than
// SHA-1 or SHA-256, its parameters neither absent nor NULL, or hashes of the wrong length; no
// CertID or more than `max_ids`; a nonce whose value is not a DER OCTET STRING of 1..32 octets,
// or two nonces (RFC 9654 §2.1); an unknown critical extension (RFC 5280 §4.2, which RFC 6960
// §4.4 extensions follow). A signed request is accepted and its signature ignored (RFC 6960
// §4.1.2: the signature is optional and Signet does not restrict who may ask).
DecodedRequest decode_request(ByteView der, std::size_t max_ids);

}  // namespace signet::ocsp
