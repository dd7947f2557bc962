// The OpenSSL bridge's key manager (provider-keymgmt(7)) for EC and RSA: a key is a signer
// handed over by bridge_key() under an opaque id, or a plain public key imported to compare;
// it exports its public half only, and its parameters are those of its public key.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <exception>
#include <new>

#include "hsm/bridge_provider.hpp"

namespace signet::hsm::provider {

namespace {

void* key_new(void*) {
    return new (std::nothrow) BridgeKey;
}

void key_free(void* keydata) {
    delete static_cast<BridgeKey*>(keydata);
}

int key_has(const void* keydata, int selection) {
    const auto* key = static_cast<const BridgeKey*>(keydata);
    if (key == nullptr)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && !key->signer)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 && !key->public_key)
        return 0;
    return 1;
}

// Imports either the signer handed over by bridge_key() or a plain public key (EVP_PKEY_eq and
// X509_check_private_key bring the certificate's public key here to compare).
int key_import(const char* algorithm, void* keydata, int selection, const OSSL_PARAM params[]) {
    auto* key = static_cast<BridgeKey*>(keydata);
    if (const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, kSignerParam); p != nullptr) {
        // Exactly the type bridge_key() sends: OSSL_PARAM_get_uint64 would also convert other
        // numbers (and reals), which are not ours either.
        std::uint64_t id = 0;
        if (p->data_type != OSSL_PARAM_UNSIGNED_INTEGER || p->data_size != sizeof id ||
            !OSSL_PARAM_get_uint64(p, &id)) {
            raise("malformed signer parameter");
            return 0;
        }
        std::shared_ptr<const Signer> signer;
        try {
            signer = find_pending_signer(id);
        } catch (const std::exception& e) {
            raise(e.what());
            return 0;
        }
        if (!signer) {
            raise("unknown signer");
            return 0;
        }
        if (EVP_PKEY_up_ref(signer->public_key()) != 1)
            return 0;
        key->public_key.reset(signer->public_key());
        key->signer = std::move(signer);
        return 1;
    }
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 &&
        OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY) != nullptr) {
        raise("private keys cannot be imported into the HSM bridge");
        return 0;
    }
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, "provider=default"));
    EVP_PKEY* public_key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &public_key, EVP_PKEY_PUBLIC_KEY,
                          const_cast<OSSL_PARAM*>(params)) <= 0) {
        return 0;
    }
    key->public_key.reset(public_key);
    return 1;
}

int ec_import(void* keydata, int selection, const OSSL_PARAM params[]) {
    return key_import("EC", keydata, selection, params);
}
int rsa_import(void* keydata, int selection, const OSSL_PARAM params[]) {
    return key_import("RSA", keydata, selection, params);
}

const OSSL_PARAM* ec_import_types(int) {
    static const OSSL_PARAM types[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, nullptr, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
        OSSL_PARAM_uint64(kSignerParam, nullptr),
        OSSL_PARAM_END,
    };
    return types;
}

const OSSL_PARAM* rsa_import_types(int) {
    static const OSSL_PARAM types[] = {
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, nullptr, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, nullptr, 0),
        OSSL_PARAM_uint64(kSignerParam, nullptr),
        OSSL_PARAM_END,
    };
    return types;
}

// The public half only. Refusing the private half is what keeps OpenSSL from signing with a
// public-only copy in the default provider.
int key_export(void* keydata, int selection, OSSL_CALLBACK* callback, void* callback_arg) {
    const auto* key = static_cast<const BridgeKey*>(keydata);
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 || !key->public_key)
        return 0;
    OSSL_PARAM* params = nullptr;
    if (EVP_PKEY_todata(key->public_key.get(), EVP_PKEY_PUBLIC_KEY, &params) != 1)
        return 0;
    const int ok = callback(params, callback_arg);
    OSSL_PARAM_free(params);
    return ok;
}

const OSSL_PARAM* ec_export_types(int selection) {
    return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 ? nullptr : ec_import_types(0);
}
const OSSL_PARAM* rsa_export_types(int selection) {
    return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 ? nullptr : rsa_import_types(0);
}

int key_match(const void* a, const void* b, int) {
    const auto* key_a = static_cast<const BridgeKey*>(a);
    const auto* key_b = static_cast<const BridgeKey*>(b);
    if (!key_a->public_key || !key_b->public_key)
        return 0;
    return EVP_PKEY_eq(key_a->public_key.get(), key_b->public_key.get()) == 1 ? 1 : 0;
}

// Bits, security bits, maximum signature size, group, public key, default digest: the answers
// are those of the public key, which the default provider knows.
int key_get_params(void* keydata, OSSL_PARAM params[]) {
    const auto* key = static_cast<const BridgeKey*>(keydata);
    if (!key->public_key)
        return 0;
    return EVP_PKEY_get_params(key->public_key.get(), params) == 1 ? 1 : 0;
}

const OSSL_PARAM* ec_gettable_params(void*) {
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, nullptr),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, nullptr),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, nullptr),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, nullptr, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, nullptr, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
        OSSL_PARAM_END,
    };
    return gettable;
}

const OSSL_PARAM* rsa_gettable_params(void*) {
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, nullptr),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, nullptr),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, nullptr),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, nullptr, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, nullptr, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, nullptr, 0),
        OSSL_PARAM_END,
    };
    return gettable;
}

const char* ec_operation_name(int operation) {
    return operation == OSSL_OP_SIGNATURE ? "ECDSA" : nullptr;
}
const char* rsa_operation_name(int operation) {
    return operation == OSSL_OP_SIGNATURE ? "RSA" : nullptr;
}

}  // namespace

#define SIGNET_KEYMGMT(prefix)                                                                  \
    {                                                                                           \
        {OSSL_FUNC_KEYMGMT_NEW, as_function<key_new>()},                                        \
            {OSSL_FUNC_KEYMGMT_FREE, as_function<key_free>()},                                  \
            {OSSL_FUNC_KEYMGMT_HAS, as_function<key_has>()},                                    \
            {OSSL_FUNC_KEYMGMT_MATCH, as_function<key_match>()},                                \
            {OSSL_FUNC_KEYMGMT_IMPORT, as_function<prefix##_import>()},                         \
            {OSSL_FUNC_KEYMGMT_IMPORT_TYPES, as_function<prefix##_import_types>()},             \
            {OSSL_FUNC_KEYMGMT_EXPORT, as_function<key_export>()},                              \
            {OSSL_FUNC_KEYMGMT_EXPORT_TYPES, as_function<prefix##_export_types>()},             \
            {OSSL_FUNC_KEYMGMT_GET_PARAMS, as_function<key_get_params>()},                      \
            {OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, as_function<prefix##_gettable_params>()},       \
            {OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, as_function<prefix##_operation_name>()}, { \
            0, nullptr                                                                          \
        }                                                                                       \
    }

const OSSL_DISPATCH kEcKeymgmt[] = SIGNET_KEYMGMT(ec);
const OSSL_DISPATCH kRsaKeymgmt[] = SIGNET_KEYMGMT(rsa);
#undef SIGNET_KEYMGMT

}  // namespace signet::hsm::provider
