#pragma once

#include <curl/curl.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/param_build.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <jwt.h>

#include <cstdlib>

#include <memory>

namespace signet {

// One owner for every C pointer (after Seastar's tls_openssl.cc): a unique_ptr whose deleter is
// the library's own free function.
template <auto FreeFn>
struct FreeWith {
    template <class T>
    void operator()(T* p) const noexcept {
        FreeFn(p);
    }
};

template <class T, auto FreeFn>
using handle = std::unique_ptr<T, FreeWith<FreeFn>>;

namespace detail {
// sk_X509_* are macros; the owner needs a function. The stack owns its certificates.
inline void free_x509_stack(STACK_OF(X509) * stack) noexcept {
    sk_X509_pop_free(stack, X509_free);
}
// OPENSSL_free is a macro (it passes the caller's file and line); the owner needs a function.
inline void free_openssl_bytes(unsigned char* bytes) noexcept {
    OPENSSL_free(bytes);
}
// libjwt 1.10's JSON strings (jwt_get_grants_json...) are the caller's to free() (jwt.h).
inline void free_jwt_string(char* text) noexcept {
    std::free(text);
}
}  // namespace detail

// The one owner alias of each OpenSSL and libcurl type (DESIGN.md: one alias per type); a module
// never declares its own. Sorted by name.
using OpensslBytesPtr = handle<unsigned char, detail::free_openssl_bytes>;  // i2d output, memdup
using Asn1BitStringPtr = handle<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using Asn1EnumeratedPtr = handle<ASN1_ENUMERATED, ASN1_ENUMERATED_free>;
using Asn1GeneralizedTimePtr = handle<ASN1_GENERALIZEDTIME, ASN1_GENERALIZEDTIME_free>;
using Asn1IntegerPtr = handle<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1NullPtr = handle<ASN1_NULL, ASN1_NULL_free>;
using Asn1ObjectPtr = handle<ASN1_OBJECT, ASN1_OBJECT_free>;
using Asn1OctetStringPtr = handle<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using Asn1TimePtr = handle<ASN1_TIME, ASN1_TIME_free>;
using AuthorityInfoAccessPtr = handle<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free>;
using AuthorityKeyIdPtr = handle<AUTHORITY_KEYID, AUTHORITY_KEYID_free>;
using BasicConstraintsPtr = handle<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;
using BioPtr = handle<BIO, BIO_free_all>;
using BignumPtr = handle<BIGNUM, BN_free>;
using CertificatePoliciesPtr = handle<CERTIFICATEPOLICIES, CERTIFICATEPOLICIES_free>;
using CmsPtr = handle<CMS_ContentInfo, CMS_ContentInfo_free>;
using CrlDistPointsPtr = handle<CRL_DIST_POINTS, CRL_DIST_POINTS_free>;
using CurlPtr = handle<CURL, curl_easy_cleanup>;  // the RA's SMS gateway
using CurlSlistPtr = handle<curl_slist, curl_slist_free_all>;
using EcdsaSigPtr = handle<ECDSA_SIG, ECDSA_SIG_free>;
using EssSigningCertPtr = handle<ESS_SIGNING_CERT, ESS_SIGNING_CERT_free>;
using EssSigningCertV2Ptr = handle<ESS_SIGNING_CERT_V2, ESS_SIGNING_CERT_V2_free>;
using EvpCipherCtxPtr = handle<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpCipherPtr = handle<EVP_CIPHER, EVP_CIPHER_free>;
using EvpMdCtxPtr = handle<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpMdPtr = handle<EVP_MD, EVP_MD_free>;
using EvpPkeyCtxPtr = handle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpPkeyPtr = handle<EVP_PKEY, EVP_PKEY_free>;
using ExtendedKeyUsagePtr = handle<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;
using GeneralNamePtr = handle<GENERAL_NAME, GENERAL_NAME_free>;
using GeneralNamesPtr = handle<GENERAL_NAMES, GENERAL_NAMES_free>;
using OcspBasicRespPtr = handle<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using OcspCertIdPtr = handle<OCSP_CERTID, OCSP_CERTID_free>;
using OcspRequestPtr = handle<OCSP_REQUEST, OCSP_REQUEST_free>;
using OcspResponsePtr = handle<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using OsslParamBldPtr = handle<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using OsslParamPtr = handle<OSSL_PARAM, OSSL_PARAM_free>;
using Pkcs7Ptr = handle<PKCS7, PKCS7_free>;
using Pkcs8PrivKeyInfoPtr = handle<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;
using RsaPssParamsPtr = handle<RSA_PSS_PARAMS, RSA_PSS_PARAMS_free>;
using SslCtxPtr = handle<SSL_CTX, SSL_CTX_free>;
using SslPtr = handle<SSL, SSL_free>;
using TsMsgImprintPtr = handle<TS_MSG_IMPRINT, TS_MSG_IMPRINT_free>;
using TsReqPtr = handle<TS_REQ, TS_REQ_free>;
using TsRespCtxPtr = handle<TS_RESP_CTX, TS_RESP_CTX_free>;
using TsRespPtr = handle<TS_RESP, TS_RESP_free>;
using TsTstInfoPtr = handle<TS_TST_INFO, TS_TST_INFO_free>;
using TsVerifyCtxPtr = handle<TS_VERIFY_CTX, TS_VERIFY_CTX_free>;
using X509AlgorPtr = handle<X509_ALGOR, X509_ALGOR_free>;
using X509AttributePtr = handle<X509_ATTRIBUTE, X509_ATTRIBUTE_free>;
using X509CrlPtr = handle<X509_CRL, X509_CRL_free>;
using X509ExtensionPtr = handle<X509_EXTENSION, X509_EXTENSION_free>;
using X509NamePtr = handle<X509_NAME, X509_NAME_free>;
using X509PubkeyPtr = handle<X509_PUBKEY, X509_PUBKEY_free>;
using X509Ptr = handle<X509, X509_free>;
using X509ReqPtr = handle<X509_REQ, X509_REQ_free>;
using X509RevokedPtr = handle<X509_REVOKED, X509_REVOKED_free>;
using X509StoreCtxPtr = handle<X509_STORE_CTX, X509_STORE_CTX_free>;
using X509StorePtr = handle<X509_STORE, X509_STORE_free>;
using X509StackPtr = handle<STACK_OF(X509), detail::free_x509_stack>;

// libjwt's (the RA's identity evidence, ra/evidence.cpp).
using JwtPtr = handle<jwt_t, jwt_free>;
using JwtStringPtr = handle<char, detail::free_jwt_string>;

}  // namespace signet
