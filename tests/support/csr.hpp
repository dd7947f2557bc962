#pragma once

#include <openssl/evp.h>

#include <string>

#include "common/bytes.hpp"
#include "common/handle.hpp"

// Keys and PKCS#10 requests made with OpenSSL for the tests, the malformed ones a hostile client
// sends included.
namespace signet::testing {

EvpPkeyPtr make_ec_key(const char* curve = "P-256");
// An RSA key pair with public exponent `exponent` (OpenSSL makes any odd exponent from 3 up).
EvpPkeyPtr make_rsa_key(unsigned bits = 2048, unsigned long exponent = 65537);
// The public half of RSA key `rsa` with the exponent replaced: a key no generator makes (e = 1,
// an even e), for requests that carry it.
EvpPkeyPtr rsa_public_key_with_exponent(const EVP_PKEY* rsa, unsigned long exponent);

// A CSR (subject CN=ignored) for `subject_key`, signed by `signer` with `digest` (RSA-PSS when
// `pss`). The signer is normally the subject key itself; another key makes a CSR whose
// signature does not verify.
Bytes csr_der(EVP_PKEY* subject_key, EVP_PKEY* signer, const EVP_MD* digest, bool pss = false);
std::string csr_pem(EVP_PKEY* subject_key, EVP_PKEY* signer, const EVP_MD* digest,
                    bool pss = false);
inline std::string csr_pem(EVP_PKEY* key) {
    return csr_pem(key, key, EVP_sha256());
}

// A CSR for RSA public key `e1_key` (e = 1) whose signature verifies: with e = 1 the signature
// is the PKCS#1 v1.5 encoding of the request's SHA-256 itself, which anyone can write — the
// forgery e = 1 allows.
std::string forged_e1_csr_pem(EVP_PKEY* e1_key);

}  // namespace signet::testing
