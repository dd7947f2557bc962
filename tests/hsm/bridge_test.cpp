// The OpenSSL bridge: OpenSSL's own APIs sign with keys that stay in a real SoftHSM token, and the
// openssl command-line tool, which knows nothing of Signet, verifies what they produced.
#include "hsm/bridge.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/test/unit_test.hpp>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "hsm/token.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using namespace signet::hsm;
using signet::testing::run_command;
using signet::testing::SoftHsm;
using signet::testing::TempDir;
using signet::testing::write_file;

namespace {

// One way of signing: a key type and, for RSA, the padding.
struct Scheme {
    const char* name;
    KeyType type;
    bool pss;
    const char* digest;
};

const Scheme kSchemes[] = {
    {"ec-p256", KeyType::ec_p256, false, "SHA256"},
    {"ec-p384", KeyType::ec_p384, false, "SHA384"},
    {"rsa-2048-pkcs1", KeyType::rsa_2048, false, "SHA256"},
    {"rsa-2048-pss", KeyType::rsa_2048, true, "SHA512"},
};

// One token for the whole file: keys are made once per scheme.
struct BridgeKeys {
    std::shared_ptr<Token> token = SoftHsm::instance().open_new_token("bridge");
    std::map<std::string, std::shared_ptr<const Signer>> signers;

    EvpPkeyPtr key(const Scheme& scheme) {
        auto& signer = signers[scheme.name];
        if (!signer)
            signer = token->generate_key(scheme.type, scheme.name);
        return bridge_key(signer);
    }
};

BridgeKeys& keys() {
    static BridgeKeys k;
    return k;
}

// EVP_DigestSign of a short message with SHA-256: its result.
int digest_sign_once(EVP_PKEY* key) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    BOOST_REQUIRE_EQUAL(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key), 1);
    unsigned char signature[128];
    std::size_t size = sizeof signature;
    const unsigned char message[] = "x";
    return EVP_DigestSign(ctx.get(), signature, &size, message, sizeof message);
}

// EVP_DigestSignInit with the scheme's digest and padding, for the *_sign_ctx APIs.
EvpMdCtxPtr signing_context(const Scheme& scheme, EVP_PKEY* key) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    BOOST_REQUIRE_EQUAL(
        EVP_DigestSignInit_ex(ctx.get(), &pctx, scheme.digest, nullptr, nullptr, key, nullptr), 1);
    if (scheme.pss) {
        BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
    }
    return ctx;
}

void add_extension(X509* cert, int nid, const char* value) {
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value));
    BOOST_REQUIRE(ext);
    BOOST_REQUIRE_EQUAL(X509_add_ext(cert, ext.get(), -1), 1);
}

X509Ptr self_signed(const Scheme& scheme, EVP_PKEY* key, const std::string& cn) {
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 4242);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    // The public key goes through OpenSSL's encoders: the bridge exports the public half.
    BOOST_REQUIRE_EQUAL(X509_set_pubkey(cert.get(), key), 1);
    add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign");
    add_extension(cert.get(), NID_subject_key_identifier, "hash");
    auto ctx = signing_context(scheme, key);
    BOOST_REQUIRE_GT(X509_sign_ctx(cert.get(), ctx.get()), 0);
    return cert;
}

std::string to_pem(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(size)};
}

// PEM text of whatever `write` puts into a memory BIO.
template <class Write>
std::string pem_of(Write write) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE_EQUAL(write(bio.get()), 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(size)};
}

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

std::string provider_of(EVP_PKEY* key) {
    const OSSL_PROVIDER* provider = EVP_PKEY_get0_provider(key);
    return provider != nullptr ? OSSL_PROVIDER_get0_name(provider) : "legacy";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bridge)

BOOST_AUTO_TEST_CASE(bridge_keys_belong_to_the_provider_and_plain_keys_do_not) {
    auto key = keys().key(kSchemes[0]);
    BOOST_CHECK_EQUAL(provider_of(key.get()), "signet-hsm");
    BOOST_CHECK(EVP_PKEY_is_a(key.get(), "EC"));
    BOOST_CHECK_EQUAL(EVP_PKEY_get_bits(key.get()), 256);

    // With the bridge installed, ordinary OpenSSL keys still come from the default provider and
    // still sign and verify.
    EvpPkeyPtr plain(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    BOOST_REQUIRE(plain);
    BOOST_CHECK_EQUAL(provider_of(plain.get()), "default");
    EvpPkeyPtr plain_rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
    BOOST_REQUIRE(plain_rsa);
    BOOST_CHECK_EQUAL(provider_of(plain_rsa.get()), "default");
    const unsigned char message[] = "plain";
    unsigned char signature[256];
    std::size_t size = sizeof signature;
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    BOOST_REQUIRE_EQUAL(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, plain.get()),
                        1);
    BOOST_REQUIRE_EQUAL(EVP_DigestSign(ctx.get(), signature, &size, message, sizeof message), 1);
    EvpMdCtxPtr vctx(EVP_MD_CTX_new());
    BOOST_REQUIRE_EQUAL(
        EVP_DigestVerifyInit(vctx.get(), nullptr, EVP_sha256(), nullptr, plain.get()), 1);
    BOOST_CHECK_EQUAL(EVP_DigestVerify(vctx.get(), signature, size, message, sizeof message), 1);

    // A public key decoded from DER is a default-provider key too.
    unsigned char* der = nullptr;
    const int der_size = i2d_PUBKEY(key.get(), &der);
    BOOST_REQUIRE_GT(der_size, 0);
    const unsigned char* p = der;
    EvpPkeyPtr decoded(d2i_PUBKEY(nullptr, &p, der_size));
    OPENSSL_free(der);
    BOOST_REQUIRE(decoded);
    BOOST_CHECK_EQUAL(provider_of(decoded.get()), "default");
    BOOST_CHECK_EQUAL(EVP_PKEY_eq(decoded.get(), key.get()), 1);
}

BOOST_AUTO_TEST_CASE(digest_sign_verifies_with_the_public_key) {
    for (const Scheme& scheme : kSchemes) {
        BOOST_TEST_CONTEXT(scheme.name) {
            auto key = keys().key(scheme);
            const std::string message = "a contract to sign";
            auto ctx = signing_context(scheme, key.get());
            std::size_t size = 0;
            BOOST_REQUIRE_EQUAL(
                EVP_DigestSign(ctx.get(), nullptr, &size,
                               reinterpret_cast<const unsigned char*>(message.data()),
                               message.size()),
                1);
            Bytes signature(size);
            BOOST_REQUIRE_EQUAL(
                EVP_DigestSign(ctx.get(), signature.data(), &size,
                               reinterpret_cast<const unsigned char*>(message.data()),
                               message.size()),
                1);
            signature.resize(size);

            // Verify with the default provider and the signer's own public key.
            EVP_PKEY* public_key = keys().signers[scheme.name]->public_key();
            EvpMdCtxPtr vctx(EVP_MD_CTX_new());
            EVP_PKEY_CTX* pctx = nullptr;
            BOOST_REQUIRE_EQUAL(EVP_DigestVerifyInit_ex(vctx.get(), &pctx, scheme.digest, nullptr,
                                                        "provider=default", public_key, nullptr),
                                1);
            if (scheme.pss) {
                EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
            }
            BOOST_CHECK_EQUAL(
                EVP_DigestVerify(vctx.get(), signature.data(), signature.size(),
                                 reinterpret_cast<const unsigned char*>(message.data()),
                                 message.size()),
                1);
        }
    }
}

BOOST_AUTO_TEST_CASE(self_signed_certificate_and_crl_pass_openssl_verify) {
    for (const Scheme& scheme : kSchemes) {
        BOOST_TEST_CONTEXT(scheme.name) {
            TempDir dir;
            auto key = keys().key(scheme);
            X509Ptr cert =
                self_signed(scheme, key.get(), std::string("Signet test CA ") + scheme.name);
            write_file(dir / "ca.pem", to_pem(cert.get()));
            BOOST_CHECK_EQUAL(X509_check_private_key(cert.get(), key.get()), 1);

            auto verify = run_command({"openssl", "verify", "-CAfile", (dir / "ca.pem").string(),
                                       (dir / "ca.pem").string()});
            BOOST_TEST_MESSAGE(verify.output);
            BOOST_CHECK_EQUAL(verify.exit_code, 0);
            BOOST_CHECK(contains(verify.output, ": OK"));
            if (scheme.pss) {
                auto text = run_command(
                    {"openssl", "x509", "-in", (dir / "ca.pem").string(), "-noout", "-text"});
                BOOST_CHECK(contains(text.output, "rsassaPss"));
                BOOST_CHECK(contains(text.output, "Salt Length: 0x40"));
            }

            // A v2 CRL with one revoked serial, signed through the bridge.
            X509CrlPtr crl(X509_CRL_new());
            X509_CRL_set_version(crl.get(), 1);
            X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(cert.get()));
            Asn1TimePtr now(ASN1_TIME_adj(nullptr, time(nullptr), 0, 0));
            Asn1TimePtr next(ASN1_TIME_adj(nullptr, time(nullptr), 1, 0));
            X509_CRL_set1_lastUpdate(crl.get(), now.get());
            X509_CRL_set1_nextUpdate(crl.get(), next.get());
            X509_REVOKED* revoked = X509_REVOKED_new();
            Asn1IntegerPtr serial(ASN1_INTEGER_new());
            ASN1_INTEGER_set(serial.get(), 77);
            X509_REVOKED_set_serialNumber(revoked, serial.get());
            X509_REVOKED_set_revocationDate(revoked, now.get());
            X509_CRL_add0_revoked(crl.get(), revoked);
            X509_CRL_sort(crl.get());
            auto ctx = signing_context(scheme, key.get());
            BOOST_REQUIRE_GT(X509_CRL_sign_ctx(crl.get(), ctx.get()), 0);
            write_file(dir / "crl.pem",
                       pem_of([&](BIO* b) { return PEM_write_bio_X509_CRL(b, crl.get()); }));
            auto crl_verify = run_command({"openssl", "crl", "-in", (dir / "crl.pem").string(),
                                           "-CAfile", (dir / "ca.pem").string(), "-noout"});
            BOOST_TEST_MESSAGE(crl_verify.output);
            BOOST_CHECK_EQUAL(crl_verify.exit_code, 0);
            BOOST_CHECK(contains(crl_verify.output, "verify OK"));
            // And the CA with its own CRL passes a CRL-checked verification.
            auto crl_check = run_command({"openssl", "verify", "-crl_check", "-CAfile",
                                          (dir / "ca.pem").string(), "-CRLfile",
                                          (dir / "crl.pem").string(), (dir / "ca.pem").string()});
            BOOST_CHECK_EQUAL(crl_check.exit_code, 0);
        }
    }
}

BOOST_AUTO_TEST_CASE(certificate_request_passes_openssl_req_verify) {
    for (const Scheme& scheme : kSchemes) {
        BOOST_TEST_CONTEXT(scheme.name) {
            TempDir dir;
            auto key = keys().key(scheme);
            X509ReqPtr req(X509_REQ_new());
            X509_NAME* name = X509_REQ_get_subject_name(req.get());
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>("csr"), -1, -1, 0);
            BOOST_REQUIRE_EQUAL(X509_REQ_set_pubkey(req.get(), key.get()), 1);
            auto ctx = signing_context(scheme, key.get());
            BOOST_REQUIRE_GT(X509_REQ_sign_ctx(req.get(), ctx.get()), 0);
            write_file(dir / "req.pem",
                       pem_of([&](BIO* b) { return PEM_write_bio_X509_REQ(b, req.get()); }));
            auto verify = run_command(
                {"openssl", "req", "-in", (dir / "req.pem").string(), "-verify", "-noout"});
            BOOST_TEST_MESSAGE(verify.output);
            BOOST_CHECK_EQUAL(verify.exit_code, 0);
            BOOST_CHECK(contains(verify.output, "verify OK"));
        }
    }
}

BOOST_AUTO_TEST_CASE(cms_signature_passes_openssl_cms_verify) {
    for (const Scheme& scheme : kSchemes) {
        for (bool detached : {true, false}) {
            BOOST_TEST_CONTEXT(scheme.name << (detached ? " detached" : " attached")) {
                TempDir dir;
                auto key = keys().key(scheme);
                X509Ptr cert = self_signed(scheme, key.get(), "CMS signer");
                write_file(dir / "ca.pem", to_pem(cert.get()));
                const std::string content = "Contract 2026-11-22: the parties agree.\n";
                write_file(dir / "content.txt", content);

                BioPtr data(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
                const unsigned int flags = CMS_BINARY | CMS_PARTIAL | (detached ? CMS_DETACHED : 0);
                CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
                BOOST_REQUIRE(cms);
                const EVP_MD* md = EVP_get_digestbyname(scheme.digest);
                CMS_SignerInfo* si = CMS_add1_signer(cms.get(), cert.get(), key.get(), md,
                                                     CMS_BINARY | CMS_KEY_PARAM);
                BOOST_REQUIRE(si != nullptr);
                if (scheme.pss) {
                    EVP_PKEY_CTX* pctx = CMS_SignerInfo_get0_pkey_ctx(si);
                    BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING),
                                        1);
                    BOOST_REQUIRE_EQUAL(
                        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
                }
                BOOST_REQUIRE_EQUAL(CMS_final(cms.get(), data.get(), nullptr, CMS_BINARY), 1);
                write_file(dir / "sig.pem", pem_of([&](BIO* b) {
                               return PEM_write_bio_CMS_stream(b, cms.get(), nullptr, 0);
                           }));

                std::vector<std::string> argv{"openssl", "cms",
                                              "-verify", "-binary",
                                              "-inform", "PEM",
                                              "-in",     (dir / "sig.pem").string(),
                                              "-CAfile", (dir / "ca.pem").string(),
                                              "-out",    (dir / "out.txt").string()};
                if (detached)
                    argv.insert(argv.end(), {"-content", (dir / "content.txt").string()});
                auto verify = run_command(argv);
                BOOST_TEST_MESSAGE(verify.output);
                BOOST_CHECK_EQUAL(verify.exit_code, 0);
                BOOST_CHECK(contains(verify.output, "Verification successful"));
                BOOST_CHECK_EQUAL(signet::testing::read_file(dir / "out.txt"), content);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(ocsp_response_signed_through_the_bridge_verifies) {
    for (const Scheme& scheme : kSchemes) {
        BOOST_TEST_CONTEXT(scheme.name) {
            auto key = keys().key(scheme);
            X509Ptr cert = self_signed(scheme, key.get(), "OCSP responder");
            OcspBasicRespPtr basic(OCSP_BASICRESP_new());
            OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), cert.get(), cert.get());
            Asn1TimePtr now(ASN1_TIME_adj(nullptr, time(nullptr), 0, 0));
            BOOST_REQUIRE(OCSP_basic_add1_status(basic.get(), id, V_OCSP_CERTSTATUS_GOOD, 0,
                                                 nullptr, now.get(), nullptr));
            OCSP_CERTID_free(id);
            auto ctx = signing_context(scheme, key.get());
            BOOST_REQUIRE_EQUAL(OCSP_basic_sign_ctx(basic.get(), cert.get(), ctx.get(), nullptr, 0),
                                1);

            // OpenSSL's verification: the responder is the trusted CA itself.
            X509StorePtr store(X509_STORE_new());
            X509_STORE_add_cert(store.get(), cert.get());
            X509StackPtr certs(sk_X509_new_null());
            X509_up_ref(cert.get());
            sk_X509_push(certs.get(), cert.get());
            const int verified = OCSP_basic_verify(basic.get(), certs.get(), store.get(), 0);
            if (verified != 1) {
                try {
                    throw_openssl_error("OCSP_basic_verify");
                } catch (const Error& e) {
                    BOOST_ERROR(e.what());
                }
            }
        }
    }
}

namespace {

// A TLS server on 127.0.0.1 whose private key is the bridge key; answers one connection.
struct TlsServer {
    int listener = -1;
    std::uint16_t port = 0;
    std::thread thread;
    std::string error;

    TlsServer(SSL_CTX* ctx) {
        listener = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE_EQUAL(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        BOOST_REQUIRE_EQUAL(listen(listener, 1), 0);
        socklen_t len = sizeof addr;
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
        thread = std::thread([this, ctx] {
            const int fd = accept(listener, nullptr, nullptr);
            SslPtr ssl(SSL_new(ctx));
            SSL_set_fd(ssl.get(), fd);
            if (SSL_accept(ssl.get()) == 1) {
                SSL_write(ssl.get(), "hello", 5);
                SSL_shutdown(ssl.get());
            } else {
                char buf[256];
                ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
                error = buf;
                ERR_clear_error();
            }
            close(fd);
        });
    }
    ~TlsServer() {
        if (thread.joinable())
            thread.join();
        close(listener);
    }
};

// Connects with OpenSSL (default provider), trusting only `ca_pem`; returns what the server said.
std::string tls_client(std::uint16_t port, const std::string& ca_pem, int version) {
    SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_min_proto_version(ctx.get(), version);
    SSL_CTX_set_max_proto_version(ctx.get(), version);
    BioPtr bio(BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size())));
    X509Ptr ca(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca.get());
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    BOOST_REQUIRE_EQUAL(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    SslPtr ssl(SSL_new(ctx.get()));
    SSL_set_fd(ssl.get(), fd);
    std::string received;
    if (SSL_connect(ssl.get()) == 1 && SSL_get_verify_result(ssl.get()) == X509_V_OK) {
        char buf[16];
        const int n = SSL_read(ssl.get(), buf, sizeof buf);
        if (n > 0)
            received.assign(buf, static_cast<std::size_t>(n));
    }
    ERR_clear_error();
    close(fd);
    return received;
}

}  // namespace

BOOST_AUTO_TEST_CASE(tls_handshake_with_the_server_key_in_the_hsm) {
    for (const Scheme& scheme : kSchemes) {
        for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
            BOOST_TEST_CONTEXT(scheme.name
                               << (version == TLS1_3_VERSION ? " TLS 1.3" : " TLS 1.2")) {
                auto key = keys().key(scheme);
                X509Ptr cert = self_signed(scheme, key.get(), "localhost");
                SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
                SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
                BOOST_REQUIRE_EQUAL(SSL_CTX_use_certificate(ctx.get(), cert.get()), 1);
                BOOST_REQUIRE_EQUAL(SSL_CTX_use_PrivateKey(ctx.get(), key.get()), 1);
                BOOST_REQUIRE_EQUAL(SSL_CTX_check_private_key(ctx.get()), 1);
                TlsServer server(ctx.get());
                BOOST_CHECK_EQUAL(tls_client(server.port, to_pem(cert.get()), version), "hello");
                server.thread.join();
                BOOST_CHECK_MESSAGE(server.error.empty(), server.error);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(check_private_key_refuses_another_certificate) {
    auto ec = keys().key(kSchemes[0]);
    auto rsa = keys().key(kSchemes[2]);
    X509Ptr ec_cert = self_signed(kSchemes[0], ec.get(), "ec");
    BOOST_CHECK_EQUAL(X509_check_private_key(ec_cert.get(), ec.get()), 1);
    BOOST_CHECK_NE(X509_check_private_key(ec_cert.get(), rsa.get()), 1);
    // Another EC key of the same curve does not match either.
    EvpPkeyPtr other(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    BOOST_CHECK_NE(X509_check_private_key(ec_cert.get(), other.get()), 1);
    clear_openssl_errors();
}

BOOST_AUTO_TEST_CASE(unsupported_requests_fail_cleanly) {
    auto ec = keys().key(kSchemes[0]);
    auto rsa = keys().key(kSchemes[2]);
    // SHA-1 is refused, with a reason on the error queue.
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    BOOST_CHECK_LE(
        EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA1", nullptr, nullptr, ec.get(), nullptr), 0);
    BOOST_CHECK_NE(ERR_peek_error(), 0u);
    try {
        throw_openssl_error("sha1");
    } catch (const Error& e) {
        BOOST_TEST_MESSAGE(e.what());
        BOOST_CHECK_MESSAGE(contains(e.what(), "SHA1"), e.what());
    }
    // RSA padding on an EC key; a PSS salt length the HSM does not use.
    EvpMdCtxPtr ec_ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    BOOST_REQUIRE_EQUAL(
        EVP_DigestSignInit_ex(ec_ctx.get(), &pctx, "SHA256", nullptr, nullptr, ec.get(), nullptr),
        1);
    BOOST_CHECK_LE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 0);
    EvpMdCtxPtr rsa_ctx(EVP_MD_CTX_new());
    BOOST_REQUIRE_EQUAL(
        EVP_DigestSignInit_ex(rsa_ctx.get(), &pctx, "SHA256", nullptr, nullptr, rsa.get(), nullptr),
        1);
    BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
    BOOST_CHECK_LE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20), 0);
    clear_openssl_errors();
    // A public-only key (as EVP_PKEY_eq imports one) cannot sign.
    BOOST_CHECK_THROW(bridge_key(nullptr), Error);
}

BOOST_AUTO_TEST_CASE(a_foreign_signer_parameter_is_refused_not_dereferenced) {
    install_bridge();
    // Anyone in the process may call EVP_PKEY_fromdata on the bridge's key manager with any
    // parameters. A parameter that only carries the name bridge_key() uses (or the name it used
    // to use) must be refused without being taken for a pointer; ASan watches the attempt.
    std::array<unsigned char, 16> sixteen;
    sixteen.fill(0x41);  // the size a std::shared_ptr has: once taken for one
    std::array<unsigned char, 8> eight;
    eight.fill(0x42);
    char text[] = "0123456789abcdef";
    std::uint64_t unknown_id = 0x4141414141414141ULL;
    std::uint32_t narrow_id = 0x41414141U;
    for (const char* name : {kBridgeSignerParam, "signet-signer"}) {
        const std::vector<std::pair<std::string, OSSL_PARAM>> forgeries{
            {"16-byte octet string", OSSL_PARAM_construct_octet_string(name, sixteen.data(), 16)},
            {"8-byte octet string", OSSL_PARAM_construct_octet_string(name, eight.data(), 8)},
            {"UTF-8 string", OSSL_PARAM_construct_utf8_string(name, text, 0)},
            {"unknown id", OSSL_PARAM_construct_uint64(name, &unknown_id)},
            {"32-bit id", OSSL_PARAM_construct_uint32(name, &narrow_id)},
        };
        for (const auto& [what, forged] : forgeries) {
            for (const char* algorithm : {"EC", "RSA"}) {
                BOOST_TEST_CONTEXT(name << ": " << what << " for " << algorithm) {
                    EvpPkeyCtxPtr ctx(
                        EVP_PKEY_CTX_new_from_name(nullptr, algorithm, "provider=signet-hsm"));
                    BOOST_REQUIRE(ctx);
                    BOOST_REQUIRE_EQUAL(EVP_PKEY_fromdata_init(ctx.get()), 1);
                    std::array<OSSL_PARAM, 2> params{forged, OSSL_PARAM_construct_end()};
                    EVP_PKEY* key = nullptr;
                    BOOST_CHECK_LE(
                        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.data()), 0);
                    BOOST_CHECK(key == nullptr);
                    EVP_PKEY_free(key);
                    clear_openssl_errors();
                }
            }
        }
    }
    // The genuine hand-over still works.
    BOOST_CHECK_EQUAL(digest_sign_once(keys().key(kSchemes[0]).get()), 1);
}

BOOST_AUTO_TEST_CASE(signing_fails_cleanly_when_the_hsm_key_is_gone) {
    // The file's token: SoftHSM sees new tokens only at C_Initialize, and the module is loaded.
    auto& token = keys().token;
    auto signer = token->generate_key(KeyType::ec_p256, "doomed");
    auto key = bridge_key(signer);
    const auto& api = token->module().api();
    token->run([&](CK_SESSION_HANDLE s) {
        std::string label = "doomed";
        CK_ATTRIBUTE query{CKA_LABEL, label.data(), label.size()};
        api.C_FindObjectsInit(s, &query, 1);
        CK_OBJECT_HANDLE objects[4];
        CK_ULONG count = 0;
        api.C_FindObjects(s, objects, 4, &count);
        api.C_FindObjectsFinal(s);
        for (CK_ULONG i = 0; i < count; ++i)
            api.C_DestroyObject(s, objects[i]);
    });
    BOOST_CHECK_LE(digest_sign_once(key.get()), 0);
    try {
        throw_openssl_error("signing");
    } catch (const Error& e) {
        BOOST_TEST_MESSAGE(e.what());
        BOOST_CHECK(contains(e.what(), "signet-hsm"));
    }
}

BOOST_AUTO_TEST_SUITE_END()
