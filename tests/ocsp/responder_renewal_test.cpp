// OCSP responder certificates on a real SoftHSM token and PostgreSQL, after a real key ceremony:
// renewal (once with two callers, the same HSM key, the ceremony's profile, within the CA's
// validity, verified by openssl as an OCSP signer under the chain) and the health verdict.
#include "ca/responder_renewal.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <thread>

#include "ca/ceremony.hpp"
#include "ca/x509.hpp"
#include "ocsp/health.hpp"
#include "tests/ca/small_ca.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

// A root and two issuing CAs; "issuing" has a responder valid 20 days (inside the default
// 30-day renewal window), "bare" none.
policy::Ceremony ceremony(const std::filesystem::path& dir) {
    policy::Ceremony c = small_ceremony(dir);
    policy::CeremonyCa& issuing = c.issuing_cas.front();
    issuing.validity_days = 200;
    issuing.ocsp_responder = policy::CeremonyCertificate{
        "CN=Test Issuing OCSP,O=Signet Tests,C=CN", 20, {"ocsp-issuing", KeyType::ec_p256}};
    policy::CeremonyCa bare = issuing;
    bare.name = "bare";
    bare.subject = "CN=Test Bare,O=Signet Tests,C=CN";
    bare.key = {"bare", KeyType::ec_p256};
    bare.ocsp_responder.reset();
    c.issuing_cas.push_back(bare);
    return c;
}

struct Fixture {
    TempDir dir;
    std::shared_ptr<hsm::Token> token = SoftHsm::instance().open_new_token("ocsp");
    store::Database database{
        {.dsn = TestCluster::instance().migrated_database("ocsp_renewal"), .pool_size = 6}};
    ManualClock clock{std::chrono::system_clock::now()};
    audit::PostgresAuditLog audit{database, clock};
    store::PostgresCertificates certificates{database};
    policy::OcspSettings settings;

    Fixture() {
        ca::run_ceremony(ceremony(dir.path()), {}, *token, database, certificates, audit, clock,
                         "operator:test");
    }
    ca::ResponderRenewal renewal() {
        return {*token, database, certificates, audit, clock, settings, "signetd:test"};
    }
    std::int64_t events(const std::string& type) {
        return database.with_connection([&](store::Connection& c) {
            return c
                .exec(
                    "SELECT (SELECT count(*) FROM audit_events WHERE event_type = $1) + "
                    "(SELECT count(*) FROM audit_outbox WHERE event_type = $1)",
                    {type})
                .one()[0]
                .int64();
        });
    }
    std::string pem(const Bytes& der, const std::string& name) {
        const auto certificate = ca::certificate_from_der(der);
        const auto path = dir.path() / (name + ".pem");
        BioPtr bio(BIO_new_file(path.c_str(), "w"));
        BOOST_REQUIRE(bio && PEM_write_bio_X509(bio.get(), certificate.get()) == 1);
        return path.string();
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(responder_renewal)

BOOST_AUTO_TEST_CASE(an_expiring_responder_is_renewed_once_for_the_same_key_with_two_callers) {
    Fixture f;
    const auto before = f.certificates.find_service("ocsp:issuing");
    BOOST_REQUIRE(before.has_value());
    const auto verdict = ocsp::assess_health(f.certificates, f.clock, f.settings);
    BOOST_CHECK(!verdict.ok);
    BOOST_TEST_MESSAGE("before: " << verdict.detail);
    BOOST_CHECK_NE(verdict.detail.find("'issuing'"), std::string::npos);
    BOOST_CHECK_NE(verdict.detail.find("has not been renewed"), std::string::npos);
    BOOST_CHECK_NE(verdict.detail.find("'bare' has no OCSP responder"), std::string::npos);

    // Two callers at once (two nodes): one renews, the other finds the lock taken or the
    // certificate already renewed.
    std::vector<std::string> renewed[2];
    {
        std::jthread a([&] { renewed[0] = ca::renew_ocsp_responders(f.renewal()); });
        std::jthread b([&] { renewed[1] = ca::renew_ocsp_responders(f.renewal()); });
    }
    BOOST_CHECK_EQUAL(renewed[0].size() + renewed[1].size(), 1u);
    BOOST_CHECK_EQUAL(f.events("ocsp.responder_renewed"), 1);
    BOOST_CHECK(ca::renew_ocsp_responders(f.renewal()).empty());

    const auto after = f.certificates.find_service("ocsp:issuing");
    BOOST_REQUIRE(after.has_value());
    BOOST_CHECK(after->serial != before->serial);
    BOOST_CHECK_EQUAL(after->key_label.value_or(""), "ocsp-issuing");
    BOOST_CHECK(after->public_key == before->public_key);
    BOOST_CHECK_EQUAL(after->purpose, "ocsp");
    BOOST_CHECK_EQUAL(after->subject_dn, before->subject_dn);
    // 365 days asked, capped at the CA's notAfter (200 days).
    const auto issuing_ca = f.certificates.find_ca("issuing");
    const auto ca_row = f.certificates.find(issuing_ca->serial);
    BOOST_CHECK(after->not_after == ca_row->not_after);

    // The ceremony's profile: OCSPSigning, ocsp-nocheck, no AIA or CRL DP.
    const auto certificate = ca::certificate_from_der(*after->der);
    BOOST_CHECK(X509_get_extension_flags(certificate.get()) & EXFLAG_XKUSAGE);
    BOOST_CHECK(X509_get_extended_key_usage(certificate.get()) & XKU_OCSP_SIGN);
    BOOST_CHECK_GE(X509_get_ext_by_NID(certificate.get(), NID_id_pkix_OCSP_noCheck, -1), 0);
    BOOST_CHECK_LT(X509_get_ext_by_NID(certificate.get(), NID_info_access, -1), 0);
    BOOST_CHECK_LT(X509_get_ext_by_NID(certificate.get(), NID_crl_distribution_points, -1), 0);

    // openssl verifies it as an OCSP signer under the chain.
    const auto root = f.pem(f.certificates.find_ca("root")->certificate, "root");
    const auto issuing = f.pem(issuing_ca->certificate, "issuing");
    const auto responder = f.pem(*after->der, "responder");
    const auto v = run_command({"openssl", "verify", "-x509_strict", "-purpose", "ocsphelper",
                                "-CAfile", root, "-untrusted", issuing, responder});
    BOOST_CHECK_MESSAGE(v.exit_code == 0, v.output);

    // Health: the issuing CA is fine now; "bare" still has none.
    const auto later = ocsp::assess_health(f.certificates, f.clock, f.settings);
    BOOST_CHECK(!later.ok);
    BOOST_CHECK_EQUAL(later.detail.find("'issuing'"), std::string::npos);
    BOOST_CHECK_NE(later.detail.find("'bare'"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(health_names_a_responder_expiring_unrenewed_then_expired) {
    Fixture f;
    f.settings.responder_renew_before = std::chrono::days(5);
    // 20 days left: only "bare" (no responder at all) is a problem.
    auto verdict = ocsp::assess_health(f.certificates, f.clock, f.settings);
    BOOST_CHECK(!verdict.ok);
    BOOST_CHECK_EQUAL(verdict.detail, "CA 'bare' has no OCSP responder certificate");
    f.clock.advance(std::chrono::days(16));
    verdict = ocsp::assess_health(f.certificates, f.clock, f.settings);
    BOOST_CHECK_NE(verdict.detail.find("'issuing': its OCSP responder certificate expires at"),
                   std::string::npos);
    BOOST_CHECK_NE(verdict.detail.find("has not been renewed"), std::string::npos);
    f.clock.advance(std::chrono::days(5));
    verdict = ocsp::assess_health(f.certificates, f.clock, f.settings);
    BOOST_CHECK_NE(verdict.detail.find("'issuing': its OCSP responder certificate expired at"),
                   std::string::npos);
    // An expired one is renewed too (the same key), and the CA is healthy again.
    BOOST_CHECK(ca::renew_ocsp_responders(f.renewal()) == std::vector<std::string>{"issuing"});
    verdict = ocsp::assess_health(f.certificates, f.clock, f.settings);
    BOOST_CHECK_EQUAL(verdict.detail, "CA 'bare' has no OCSP responder certificate");
}

BOOST_AUTO_TEST_SUITE_END()
