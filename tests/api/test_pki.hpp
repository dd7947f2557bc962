#pragma once
// A test PKI for the HTTP server's tests: a CA, a server certificate for 127.0.0.1, client
// certificates (one from another CA). Software keys, made once per test process.

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>

#include "api/auth.hpp"
#include "common/handle.hpp"
#include "tests/support/process.hpp"

namespace signet::api::testkit {

using signet::testing::TempDir;

// A test PKI: a CA, a server certificate for 127.0.0.1, client certificates. Software keys.

inline EvpPkeyPtr make_ec_key() {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    BOOST_REQUIRE(key);
    return key;
}

enum class CertKind { ca, server, client };

inline void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
    BOOST_REQUIRE(ext != nullptr);
    BOOST_REQUIRE_EQUAL(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

inline X509Ptr make_certificate(const std::string& common_name, EVP_PKEY* key, CertKind kind,
                                X509* issuer_cert, EVP_PKEY* issuer_key) {
    static long serial = 1;
    X509Ptr cert(X509_new());
    BOOST_REQUIRE(cert);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509* issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer));
    X509_set_pubkey(cert.get(), key);
    switch (kind) {
        case CertKind::ca:
            add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE");
            add_extension(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
            add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
            break;
        case CertKind::server:
            add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
            add_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
            add_extension(cert.get(), issuer, NID_ext_key_usage, "serverAuth");
            add_extension(cert.get(), issuer, NID_subject_alt_name, "IP:127.0.0.1");
            break;
        case CertKind::client:
            add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
            add_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
            add_extension(cert.get(), issuer, NID_ext_key_usage, "clientAuth");
            break;
    }
    BOOST_REQUIRE(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) >
                  0);
    return cert;
}

inline std::string to_pem(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE_EQUAL(PEM_write_bio_X509(bio.get(), cert), 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

inline std::string to_pem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE_EQUAL(
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

struct ClientIdentity {
    std::filesystem::path certificate;
    std::filesystem::path key;
    Sha256Digest fingerprint{};
};

class TestPki {
  public:
    static const TestPki& instance() {
        static TestPki pki;
        return pki;
    }

    std::filesystem::path ca_certificate;
    std::filesystem::path server_chain;  // server certificate, then the CA
    EvpPkeyPtr server_key;
    ClientIdentity signer;    // scope contracts:sign and contracts:read
    ClientIdentity reader;    // scope contracts:read only
    ClientIdentity stranger;  // issued by the CA, but no API client
    ClientIdentity foreign;   // issued by another CA

    // A server certificate for 127.0.0.1 for `key` (e.g. an HSM key), written as a chain file.
    std::filesystem::path issue_server_chain(EVP_PKEY* key, const std::string& name) const {
        X509Ptr cert =
            make_certificate("127.0.0.1", key, CertKind::server, ca_cert_.get(), ca_key_.get());
        const auto path = dir_ / (name + "-chain.pem");
        signet::testing::write_file(path, to_pem(cert.get()) + to_pem(ca_cert_.get()));
        return path;
    }

    EvpPkeyPtr server_key_copy() const {
        EVP_PKEY_up_ref(server_key.get());
        return EvpPkeyPtr(server_key.get());
    }

  private:
    TestPki() : dir_("signet-api-pki") {
        ca_key_ = make_ec_key();
        ca_cert_ =
            make_certificate("Signet Test CA", ca_key_.get(), CertKind::ca, nullptr, nullptr);
        ca_certificate = dir_ / "ca.pem";
        signet::testing::write_file(ca_certificate, to_pem(ca_cert_.get()));

        server_key = make_ec_key();
        X509Ptr server = make_certificate("127.0.0.1", server_key.get(), CertKind::server,
                                          ca_cert_.get(), ca_key_.get());
        server_chain = dir_ / "server-chain.pem";
        signet::testing::write_file(server_chain, to_pem(server.get()) + to_pem(ca_cert_.get()));

        signer = make_client("signer", ca_cert_.get(), ca_key_.get());
        reader = make_client("reader", ca_cert_.get(), ca_key_.get());
        stranger = make_client("stranger", ca_cert_.get(), ca_key_.get());
        EvpPkeyPtr other_ca_key = make_ec_key();
        X509Ptr other_ca =
            make_certificate("Other CA", other_ca_key.get(), CertKind::ca, nullptr, nullptr);
        foreign = make_client("foreign", other_ca.get(), other_ca_key.get());
    }

    ClientIdentity make_client(const std::string& name, X509* issuer, EVP_PKEY* issuer_key) {
        EvpPkeyPtr key = make_ec_key();
        X509Ptr cert = make_certificate(name, key.get(), CertKind::client, issuer, issuer_key);
        ClientIdentity identity;
        identity.certificate = dir_ / (name + ".pem");
        identity.key = dir_ / (name + ".key");
        signet::testing::write_file(identity.certificate, to_pem(cert.get()));
        signet::testing::write_file(identity.key, to_pem(key.get()));
        identity.fingerprint = certificate_sha256(cert.get());
        return identity;
    }

    TempDir dir_;
    EvpPkeyPtr ca_key_;
    X509Ptr ca_cert_;
};

}  // namespace signet::api::testkit
