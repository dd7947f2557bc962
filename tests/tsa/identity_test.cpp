// tsa::load_signing_identity: the TSA certificate, its HSM key and the CAs above it, as the
// ceremony recorded them; a revoked certificate and a loop in the CA records are refused.
#include "tsa/identity.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <boost/test/unit_test.hpp>
#include <map>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using signet::testing::expect_error;
using signet::testing::SoftHsm;

namespace {

// A self-signed certificate with a software key: only its DER's shape matters here.
Bytes certificate_der(const std::string& common_name) {
    EvpPkeyPtr key(EVP_EC_gen("P-256"));
    X509Ptr certificate(X509_new());
    BOOST_REQUIRE(key && certificate);
    X509_NAME* name = X509_get_subject_name(certificate.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(certificate.get(), name);
    X509_gmtime_adj(X509_getm_notBefore(certificate.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 3600);
    X509_set_pubkey(certificate.get(), key.get());
    BOOST_REQUIRE(X509_sign(certificate.get(), key.get(), EVP_sha256()) > 0);
    const int size = i2d_X509(certificate.get(), nullptr);
    Bytes der(static_cast<std::size_t>(size));
    unsigned char* p = der.data();
    i2d_X509(certificate.get(), &p);
    return der;
}

// The records a ceremony leaves, held in memory.
class Records final : public store::CertificateReader {
  public:
    std::optional<store::CertificateRecord> tsa;
    std::map<std::string, store::CaRecord, std::less<>> cas;

    std::optional<store::CertificateRecord> find(ByteView) override { return std::nullopt; }
    std::vector<store::CertificateRecord> search(const store::CertificateQuery&) override {
        return {};
    }
    std::optional<store::CaRecord> find_ca(std::string_view name) override {
        const auto it = cas.find(name);
        return it == cas.end() ? std::nullopt : std::optional(it->second);
    }
    std::vector<store::CaRecord> list_cas() override { return {}; }
    std::optional<store::CertificateRecord> find_service(std::string_view role) override {
        return role == "tsa" ? tsa : std::nullopt;
    }
    std::optional<store::CrlRecord> latest_crl(std::string_view) override { return std::nullopt; }
    std::int64_t count_revoked(std::string_view, Clock::time_point) override { return 0; }

    void add_ca(const std::string& name, const std::string& role,
                std::optional<std::string> parent) {
        store::CaRecord ca;
        ca.name = name;
        ca.role = role;
        ca.parent = std::move(parent);
        ca.certificate = certificate_der(name);
        cas[name] = ca;
    }
};

Records ceremony_records() {
    Records records;
    records.add_ca("root", "root", std::nullopt);
    records.add_ca("issuing", "issuing", "root");
    store::CertificateRecord tsa;
    tsa.serial = Bytes{0x01, 0x02};
    tsa.issuer_ca = "issuing";
    tsa.status = "issued";
    tsa.key_label = "tsa-key";
    tsa.der = certificate_der("TSA");
    records.tsa = tsa;
    return records;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tsa_identity)

BOOST_AUTO_TEST_CASE(the_identity_holds_the_certificate_its_hsm_key_and_the_cas_below_the_root) {
    auto token = SoftHsm::instance().open_new_token("identity");
    token->generate_key(KeyType::ec_p256, "tsa-key");
    Records records = ceremony_records();
    const auto identity = tsa::load_signing_identity(records, *token, "tsa");
    BOOST_REQUIRE(identity.has_value());
    BOOST_CHECK(identity->certificate != nullptr);
    BOOST_CHECK(identity->key != nullptr);
    BOOST_REQUIRE_EQUAL(identity->chain.size(), 1u);  // the issuing CA; never the root

    records.tsa.reset();
    BOOST_CHECK(!tsa::load_signing_identity(records, *token, "tsa").has_value());
}

BOOST_AUTO_TEST_CASE(a_revoked_tsa_certificate_signs_nothing) {
    auto token = SoftHsm::instance().open_new_token("identity-revoked");
    token->generate_key(KeyType::ec_p256, "tsa-key");
    Records records = ceremony_records();
    records.tsa->status = "revoked";
    expect_error([&] { tsa::load_signing_identity(records, *token, "tsa"); },
                 Errc::failed_precondition, "is revoked");
}

BOOST_AUTO_TEST_CASE(a_loop_in_the_ca_records_is_refused_not_followed_for_ever) {
    auto token = SoftHsm::instance().open_new_token("identity-loop");
    token->generate_key(KeyType::ec_p256, "tsa-key");
    Records records = ceremony_records();
    records.cas["issuing"].parent = "issuing";  // its own parent: no root is ever reached
    expect_error([&] { tsa::load_signing_identity(records, *token, "tsa"); },
                 Errc::failed_precondition, "a loop in the CA records");
}

BOOST_AUTO_TEST_SUITE_END()
