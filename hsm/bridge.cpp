// The OpenSSL bridge: an OpenSSL 3 provider, built into Signet, whose keys sign through
// hsm::Signer. It offers two operations only — key management and signature, for EC and RSA —
// which is all X509_sign, X509_CRL_sign, OCSP_basic_sign, TS_RESP_create_response, CMS and a TLS
// server need from a private key (provider-keymgmt(7), provider-signature(7)).
//
// Two rules keep the bridge from being picked where it does not belong:
//  - its algorithms carry the property "provider=signet-hsm", and the default provider is
//    loaded before it, so a fetch without properties finds the default implementations first;
//  - its keys export their public half only: a fetch that tries to move the key to another
//    provider to sign (as EVP_DigestSignInit does first) fails, and OpenSSL falls back to the
//    bridge's own signature implementation; encoders and EVP_PKEY_eq still work on the public key.
//
// This file registers the provider and hands it the signers of bridge_key(); its key manager is in
// bridge_keymgmt.cpp, its signature operations in bridge_signature.cpp and their parameters in
// bridge_signature_params.cpp (the declarations they share: bridge_provider.hpp).
#include "hsm/bridge.hpp"

#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <array>
#include <map>
#include <mutex>

#include "common/error.hpp"
#include "hsm/bridge_provider.hpp"

namespace signet::hsm {

namespace {

using namespace provider;

constexpr const char* kProviderName = "signet-hsm";
constexpr const char* kProviderProperties = "provider=signet-hsm";

// The signers that bridge_key() is handing over, by an opaque id: the key manager's import gets
// the id, never a pointer, so a parameter that merely carries our name (anyone may call
// EVP_PKEY_fromdata with any parameters) is looked up and refused, not dereferenced. An entry
// lives only while bridge_key() runs; ids are random, so a stale or guessed one finds nothing.
class PendingSigners {
  public:
    std::uint64_t add(std::shared_ptr<const Signer> signer) {
        std::lock_guard lock(mutex_);
        std::uint64_t id = 0;
        do {
            if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id) != 1)
                throw_openssl_error("no random bytes for a bridge key's id");
        } while (id == 0 || signers_.contains(id));
        signers_.emplace(id, std::move(signer));
        return id;
    }
    void remove(std::uint64_t id) noexcept {
        std::lock_guard lock(mutex_);
        signers_.erase(id);
    }
    std::shared_ptr<const Signer> find(std::uint64_t id) const {
        std::lock_guard lock(mutex_);
        const auto it = signers_.find(id);
        return it == signers_.end() ? nullptr : it->second;
    }

  private:
    mutable std::mutex mutex_;
    std::map<std::uint64_t, std::shared_ptr<const Signer>> signers_;
};

PendingSigners& pending_signers() {
    static PendingSigners signers;
    return signers;
}

// --- The provider ----------------------------------------------------------------------------

// Names as the default provider spells them, so EVP_PKEY_is_a(key, "EC") and the OID lookups of
// X509, CMS and TLS treat a bridge key like any other EC or RSA key.
const OSSL_ALGORITHM kKeymgmtAlgorithms[] = {
    {"EC:id-ecPublicKey:1.2.840.10045.2.1", kProviderProperties, kEcKeymgmt, "Signet HSM EC key"},
    {"RSA:rsaEncryption:1.2.840.113549.1.1.1", kProviderProperties, kRsaKeymgmt,
     "Signet HSM RSA key"},
    {nullptr, nullptr, nullptr, nullptr},
};

const OSSL_ALGORITHM kSignatureAlgorithms[] = {
    {"ECDSA", kProviderProperties, kEcSignature, "ECDSA in the Signet HSM"},
    {"RSA:rsaEncryption:1.2.840.113549.1.1.1", kProviderProperties, kRsaSignature,
     "RSA in the Signet HSM"},
    {nullptr, nullptr, nullptr, nullptr},
};

const OSSL_ALGORITHM* query_operation(void*, int operation, int* no_cache) {
    *no_cache = 0;
    switch (operation) {
        case OSSL_OP_KEYMGMT:
            return kKeymgmtAlgorithms;
        case OSSL_OP_SIGNATURE:
            return kSignatureAlgorithms;
        default:
            return nullptr;
    }
}

void teardown(void*) {}

const OSSL_DISPATCH kProviderFunctions[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, as_function<query_operation>()},
    {OSSL_FUNC_PROVIDER_TEARDOWN, as_function<teardown>()},
    {0, nullptr},
};

int provider_init(const OSSL_CORE_HANDLE*, const OSSL_DISPATCH*, const OSSL_DISPATCH** out,
                  void** provider_ctx) {
    *out = kProviderFunctions;
    *provider_ctx = nullptr;
    return 1;
}

// The providers loaded per library context. They are unloaded by a handler OpenSSL runs at the
// start of its own exit-time cleanup (OPENSSL_atexit), not by a static destructor: whether such
// a destructor ran before or after OpenSSL's cleanup depended on which came first in the
// process, and after it the unload crashed (found by fuzz/hsm_fuzz). Never destroyed itself.
std::mutex g_install_mutex;
auto& installed() {
    static auto* providers = new std::map<OSSL_LIB_CTX*, std::array<OSSL_PROVIDER*, 2>>;
    return *providers;
}

void unload_providers() {
    std::lock_guard lock(g_install_mutex);
    for (auto& [libctx, providers] : installed()) {
        for (OSSL_PROVIDER* provider : providers)
            OSSL_PROVIDER_unload(provider);
    }
    installed().clear();
}

}  // namespace

std::shared_ptr<const Signer> provider::find_pending_signer(std::uint64_t id) {
    return pending_signers().find(id);
}

void install_bridge(OSSL_LIB_CTX* libctx) {
    static const bool unload_at_exit = OPENSSL_atexit(unload_providers) == 1;
    (void)unload_at_exit;
    std::lock_guard lock(g_install_mutex);
    if (installed().contains(libctx))
        return;
    // Loading any provider explicitly stops OpenSSL from loading the default one on demand, so
    // it is loaded here first (and thereby also found first by fetches without properties).
    OSSL_PROVIDER* default_provider = OSSL_PROVIDER_load(libctx, "default");
    if (default_provider == nullptr)
        throw_openssl_error("cannot load OpenSSL's default provider");
    OSSL_PROVIDER* bridge = nullptr;
    if (OSSL_PROVIDER_add_builtin(libctx, kProviderName, provider_init) != 1 ||
        (bridge = OSSL_PROVIDER_load(libctx, kProviderName)) == nullptr) {
        OSSL_PROVIDER_unload(default_provider);
        throw_openssl_error("cannot load the signet-hsm provider");
    }
    installed()[libctx] = {default_provider, bridge};
}

EvpPkeyPtr bridge_key(std::shared_ptr<const Signer> signer, OSSL_LIB_CTX* libctx) {
    if (!signer)
        throw Error(Errc::invalid_argument, "bridge_key needs a signer");
    install_bridge(libctx);
    const char* algorithm = is_ec(signer->key_type()) ? "EC" : "RSA";
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(libctx, algorithm, kProviderProperties));
    // The key manager finds the signer by this id during the import and keeps a reference.
    struct Pending {
        std::uint64_t id;
        ~Pending() { pending_signers().remove(id); }
    } pending{pending_signers().add(std::move(signer))};
    std::array<OSSL_PARAM, 2> params{
        OSSL_PARAM_construct_uint64(provider::kSignerParam, &pending.id),
        OSSL_PARAM_construct_end()};
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.data()) <= 0) {
        throw_openssl_error("cannot make an OpenSSL key of the HSM key");
    }
    return EvpPkeyPtr(key);
}

}  // namespace signet::hsm
