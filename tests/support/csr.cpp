#include "tests/support/csr.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "common/der.hpp"
#include "common/error.hpp"

namespace signet::testing {

namespace {

X509ReqPtr unsigned_request(EVP_PKEY* subject_key) {
    X509ReqPtr req(X509_REQ_new());
    X509_NAME* name = X509_REQ_get_subject_name(req.get());
    if (!req ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>("ignored"), -1, -1,
                                   0) != 1 ||
        X509_REQ_set_pubkey(req.get(), subject_key) != 1)
        throw_openssl_error("cannot make a request");
    return req;
}

std::string pem_of(X509_REQ* req) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509_REQ(bio.get(), req) != 1)
        throw_openssl_error("cannot write a request");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

EvpPkeyPtr make_ec_key(const char* curve) {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
    if (!key)
        throw_openssl_error("cannot make an EC key");
    return key;
}

EvpPkeyPtr make_rsa_key(unsigned bits, unsigned long exponent) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    BignumPtr e(BN_new());
    EVP_PKEY* key = nullptr;
    if (!ctx || !e || BN_set_word(e.get(), exponent) != 1 || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits)) != 1 ||
        EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) != 1 ||
        EVP_PKEY_keygen(ctx.get(), &key) != 1)
        throw_openssl_error("cannot make an RSA key");
    return EvpPkeyPtr(key);
}

EvpPkeyPtr rsa_public_key_with_exponent(const EVP_PKEY* rsa, unsigned long exponent) {
    BIGNUM* n = nullptr;
    if (EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n) != 1)
        throw_openssl_error("cannot read n");
    const BignumPtr owned_n(n);
    BignumPtr e(BN_new());
    OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
    if (!e || !builder || BN_set_word(e.get(), exponent) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
        throw_openssl_error("cannot build RSA parameters");
    const OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
        throw_openssl_error("cannot make the RSA public key");
    return EvpPkeyPtr(key);
}

Bytes csr_der(EVP_PKEY* subject_key, EVP_PKEY* signer, const EVP_MD* digest, bool pss) {
    const X509ReqPtr req = unsigned_request(subject_key);
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, digest, nullptr, signer) != 1 ||
        (pss && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1) ||
        X509_REQ_sign_ctx(req.get(), ctx.get()) <= 0)
        throw_openssl_error("cannot sign the request");
    return to_der(i2d_X509_REQ, static_cast<const X509_REQ*>(req.get()));
}

std::string csr_pem(EVP_PKEY* subject_key, EVP_PKEY* signer, const EVP_MD* digest, bool pss) {
    const Bytes der = csr_der(subject_key, signer, digest, pss);
    const unsigned char* p = der.data();
    const X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
    return pem_of(req.get());
}

std::string forged_e1_csr_pem(EVP_PKEY* e1_key) {
    const X509ReqPtr req = unsigned_request(e1_key);
    X509AlgorPtr algorithm(X509_ALGOR_new());
    if (!algorithm ||
        X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(NID_sha256WithRSAEncryption), V_ASN1_NULL,
                        nullptr) != 1 ||
        X509_REQ_set1_signature_algo(req.get(), algorithm.get()) != 1)
        throw_openssl_error("cannot set the signature algorithm");
    const Bytes tbs = to_der(i2d_re_X509_REQ_tbs, req.get());
    unsigned char hash[32];
    SHA256(tbs.data(), tbs.size(), hash);
    // RFC 8017 §9.2 EMSA-PKCS1-v1_5: 00 01 FF..FF 00 DigestInfo(SHA-256, hash).
    const Bytes digest_info_prefix{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                   0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    const auto size = static_cast<std::size_t>(EVP_PKEY_get_size(e1_key));
    Bytes encoded(size, 0xff);
    encoded[0] = 0x00;
    encoded[1] = 0x01;
    const std::size_t tail = digest_info_prefix.size() + sizeof hash;
    encoded[size - tail - 1] = 0x00;
    std::copy(digest_info_prefix.begin(), digest_info_prefix.end(), encoded.end() - tail);
    std::copy(hash, hash + sizeof hash, encoded.end() - sizeof hash);
    Asn1BitStringPtr signature(ASN1_BIT_STRING_new());
    if (!signature ||
        ASN1_BIT_STRING_set(signature.get(), encoded.data(), static_cast<int>(encoded.size())) != 1)
        throw_openssl_error("cannot set the signature");
    // Every bit counts: no "unused bits" inferred from trailing zeros.
    signature->flags = (signature->flags & ~0x07L) | ASN1_STRING_FLAG_BITS_LEFT;
    X509_REQ_set0_signature(req.get(), signature.release());
    return pem_of(req.get());
}

}  // namespace signet::testing
