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
#include "hsm/bridge.hpp"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <array>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "common/error.hpp"

namespace signet::hsm {

namespace {

constexpr const char* kProviderName = "signet-hsm";
constexpr const char* kProviderProperties = "provider=signet-hsm";
constexpr const char* kSignerParam = kBridgeSignerParam;

// Puts a failure on OpenSSL's error queue, where the caller of the OpenSSL API will find it.
void raise(const std::string& message) {
    ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "signet-hsm: %s", message.c_str());
}

// --- Key management --------------------------------------------------------------------------

struct BridgeKey {
    std::shared_ptr<const Signer> signer;  // absent for a public key imported for comparison
    EvpPkeyPtr public_key;                 // a default-provider key holding the public half
};

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
            signer = pending_signers().find(id);
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

template <auto Fn>
void (*as_function())(void) {
    return reinterpret_cast<void (*)(void)>(Fn);
}

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

// --- Signature -------------------------------------------------------------------------------

// AlgorithmIdentifier DER for each scheme, as certificates, CRLs, OCSP and CMS carry it.
// ecdsa-with-SHA* (RFC 5758 §3.2: parameters absent), sha*WithRSAEncryption (RFC 4055 §5:
// parameters NULL) and id-RSASSA-PSS with explicit RSASSA-PSS-params: the hash, MGF1 with the
// same hash, saltLength = hash length (RFC 4055 §3.1).
const char* algorithm_id_hex(bool ec, Padding padding, Digest digest) {
    if (ec) {
        switch (digest) {
            case Digest::sha256:
                return "300a06082a8648ce3d040302";
            case Digest::sha384:
                return "300a06082a8648ce3d040303";
            case Digest::sha512:
                return "300a06082a8648ce3d040304";
        }
    }
    if (padding == Padding::pkcs1) {
        switch (digest) {
            case Digest::sha256:
                return "300d06092a864886f70d01010b0500";
            case Digest::sha384:
                return "300d06092a864886f70d01010c0500";
            case Digest::sha512:
                return "300d06092a864886f70d01010d0500";
        }
    }
    switch (digest) {
        case Digest::sha256:
            return "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a"
                   "864886f70d010108300d06096086480165030402010500a203020120";
        case Digest::sha384:
            return "304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a"
                   "864886f70d010108300d06096086480165030402020500a203020130";
        case Digest::sha512:
            return "304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a"
                   "864886f70d010108300d06096086480165030402030500a203020140";
    }
    return "";
}

// Decoded once: the AlgorithmIdentifier of every (key family, padding, digest).
const Bytes& algorithm_id(bool ec, Padding padding, Digest digest) {
    static const auto table = [] {
        std::map<std::tuple<bool, Padding, Digest>, Bytes> t;
        for (Digest d : {Digest::sha256, Digest::sha384, Digest::sha512}) {
            t[{true, Padding::ecdsa, d}] = from_hex(algorithm_id_hex(true, Padding::ecdsa, d));
            t[{false, Padding::pkcs1, d}] = from_hex(algorithm_id_hex(false, Padding::pkcs1, d));
            t[{false, Padding::pss, d}] = from_hex(algorithm_id_hex(false, Padding::pss, d));
        }
        return t;
    }();
    return table.at({ec, padding, digest});
}

struct SignatureContext {
    const BridgeKey* key = nullptr;
    bool ec = true;
    Digest digest = Digest::sha256;
    bool digest_set = false;
    Padding padding = Padding::ecdsa;
    EvpMdCtxPtr hashing;  // digest_sign_* only
};

void* ec_signature_new(void*, const char*) {
    auto* ctx = new (std::nothrow) SignatureContext;
    if (ctx != nullptr)
        ctx->padding = Padding::ecdsa;
    return ctx;
}

void* rsa_signature_new(void*, const char*) {
    auto* ctx = new (std::nothrow) SignatureContext;
    if (ctx != nullptr) {
        ctx->ec = false;
        ctx->padding = Padding::pkcs1;
    }
    return ctx;
}

void signature_free(void* ctx) {
    delete static_cast<SignatureContext*>(ctx);
}

void* signature_dup(void* source) {
    const auto* from = static_cast<const SignatureContext*>(source);
    auto* to = new (std::nothrow) SignatureContext;
    if (to == nullptr)
        return nullptr;
    to->key = from->key;
    to->ec = from->ec;
    to->digest = from->digest;
    to->digest_set = from->digest_set;
    to->padding = from->padding;
    if (from->hashing) {
        to->hashing.reset(EVP_MD_CTX_new());
        if (!to->hashing || EVP_MD_CTX_copy_ex(to->hashing.get(), from->hashing.get()) != 1) {
            delete to;
            return nullptr;
        }
    }
    return to;
}

// Maps an OpenSSL digest name onto ours; SHA-1 and the rest are refused (raising the reason).
bool set_digest(SignatureContext& ctx, const char* name) {
    try {
        ctx.digest = parse_digest(name);
        ctx.digest_set = true;
        return true;
    } catch (const Error& e) {
        raise(e.what());
        return false;
    }
}

bool set_padding(SignatureContext& ctx, const OSSL_PARAM& p) {
    int mode = 0;
    if (p.data_type == OSSL_PARAM_UTF8_STRING) {
        const char* name = nullptr;
        if (!OSSL_PARAM_get_utf8_string_ptr(&p, &name))
            return false;
        if (std::strcmp(name, OSSL_PKEY_RSA_PAD_MODE_PKCSV15) == 0)
            mode = RSA_PKCS1_PADDING;
        else if (std::strcmp(name, OSSL_PKEY_RSA_PAD_MODE_PSS) == 0)
            mode = RSA_PKCS1_PSS_PADDING;
        else
            mode = -1;
    } else if (!OSSL_PARAM_get_int(&p, &mode)) {
        return false;
    }
    if (ctx.ec || (mode != RSA_PKCS1_PADDING && mode != RSA_PKCS1_PSS_PADDING)) {
        raise("only PKCS#1 v1.5 and PSS padding are supported, for RSA keys");
        return false;
    }
    ctx.padding = mode == RSA_PKCS1_PADDING ? Padding::pkcs1 : Padding::pss;
    return true;
}

// The HSM signs PSS with salt length = digest length; requests that mean that (or let the signer
// choose) are accepted, any other length is refused rather than silently changed.
bool check_salt_length(const SignatureContext& ctx, const OSSL_PARAM& p) {
    if (p.data_type == OSSL_PARAM_UTF8_STRING) {
        const char* value = nullptr;
        if (!OSSL_PARAM_get_utf8_string_ptr(&p, &value))
            return false;
        if (std::strcmp(value, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST) == 0 ||
            std::strcmp(value, OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO) == 0 ||
            std::strcmp(value, OSSL_PKEY_RSA_PSS_SALT_LEN_MAX) == 0) {
            return true;
        }
        char* end = nullptr;
        const long n = std::strtol(value, &end, 10);
        if (end != value && *end == '\0' && n == static_cast<long>(digest_size(ctx.digest)))
            return true;
    } else {
        int n = 0;
        if (!OSSL_PARAM_get_int(&p, &n))
            return false;
        if (n == RSA_PSS_SALTLEN_DIGEST || n == RSA_PSS_SALTLEN_AUTO || n == RSA_PSS_SALTLEN_MAX ||
            n == static_cast<int>(digest_size(ctx.digest))) {
            return true;
        }
    }
    raise("the HSM signs RSA-PSS with salt length = digest length only");
    return false;
}

int signature_set_ctx_params(void* vctx, const OSSL_PARAM params[]) {
    auto& ctx = *static_cast<SignatureContext*>(vctx);
    if (params == nullptr)
        return 1;
    if (const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST)) {
        const char* name = nullptr;
        if (!OSSL_PARAM_get_utf8_string_ptr(p, &name) || !set_digest(ctx, name))
            return 0;
    }
    if (const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PAD_MODE)) {
        if (!set_padding(ctx, *p))
            return 0;
    }
    if (const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) {
        if (ctx.ec || !check_salt_length(ctx, *p))
            return 0;
    }
    if (const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST)) {
        const char* name = nullptr;
        if (ctx.ec || !OSSL_PARAM_get_utf8_string_ptr(p, &name))
            return 0;
        try {
            if (parse_digest(name) != ctx.digest) {
                raise("the MGF1 digest must be the signature's digest");
                return 0;
            }
        } catch (const Error& e) {
            raise(e.what());
            return 0;
        }
    }
    return 1;
}

const OSSL_PARAM* ec_settable_ctx_params(void*, void*) {
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, nullptr, 0),
        OSSL_PARAM_END,
    };
    return settable;
}

const OSSL_PARAM* rsa_settable_ctx_params(void*, void*) {
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, nullptr, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, nullptr, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, nullptr, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, nullptr, 0),
        OSSL_PARAM_END,
    };
    return settable;
}

int signature_get_ctx_params(void* vctx, OSSL_PARAM params[]) {
    const auto& ctx = *static_cast<SignatureContext*>(vctx);
    if (OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID)) {
        const Bytes& der = algorithm_id(ctx.ec, ctx.padding, ctx.digest);
        if (!OSSL_PARAM_set_octet_string(p, der.data(), der.size()))
            return 0;
    }
    if (OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST)) {
        if (!OSSL_PARAM_set_utf8_string(p, std::string(to_string(ctx.digest)).c_str()))
            return 0;
    }
    if (ctx.ec)
        return 1;
    if (OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PAD_MODE)) {
        const bool pss = ctx.padding == Padding::pss;
        const int ok = p->data_type == OSSL_PARAM_UTF8_STRING
                           ? OSSL_PARAM_set_utf8_string(p, pss ? OSSL_PKEY_RSA_PAD_MODE_PSS
                                                               : OSSL_PKEY_RSA_PAD_MODE_PKCSV15)
                           : OSSL_PARAM_set_int(p, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING);
        if (!ok)
            return 0;
    }
    if (OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) {
        const int salt = static_cast<int>(digest_size(ctx.digest));
        const int ok = p->data_type == OSSL_PARAM_UTF8_STRING
                           ? OSSL_PARAM_set_utf8_string(p, std::to_string(salt).c_str())
                           : OSSL_PARAM_set_int(p, salt);
        if (!ok)
            return 0;
    }
    if (OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST)) {
        if (!OSSL_PARAM_set_utf8_string(p, std::string(to_string(ctx.digest)).c_str()))
            return 0;
    }
    return 1;
}

const OSSL_PARAM* signature_gettable_ctx_params(void*, void*) {
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, nullptr, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, nullptr, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, nullptr, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, nullptr, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, nullptr, 0),
        OSSL_PARAM_END,
    };
    return gettable;
}

int signature_init(void* vctx, void* keydata, const OSSL_PARAM params[]) {
    auto& ctx = *static_cast<SignatureContext*>(vctx);
    ctx.key = static_cast<const BridgeKey*>(keydata);
    if (ctx.key == nullptr || !ctx.key->signer) {
        raise("the key has no private half in the HSM");
        return 0;
    }
    return signature_set_ctx_params(vctx, params);
}

// Signs a finished digest. With sig == nullptr OpenSSL asks only for the maximum size.
int sign_digest(SignatureContext& ctx, unsigned char* sig, std::size_t* siglen, std::size_t sigsize,
                const unsigned char* digest, std::size_t digest_len) {
    const Signer& signer = *ctx.key->signer;
    const std::size_t max_size = max_signature_size(signer.key_type());
    if (sig == nullptr) {
        *siglen = max_size;
        return 1;
    }
    try {
        const Bytes signature = signer.sign_digest(ctx.digest, ctx.padding, {digest, digest_len});
        if (signature.size() > sigsize) {
            raise("signature buffer too small");
            return 0;
        }
        std::memcpy(sig, signature.data(), signature.size());
        *siglen = signature.size();
        return 1;
    } catch (const std::exception& e) {
        // Never let an exception cross into OpenSSL's C code.
        raise(e.what());
        return 0;
    }
}

int signature_sign(void* vctx, unsigned char* sig, std::size_t* siglen, std::size_t sigsize,
                   const unsigned char* tbs, std::size_t tbslen) {
    auto& ctx = *static_cast<SignatureContext*>(vctx);
    // EVP_PKEY_sign hands over a digest; without an explicit digest its size tells which.
    if (!ctx.digest_set) {
        if (tbslen == 48)
            ctx.digest = Digest::sha384;
        else if (tbslen == 64)
            ctx.digest = Digest::sha512;
        else
            ctx.digest = Digest::sha256;
    }
    return sign_digest(ctx, sig, siglen, sigsize, tbs, tbslen);
}

const EVP_MD* digest_md(Digest digest) {
    switch (digest) {
        case Digest::sha256:
            return EVP_sha256();
        case Digest::sha384:
            return EVP_sha384();
        case Digest::sha512:
            return EVP_sha512();
    }
    return nullptr;
}

// The second half of digest_sign_init and digest_verify_init: the digest (SHA-256 unless named),
// the other parameters, and a fresh hashing context.
int start_hashing(SignatureContext& ctx, const char* mdname, const OSSL_PARAM params[]) {
    if (!set_digest(ctx, mdname != nullptr && *mdname != '\0' ? mdname : "SHA256"))
        return 0;
    if (!signature_set_ctx_params(&ctx, params))
        return 0;
    if (!ctx.hashing)
        ctx.hashing.reset(EVP_MD_CTX_new());
    return ctx.hashing && EVP_DigestInit_ex(ctx.hashing.get(), digest_md(ctx.digest), nullptr) == 1
               ? 1
               : 0;
}

int digest_sign_init(void* vctx, const char* mdname, void* keydata, const OSSL_PARAM params[]) {
    if (!signature_init(vctx, keydata, nullptr))
        return 0;
    return start_hashing(*static_cast<SignatureContext*>(vctx), mdname, params);
}

int digest_sign_update(void* vctx, const unsigned char* data, std::size_t size) {
    auto& ctx = *static_cast<SignatureContext*>(vctx);
    return ctx.hashing && EVP_DigestUpdate(ctx.hashing.get(), data, size) == 1 ? 1 : 0;
}

int digest_sign_final(void* vctx, unsigned char* sig, std::size_t* siglen, std::size_t sigsize) {
    auto& ctx = *static_cast<SignatureContext*>(vctx);
    if (!ctx.hashing)
        return 0;
    if (sig == nullptr)
        return sign_digest(ctx, nullptr, siglen, 0, nullptr, 0);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (EVP_DigestFinal_ex(ctx.hashing.get(), digest, &digest_len) != 1)
        return 0;
    return sign_digest(ctx, sig, siglen, sigsize, digest, digest_len);
}

// Verification needs no HSM: it is done by the default provider with the public half, so a
// bridge key also verifies (e.g. a certificate whose in-memory public key is the bridge key).
int verify_init(void* vctx, void* keydata, const OSSL_PARAM params[]) {
    auto& ctx = *static_cast<SignatureContext*>(vctx);
    ctx.key = static_cast<const BridgeKey*>(keydata);
    if (ctx.key == nullptr || !ctx.key->public_key)
        return 0;
    return signature_set_ctx_params(vctx, params);
}

int signature_verify(void* vctx, const unsigned char* sig, std::size_t siglen,
                     const unsigned char* tbs, std::size_t tbslen) {
    auto& ctx = *static_cast<SignatureContext*>(vctx);
    EvpPkeyCtxPtr pctx(
        EVP_PKEY_CTX_new_from_pkey(nullptr, ctx.key->public_key.get(), "provider=default"));
    if (!pctx || EVP_PKEY_verify_init(pctx.get()) <= 0)
        return 0;
    if (ctx.digest_set) {
        const EVP_MD* md = EVP_get_digestbyname(std::string(to_string(ctx.digest)).c_str());
        if (EVP_PKEY_CTX_set_signature_md(pctx.get(), md) <= 0)
            return 0;
    }
    if (!ctx.ec) {
        const int mode = ctx.padding == Padding::pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING;
        if (EVP_PKEY_CTX_set_rsa_padding(pctx.get(), mode) <= 0)
            return 0;
    }
    return EVP_PKEY_verify(pctx.get(), sig, siglen, tbs, tbslen) == 1 ? 1 : 0;
}

int digest_verify_init(void* vctx, const char* mdname, void* keydata, const OSSL_PARAM params[]) {
    if (!verify_init(vctx, keydata, nullptr))
        return 0;
    return start_hashing(*static_cast<SignatureContext*>(vctx), mdname, params);
}

int digest_verify_final(void* vctx, const unsigned char* sig, std::size_t siglen) {
    auto& ctx = *static_cast<SignatureContext*>(vctx);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (!ctx.hashing || EVP_DigestFinal_ex(ctx.hashing.get(), digest, &digest_len) != 1)
        return 0;
    ctx.digest_set = true;
    return signature_verify(vctx, sig, siglen, digest, digest_len);
}

#define SIGNET_SIGNATURE(prefix)                                                           \
    {                                                                                      \
        {OSSL_FUNC_SIGNATURE_NEWCTX, as_function<prefix##_signature_new>()},               \
            {OSSL_FUNC_SIGNATURE_FREECTX, as_function<signature_free>()},                  \
            {OSSL_FUNC_SIGNATURE_DUPCTX, as_function<signature_dup>()},                    \
            {OSSL_FUNC_SIGNATURE_SIGN_INIT, as_function<signature_init>()},                \
            {OSSL_FUNC_SIGNATURE_SIGN, as_function<signature_sign>()},                     \
            {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, as_function<digest_sign_init>()},       \
            {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, as_function<digest_sign_update>()},   \
            {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, as_function<digest_sign_final>()},     \
            {OSSL_FUNC_SIGNATURE_VERIFY_INIT, as_function<verify_init>()},                 \
            {OSSL_FUNC_SIGNATURE_VERIFY, as_function<signature_verify>()},                 \
            {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT, as_function<digest_verify_init>()},   \
            {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE, as_function<digest_sign_update>()}, \
            {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL, as_function<digest_verify_final>()}, \
            {OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, as_function<signature_get_ctx_params>()}, \
            {OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS,                                      \
             as_function<signature_gettable_ctx_params>()},                                \
            {OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, as_function<signature_set_ctx_params>()}, \
            {OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS,                                      \
             as_function<prefix##_settable_ctx_params>()},                                 \
        {                                                                                  \
            0, nullptr                                                                     \
        }                                                                                  \
    }

const OSSL_DISPATCH kEcSignature[] = SIGNET_SIGNATURE(ec);
const OSSL_DISPATCH kRsaSignature[] = SIGNET_SIGNATURE(rsa);
#undef SIGNET_SIGNATURE

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
    std::array<OSSL_PARAM, 2> params{OSSL_PARAM_construct_uint64(kSignerParam, &pending.id),
                                     OSSL_PARAM_construct_end()};
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.data()) <= 0) {
        throw_openssl_error("cannot make an OpenSSL key of the HSM key");
    }
    return EvpPkeyPtr(key);
}

}  // namespace signet::hsm
