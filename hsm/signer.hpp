#pragma once

#include <openssl/evp.h>

#include <span>
#include <vector>

#include "common/algorithms.hpp"
#include "common/bytes.hpp"

namespace signet::hsm {

// The vocabulary types live in common/ (the configuration uses them too); they are named here
// as well, so hsm::KeyType and signet::KeyType are the same type.
using signet::Digest;
using signet::digest_size;
using signet::is_ec;
using signet::key_bits;
using signet::KeyType;
using signet::max_signature_size;
using signet::parse_digest;
using signet::parse_key_type;
using signet::to_string;

// How the digest is turned into a signature.
enum class Padding {
    ecdsa,  // EC keys: ECDSA over the digest (FIPS 186-4), result DER-encoded (RFC 3279 §2.2.3)
    pkcs1,  // RSA: RSASSA-PKCS1-v1_5 over DigestInfo (RFC 8017 §8.2)
    pss,  // RSA: RSASSA-PSS, MGF1 with the same digest, salt length = digest length (RFC 8017 §8.1)
};

// A private key that signs digests without ever showing itself. Implementations: a key held as
// a token object in the HSM, and a user key that lives wrapped outside the HSM and is unwrapped
// for each signature. Thread-safe: sign_digest may be called from many threads at once.
class Signer {
  public:
    virtual ~Signer() = default;

    virtual KeyType key_type() const noexcept = 0;

    // The public half as an OpenSSL key, owned by the signer (EVP_PKEY_up_ref to keep it).
    virtual EVP_PKEY* public_key() const noexcept = 0;

    // Signs `digest`, which must be digest_size(digest_alg) bytes. Padding::ecdsa only for EC
    // keys, pkcs1/pss only for RSA keys; anything else is Errc::invalid_argument.
    virtual Bytes sign_digest(Digest digest_alg, Padding padding, ByteView digest) const = 0;

    // Signs several digests of one algorithm and padding, in order; each is checked as
    // sign_digest checks it before any is signed. The default signs them one by one. A wrapped
    // user key overrides it to unwrap the key once for all of them and destroy it after (one
    // signing window for one session object, DESIGN.md invariant 1): a CSC signHash of N hashes
    // (csc/) costs one C_UnwrapKey, not N.
    virtual std::vector<Bytes> sign_digests(Digest digest_alg, Padding padding,
                                            std::span<const ByteView> digests) const {
        std::vector<Bytes> signatures;
        signatures.reserve(digests.size());
        for (const ByteView digest : digests)
            signatures.push_back(sign_digest(digest_alg, padding, digest));
        return signatures;
    }
};

}  // namespace signet::hsm
