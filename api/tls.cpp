#include "api/tls.hpp"

#include <openssl/ssl.h>

#include "common/error.hpp"

namespace signet::api {

SslCtxPtr make_server_tls_context(const TlsOptions& options) {
    if (!options.private_key) {
        throw Error(Errc::invalid_argument, "TLS: no private key");
    }
    if (options.require_client_certificate && !options.client_ca) {
        throw Error(Errc::invalid_argument,
                    "TLS: require_client_certificate needs a client CA to verify against");
    }
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx)
        throw_openssl_error("SSL_CTX_new");

    // TLS 1.0 and 1.1 are deprecated (RFC 8996).
    check_openssl(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) == 1 ? 1 : 0,
                  "TLS minimum version");
    check_openssl(SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION) == 1 ? 1 : 0,
                  "TLS maximum version");
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                       SSL_OP_CIPHER_SERVER_PREFERENCE);
    check_openssl(SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers), "TLS 1.2 cipher list");
    check_openssl(SSL_CTX_set_ciphersuites(ctx.get(), kTls13Suites), "TLS 1.3 cipher suites");
    check_openssl(SSL_CTX_set1_groups_list(ctx.get(), "X25519:P-256:P-384") == 1 ? 1 : 0,
                  "TLS groups");

    const std::string chain = options.certificate_chain.string();
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), chain.c_str()) != 1) {
        throw_openssl_error("TLS certificate chain " + chain);
    }
    if (SSL_CTX_use_PrivateKey(ctx.get(), options.private_key.get()) != 1) {
        throw_openssl_error("TLS private key");
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1) {
        throw_openssl_error("TLS private key does not match the certificate " + chain);
    }

    if (options.client_ca) {
        const std::string ca = options.client_ca->string();
        if (SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1) {
            throw_openssl_error("TLS client CA " + ca);
        }
        // The names sent in the CertificateRequest, so a client picks the right certificate.
        STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str());
        if (names == nullptr)
            throw_openssl_error("TLS client CA names " + ca);
        SSL_CTX_set_client_CA_list(ctx.get(), names);
        int mode = SSL_VERIFY_PEER;
        if (options.require_client_certificate)
            mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        SSL_CTX_set_verify(ctx.get(), mode, nullptr);
        SSL_CTX_set_verify_depth(ctx.get(), 4);
        // Session resumption with client verification needs a context id (else OpenSSL fails
        // the resumed handshake).
        static constexpr unsigned char kSessionContext[] = "signet-api";
        check_openssl(
            SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof kSessionContext - 1),
            "TLS session id context");
    }
    return ctx;
}

}  // namespace signet::api
