#pragma once

// The algorithm vocabulary of the CMS layer (internal to sign/): OpenSSL's digests for ours,
// hashing, and the signatureAlgorithm a SignerInfo names.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <optional>

#include "common/algorithms.hpp"
#include "common/bytes.hpp"
#include "hsm/signer.hpp"

namespace signet::sign {

// OpenSSL's digest for `digest`, fetched once.
const EVP_MD* evp_md(Digest digest);

Bytes hash(Digest digest, ByteView data);

// Ours for an OpenSSL digest NID (NID_sha256...); nullopt for any other.
std::optional<Digest> digest_of_nid(int nid);

// "sha256", "sha384", "sha512": the names tsa::summarize uses for an imprint's algorithm.
std::string_view lowercase_name(Digest digest);

// The SignerInfo's signatureAlgorithm (RFC 5652 §10.1.2) for a key family, padding and digest:
// ecdsa-with-SHA* with parameters absent (RFC 5754 §3.3), sha*WithRSAEncryption with NULL
// parameters (RFC 5754 §3.2), or id-RSASSA-PSS with RSASSA-PSS-params naming the hash, MGF1 with
// the same hash and saltLength = the hash's length (RFC 4056, RFC 4055 §3.1; what the HSM
// signs). Sets it into `algorithm`.
void set_signature_algorithm(X509_ALGOR* algorithm, hsm::Padding padding, Digest digest);

}  // namespace signet::sign
