#pragma once

// What the files of the OpenSSL bridge's provider share (internal to hsm/; bridge.cpp says how
// the provider works): its key object, the dispatch tables of its key manager
// (bridge_keymgmt.cpp) and signature (bridge_signature.cpp, its parameters in
// bridge_signature_params.cpp), the signers bridge_key() hands over, and raising an error.

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/err.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/handle.hpp"
#include "hsm/bridge.hpp"
#include "hsm/signer.hpp"

namespace signet::hsm::provider {

inline constexpr const char* kSignerParam = kBridgeSignerParam;

// Puts a failure on OpenSSL's error queue, where the caller of the OpenSSL API will find it.
inline void raise(const std::string& message) {
    ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "signet-hsm: %s", message.c_str());
}

// A provider function as a dispatch table entry takes it.
template <auto Fn>
void (*as_function())(void) {
    return reinterpret_cast<void (*)(void)>(Fn);
}

// The provider's key object.
struct BridgeKey {
    std::shared_ptr<const Signer> signer;  // absent for a public key imported for comparison
    EvpPkeyPtr public_key;                 // a default-provider key holding the public half
};

// The signer bridge_key() is handing over under `id` right now, else nullptr (bridge.cpp).
std::shared_ptr<const Signer> find_pending_signer(std::uint64_t id);

// The key manager (bridge_keymgmt.cpp).
extern const OSSL_DISPATCH kEcKeymgmt[];
extern const OSSL_DISPATCH kRsaKeymgmt[];

// --- Signature ---------------------------------------------------------------------------------

// One signature operation's state.
struct SignatureContext {
    const BridgeKey* key = nullptr;
    bool ec = true;
    Digest digest = Digest::sha256;
    bool digest_set = false;
    Padding padding = Padding::ecdsa;
    EvpMdCtxPtr hashing;  // digest_sign_* only
};

// Its parameters (bridge_signature_params.cpp).
// Maps an OpenSSL digest name onto ours; SHA-1 and the rest are refused (raising the reason).
bool set_digest(SignatureContext& ctx, const char* name);
int signature_set_ctx_params(void* vctx, const OSSL_PARAM params[]);
const OSSL_PARAM* ec_settable_ctx_params(void*, void*);
const OSSL_PARAM* rsa_settable_ctx_params(void*, void*);
int signature_get_ctx_params(void* vctx, OSSL_PARAM params[]);
const OSSL_PARAM* signature_gettable_ctx_params(void*, void*);

// The signature operations (bridge_signature.cpp).
extern const OSSL_DISPATCH kEcSignature[];
extern const OSSL_DISPATCH kRsaSignature[];

}  // namespace signet::hsm::provider
