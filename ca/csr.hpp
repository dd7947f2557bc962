#pragma once

#include <span>
#include <string>

#include "common/algorithms.hpp"
#include "common/bytes.hpp"
#include "common/handle.hpp"

namespace signet::ca {

// PKCS#10 certificate requests (RFC 2986) as the CA accepts them: the CSR proves possession of
// the private key and names the key; the subject DN comes from the CA's own records, never from
// the CSR.

inline constexpr std::size_t kMaxCsrBytes = 64 * 1024;

struct CertificateRequest {
    EvpPkeyPtr public_key;
    Bytes public_key_info;  // its SubjectPublicKeyInfo DER, as the CSR carries it
    KeyType key_type;
    std::string subject;  // as written in the CSR (informational only)
};

// Reads a CSR in DER or PEM ("-----BEGIN CERTIFICATE REQUEST-----"), at most kMaxCsrBytes.
// Each refusal is Errc::invalid_argument with a specific message:
//   "CSR is larger than 65536 bytes", "CSR is neither DER nor PEM PKCS#10",
//   "CSR has trailing data after its DER", "CSR signature does not verify (proof of possession
//   failed)", "CSR key: RSA key of 1024 bits is not supported" (key_type_of's message),
//   "CSR key type ec-p384 is not allowed by the profile (allowed: ec-p256, rsa-2048)".
CertificateRequest parse_certificate_request(ByteView data, std::span<const KeyType> allowed);

}  // namespace signet::ca
