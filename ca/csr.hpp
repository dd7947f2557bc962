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

// Reads a CSR in DER or PEM, at most kMaxCsrBytes, strictly:
//   - DER: one CertificationRequest and nothing after it;
//   - PEM (RFC 7468): exactly one "CERTIFICATE REQUEST" (or "NEW CERTIFICATE REQUEST") block
//     with nothing but whitespace before and after it, no headers, one DER request inside;
//   - the structure (RFC 2986 §4): read with common/der_reader.hpp, not d2i_X509_REQ (whose
//     parse of the key runs OpenSSL 3.0's decoders): version v1 (0), the subject, attributes,
//     signatureAlgorithm and signature each read by OpenSSL's d2i for its type;
//   - the key: built from its SubjectPublicKeyInfo (public_key_from_info: a point on its curve,
//     a DER RSAPublicKey), a KeyType the profile allows (key_type_of), an RSA exponent of 65537
//     (check_rsa_public_exponent);
//   - the signature: SHA-256/384/512 with RSA PKCS#1 v1.5, RSA-PSS (hash and MGF1 hash) or
//     ECDSA — never SHA-1 or MD5 — checked before it is verified, then verified (proof of
//     possession, RFC 2986 §3).
// Each refusal is Errc::invalid_argument with a specific message: "CSR is larger than 65536
// bytes", "CSR is neither DER nor PEM PKCS#10" (with what is wrong in parentheses: "its version
// is not v1 (0)", "the certificationRequestInfo is not DER: ..."), "CSR key: the EC point is
// not a point on prime256v1", "CSR has trailing data after its DER", "CSR PEM
// has data after its END line ...", "CSR PEM has data before its BEGIN line ...", "CSR key: RSA
// public exponent 3 is not allowed: only 65537 ...", "CSR signature algorithm
// 1.2.840.10045.4.1 is not accepted: ...", "CSR signature does not verify (proof of possession
// failed)", "CSR key: RSA key of 1024 bits is not supported" (key_type_of's message), "CSR key
// type ec-p384 is not allowed by the profile (allowed: ec-p256, rsa-2048)".
CertificateRequest parse_certificate_request(ByteView data, std::span<const KeyType> allowed);

}  // namespace signet::ca
