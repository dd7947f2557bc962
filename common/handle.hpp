#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

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
}  // namespace detail

// A buffer OpenSSL allocated (i2d output, OPENSSL_memdup).
using OpensslBytesPtr = handle<unsigned char, detail::free_openssl_bytes>;
using BioPtr = handle<BIO, BIO_free_all>;
using BignumPtr = handle<BIGNUM, BN_free>;
using CmsPtr = handle<CMS_ContentInfo, CMS_ContentInfo_free>;
using EcdsaSigPtr = handle<ECDSA_SIG, ECDSA_SIG_free>;
using EvpMdCtxPtr = handle<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpPkeyCtxPtr = handle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpPkeyPtr = handle<EVP_PKEY, EVP_PKEY_free>;
using SslCtxPtr = handle<SSL_CTX, SSL_CTX_free>;
using SslPtr = handle<SSL, SSL_free>;
using X509CrlPtr = handle<X509_CRL, X509_CRL_free>;
using X509NamePtr = handle<X509_NAME, X509_NAME_free>;
using X509Ptr = handle<X509, X509_free>;
using X509StorePtr = handle<X509_STORE, X509_STORE_free>;
using X509StackPtr = handle<STACK_OF(X509), detail::free_x509_stack>;

}  // namespace signet
