#pragma once

#include <openssl/types.h>

#include <memory>

#include "common/handle.hpp"
#include "hsm/signer.hpp"

namespace signet::hsm {

// The OpenSSL bridge: a small OpenSSL 3 provider ("signet-hsm": key management and signature for
// EC and RSA) through which OpenSSL's own APIs — X509_sign, X509_CRL_sign, OCSP_basic_sign,
// TS_RESP_create_response, CMS_add1_signer/CMS_final, SSL_CTX_use_PrivateKey — sign with a key
// that stays in the HSM. ENGINEs are deprecated in OpenSSL 3 and are not used.

// The key-management parameter through which bridge_key() hands its signer to the provider: an
// opaque id (OSSL_PARAM_UNSIGNED_INTEGER, 8 bytes) of a signer registered while bridge_key()
// runs, never a pointer. Named here for the tests that try to forge it.
inline constexpr const char* kBridgeSignerParam = "signet-signer-id";

// Makes the provider available in `libctx` (nullptr: the process's default library context).
// Idempotent and thread-safe.
void install_bridge(OSSL_LIB_CTX* libctx = nullptr);

// An EVP_PKEY whose private-key operations are done by `signer`; its public half is the signer's
// public key. Installs the bridge in `libctx` if needed.
EvpPkeyPtr bridge_key(std::shared_ptr<const Signer> signer, OSSL_LIB_CTX* libctx = nullptr);

}  // namespace signet::hsm
