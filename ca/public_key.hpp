#pragma once

#include "common/bytes.hpp"
#include "common/handle.hpp"

namespace signet::ca {

// The public key a SubjectPublicKeyInfo (RFC 5280 §4.1) names, built from its DER without
// OpenSSL's decoders: in OpenSSL 3.0 every d2i of a key (d2i_PUBKEY, and the one inside
// d2i_X509 and d2i_X509_REQ) builds an OSSL_DECODER_CTX anew, enumerating the providers'
// decoders and key managers, which costs about three signatures (docs/ca.md, Benchmark). Here
// the key is read with common/der_reader.hpp and made from its parts (an EC key: a per-thread
// copy of its curve's parameters and EVP_PKEY_set1_encoded_public_key; an RSA key:
// EVP_PKEY_fromdata):
//   - id-ecPublicKey (RFC 5480 §2.1.1) with a namedCurve: the curve OpenSSL names for the OID
//     and the ECPoint, which must be compressed or uncompressed (X9.62 §4.3.6: 02, 03 or 04
//     first; the point at infinity and the hybrid form are no key) and on the curve
//     (EC_POINT_oct2point, under EVP_PKEY_set1_encoded_public_key, checks it);
//   - rsaEncryption (RFC 3279 §2.3.1: NULL parameters) with an RSAPublicKey
//     SEQUENCE { modulus INTEGER, publicExponent INTEGER }, both positive, in DER.
// The key's type is not judged here: key_type_of (the curve, the modulus size) and
// check_rsa_public_exponent (65537) do that on the result, as for any key. Errc::invalid_argument
// for anything else: "the subject public key is not DER: ...", "EC key with explicit parameters
// is not supported", "EC key on curve <name> is not supported" (a curve OpenSSL cannot build),
// "<algorithm> keys are not supported", "the EC point is not ...", "the RSA key is not ...".
EvpPkeyPtr public_key_from_info(ByteView subject_public_key_info);

}  // namespace signet::ca
