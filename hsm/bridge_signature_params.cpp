// The parameters of the OpenSSL bridge's signature operations (provider-signature(7)): the
// digest, RSA padding, PSS salt length and MGF1 digest a caller may set, each checked against
// what the HSM signs, and those OpenSSL reads back, the AlgorithmIdentifier above all.
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>

#include "common/error.hpp"
#include "hsm/bridge_provider.hpp"

namespace signet::hsm::provider {

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

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

}  // namespace signet::hsm::provider
