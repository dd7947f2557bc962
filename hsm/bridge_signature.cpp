// The OpenSSL bridge's signature operations (provider-signature(7)) for EC and RSA: signing a
// digest, or data it hashes itself, through the key's hsm::Signer; verifying with the public
// half in the default provider. Their parameters are in bridge_signature_params.cpp.
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "common/error.hpp"
#include "hsm/bridge_provider.hpp"

namespace signet::hsm::provider {

namespace {

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

}  // namespace

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

}  // namespace signet::hsm::provider
