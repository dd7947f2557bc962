// The key ceremony's TLS server certificate, on a real SoftHSM token and a real PostgreSQL: what
// the certificate says, where its key lives, what is recorded, what openssl makes of it, and the
// refusals that leave everything as it was.
#include "ca/ceremony.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/test/unit_test.hpp>

#include "ca/service_purposes.hpp"
#include "ca/x509.hpp"
#include "common/error.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/process.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

// A root, an issuing CA and the TLS server certificate, each name and label with `tag` in it.
policy::Ceremony ceremony_with_tls_server(const std::filesystem::path& dir,
                                          const std::string& tag = "") {
    policy::Ceremony c;
    c.file = dir / "ceremony.yaml";
    c.output_dir = dir / ("out" + tag);
    c.root.name = "root" + tag;
    c.root.subject = "CN=Test Root,O=Signet Tests,C=CN";
    c.root.validity_days = 3650;
    c.root.key = {"root" + tag, KeyType::ec_p384};
    policy::CeremonyCa issuing;
    issuing.name = "issuing" + tag;
    issuing.subject = "CN=Test Issuing,O=Signet Tests,C=CN";
    issuing.validity_days = 730;
    issuing.path_length = 0;
    issuing.key = {"issuing" + tag, KeyType::ec_p256};
    issuing.crl_distribution_point = "http://127.0.0.1:8080/crl/issuing.crl";
    issuing.ca_issuers_url = "http://127.0.0.1:8080/ca/issuing.crt";
    c.issuing_cas.push_back(issuing);
    policy::CeremonyTlsServer tls;
    tls.issuer = issuing.name;
    tls.subject = "CN=localhost,O=Signet Tests,C=CN";
    tls.validity_days = 398;
    tls.key = {"tls-server" + tag, KeyType::ec_p256};
    tls.dns_names = {"localhost", "signet.test"};
    tls.ip_addresses = {"127.0.0.1", "::1"};
    c.tls_server = tls;
    return c;
}

struct Fixture {
    TempDir dir;
    std::shared_ptr<hsm::Token> token = SoftHsm::instance().open_new_token("ceremony");
    store::Database database{
        {.dsn = TestCluster::instance().migrated_database("ca_ceremony"), .pool_size = 4}};
    ManualClock clock{std::chrono::system_clock::now()};
    audit::PostgresAuditLog audit{database, clock};
    store::PostgresCertificates certificates{database};

    std::vector<ca::CeremonyResult> run(const policy::Ceremony& ceremony) {
        return ca::run_ceremony(ceremony, {}, *token, database, certificates, audit, clock,
                                "operator:test");
    }

    // Audit events of `type` about `object` (appended, or still in the outbox).
    std::int64_t events(const std::string& type, const std::string& object) {
        return database.with_connection([&](store::Connection& c) {
            return c
                .exec(
                    "SELECT (SELECT count(*) FROM audit_events WHERE event_type = $1 AND "
                    "object = $2) + (SELECT count(*) FROM audit_outbox WHERE event_type = $1 "
                    "AND object = $2)",
                    {type, object})
                .one()[0]
                .int64();
        });
    }

    std::int64_t count(const std::string& sql) {
        return database.with_connection(
            [&](store::Connection& c) { return c.exec(sql).one()[0].int64(); });
    }
};

// Each certificate of a PEM file, in order.
std::vector<X509Ptr> read_pem_chain(const std::filesystem::path& file) {
    const std::string pem = read_file(file);
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    std::vector<X509Ptr> chain;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        chain.emplace_back(cert);
    ERR_clear_error();  // the end of the file
    return chain;
}

std::string extension_text(X509* cert, int nid) {
    const int at = X509_get_ext_by_NID(cert, nid, -1);
    if (at < 0)
        return "(absent)";
    X509_EXTENSION* ext = X509_get_ext(cert, at);
    BioPtr bio(BIO_new(BIO_s_mem()));
    X509V3_EXT_print(bio.get(), ext, 0, 0);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    std::string text(data, static_cast<std::size_t>(size));
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    return (X509_EXTENSION_get_critical(ext) ? "critical " : "") + text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ca_ceremony)

BOOST_AUTO_TEST_CASE(the_tls_server_certificate_serves_its_hosts_with_its_issuers_chain) {
    Fixture f;
    const auto ceremony = ceremony_with_tls_server(f.dir.path());
    const auto results = f.run(ceremony);
    BOOST_REQUIRE_EQUAL(results.size(), 3u);
    const auto& tls = results.back();
    BOOST_CHECK_EQUAL(tls.role, "tls-server");
    BOOST_CHECK_EQUAL(tls.name, "tls-server");
    BOOST_CHECK_EQUAL(tls.pem, ceremony.output_dir / "tls-server.pem");

    // The PEM: the certificate, then the issuing CA's (the chain the listener serves).
    const auto chain = read_pem_chain(tls.pem);
    BOOST_REQUIRE_EQUAL(chain.size(), 2u);
    X509* leaf = chain[0].get();
    BOOST_CHECK(ca::certificate_der(chain[1].get()) ==
                ca::certificate_der(read_pem_chain(ceremony.output_dir / "issuing.pem")[0].get()));
    BOOST_CHECK_EQUAL(ca::sha256_fingerprint(leaf), tls.fingerprint_sha256);

    BOOST_CHECK_EQUAL(extension_text(leaf, NID_key_usage), "critical Digital Signature");
    BOOST_CHECK_EQUAL(extension_text(leaf, NID_ext_key_usage), "TLS Web Server Authentication");
    BOOST_CHECK_EQUAL(
        extension_text(leaf, NID_subject_alt_name),
        "DNS:localhost, DNS:signet.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    BOOST_CHECK_EQUAL(extension_text(leaf, NID_crl_distribution_points),
                      "Full Name:\n  URI:http://127.0.0.1:8080/crl/issuing.crl");
    BOOST_CHECK_EQUAL(extension_text(leaf, NID_info_access),
                      "CA Issuers - URI:http://127.0.0.1:8080/ca/issuing.crt");
    int validity_days = 0;
    int validity_seconds = 0;
    BOOST_REQUIRE_EQUAL(ASN1_TIME_diff(&validity_days, &validity_seconds, X509_get0_notBefore(leaf),
                                       X509_get0_notAfter(leaf)),
                        1);
    // 398 days with the last second included (RFC 5280 §4.1.2.5), within CA/B BR §6.3.2.
    BOOST_CHECK_EQUAL(validity_days * 86400 + validity_seconds, 398 * 86400 - 1);

    // The key: in the HSM, sensitive and never extractable.
    const auto keys = f.token->list_keys();
    const auto key = std::ranges::find_if(keys, [](const hsm::KeyInfo& k) {
        return k.label == "tls-server" && k.object_class == "private-key";
    });
    BOOST_REQUIRE(key != keys.end());
    BOOST_CHECK(key->sensitive);
    BOOST_CHECK(!key->extractable);
    BOOST_CHECK_EQUAL(key->algorithm, "ec-p256");

    // Recorded as the service certificate "tls-server", with its audit events.
    const auto record = f.certificates.find_service("tls-server");
    BOOST_REQUIRE(record.has_value());
    BOOST_CHECK(record->der.value_or(Bytes{}) == ca::certificate_der(leaf));
    BOOST_CHECK_EQUAL(record->purpose, "tls-server");
    BOOST_CHECK_EQUAL(record->issuer_ca, "issuing");
    BOOST_CHECK_EQUAL(record->key_label.value_or(""), "tls-server");
    BOOST_CHECK_EQUAL(f.events("hsm.key_generated", "hsm_key:tls-server"), 1);
    BOOST_CHECK_EQUAL(f.events("certificate.issued", "certificate:" + tls.serial), 1);

    // openssl, trusting the root alone, verifies it for a TLS server and its hosts; not for
    // another host.
    const auto root = (ceremony.output_dir / "root.pem").string();
    const auto issuing = (ceremony.output_dir / "issuing.pem").string();
    for (const std::vector<std::string>& check :
         {std::vector<std::string>{"-verify_hostname", "signet.test"},
          std::vector<std::string>{"-verify_ip", "127.0.0.1"},
          std::vector<std::string>{"-verify_ip", "::1"}}) {
        std::vector<std::string> argv{"openssl",   "verify",       "-purpose",
                                      "sslserver", "-x509_strict", "-CAfile",
                                      root,        "-untrusted",   issuing};
        argv.insert(argv.end(), check.begin(), check.end());
        argv.push_back(tls.pem.string());
        const auto v = run_command(argv);
        BOOST_CHECK_MESSAGE(v.exit_code == 0, check[1] << ": " << v.output);
    }
    const auto wrong =
        run_command({"openssl", "verify", "-purpose", "sslserver", "-CAfile", root, "-untrusted",
                     issuing, "-verify_hostname", "evil.example", tls.pem.string()});
    BOOST_CHECK_NE(wrong.exit_code, 0);
    BOOST_CHECK_MESSAGE(wrong.output.find("hostname mismatch") != std::string::npos, wrong.output);
    const auto client = run_command({"openssl", "verify", "-purpose", "sslclient", "-CAfile", root,
                                     "-untrusted", issuing, tls.pem.string()});
    BOOST_CHECK_MESSAGE(client.exit_code != 0, "verified as a TLS client: " << client.output);
}

// The audit checkpoint signer: KU digitalSignature (critical), an EKU of its own purpose alone
// (ca/service_purposes.hpp, what the verifiers require), its issuer's AIA and CRL DP, recorded as
// service "audit-checkpoint"; openssl verifies its chain to the root; a second ceremony with one is
// refused.
BOOST_AUTO_TEST_CASE(the_audit_checkpoint_certificate_signs_and_states_its_purpose) {
    Fixture f;
    auto ceremony = ceremony_with_tls_server(f.dir.path(), "-cp");
    ceremony.tls_server.reset();
    policy::CeremonyAuditCheckpoint checkpoint;
    checkpoint.issuer = ceremony.issuing_cas[0].name;
    checkpoint.subject = "CN=Test Audit Checkpoints,O=Signet Tests,C=CN";
    checkpoint.validity_days = 365;
    checkpoint.key = {"audit-checkpoint-cp", KeyType::ec_p256};
    ceremony.audit_checkpoint = checkpoint;
    const auto results = f.run(ceremony);
    BOOST_REQUIRE_EQUAL(results.size(), 3u);
    const auto& made = results.back();
    BOOST_CHECK_EQUAL(made.role, "audit-checkpoint");
    BOOST_CHECK_EQUAL(made.pem, ceremony.output_dir / "audit-checkpoint.pem");
    const auto chain = read_pem_chain(made.pem);
    BOOST_REQUIRE_EQUAL(chain.size(), 1u);
    X509* leaf = chain[0].get();
    BOOST_CHECK_EQUAL(extension_text(leaf, NID_key_usage), "critical Digital Signature");
    BOOST_CHECK_EQUAL(extension_text(leaf, NID_ext_key_usage),
                      std::string(ca::kAuditCheckpointPurpose));
    BOOST_CHECK(ca::has_key_purpose(leaf, ca::kAuditCheckpointPurpose));
    BOOST_CHECK(!ca::has_key_purpose(leaf, ca::kEvidenceSealPurpose));
    BOOST_CHECK_EQUAL(extension_text(leaf, NID_crl_distribution_points),
                      "Full Name:\n  URI:http://127.0.0.1:8080/crl/issuing.crl");
    BOOST_CHECK_EQUAL(extension_text(leaf, NID_info_access),
                      "CA Issuers - URI:http://127.0.0.1:8080/ca/issuing.crt");
    const auto record = f.certificates.find_service("audit-checkpoint");
    BOOST_REQUIRE(record.has_value());
    BOOST_CHECK(record->der.value_or(Bytes{}) == ca::certificate_der(leaf));
    BOOST_CHECK_EQUAL(record->key_label.value_or(""), "audit-checkpoint-cp");
    const auto v =
        run_command({"openssl", "verify", "-x509_strict", "-CAfile",
                     (ceremony.output_dir / "root-cp.pem").string(), "-untrusted",
                     (ceremony.output_dir / "issuing-cp.pem").string(), made.pem.string()});
    BOOST_CHECK_MESSAGE(v.exit_code == 0, v.output);

    auto again = ceremony;
    again.root.key.label = "root-cp2";
    again.root.name = "root-cp2";
    again.issuing_cas[0].name = "issuing-cp2";
    again.issuing_cas[0].key.label = "issuing-cp2";
    again.audit_checkpoint->issuer = "issuing-cp2";
    again.audit_checkpoint->key.label = "audit-checkpoint-cp2";
    again.output_dir = f.dir / "out-cp2";
    expect_error([&] { f.run(again); }, Errc::already_exists,
                 "audit_checkpoint: an audit checkpoint certificate already exists");
}

BOOST_AUTO_TEST_CASE(an_existing_label_file_or_service_is_refused_and_nothing_made) {
    Fixture f;
    f.run(ceremony_with_tls_server(f.dir.path()));
    const auto cas_before = f.certificates.list_cas().size();
    const auto rows_before = f.count("SELECT count(*) FROM certificates");

    // New CAs, the same TLS server label, output directory and service role.
    auto again = ceremony_with_tls_server(f.dir.path(), "2");
    again.output_dir = f.dir.path() / "out";
    again.tls_server->key.label = "tls-server";
    for (const char* needle :
         {"tls_server.key.label: the HSM already holds a key labelled 'tls-server'",
          "tls-server.pem already exists", "tls_server: a TLS server certificate already exists"})
        expect_error([&] { f.run(again); }, Errc::already_exists, needle);
    BOOST_CHECK_EQUAL(f.certificates.list_cas().size(), cas_before);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM certificates"), rows_before);
    BOOST_CHECK_THROW(f.token->find_key("root2"), Error);
    BOOST_CHECK(!std::filesystem::exists(f.dir.path() / "out" / "root2.pem"));
}

BOOST_AUTO_TEST_CASE(a_validity_beyond_its_issuer_or_a_cn_not_among_its_names_is_refused) {
    Fixture f;
    const auto refused = [&](const policy::Ceremony& c, const std::string& needle) {
        expect_error([&] { f.run(c); }, Errc::invalid_argument, needle);
        BOOST_CHECK(f.certificates.list_cas().empty());
        BOOST_CHECK(!f.certificates.find_service("tls-server"));
        BOOST_CHECK(f.token->list_keys().empty());
        BOOST_CHECK(!std::filesystem::exists(c.output_dir));
    };
    auto outlasting = ceremony_with_tls_server(f.dir.path());
    outlasting.issuing_cas[0].validity_days = 397;
    refused(outlasting, "tls_server.validity_days: outlasts its issuer 'issuing'");

    auto other_cn = ceremony_with_tls_server(f.dir.path());
    other_cn.tls_server->subject = "CN=evil.example,O=Signet Tests,C=CN";
    refused(other_cn,
            "tls_server.subject: its CN must be one of the names in dns_names or "
            "ip_addresses, once (CA/B Forum BR §7.1.4.3)");
    auto two_cns = ceremony_with_tls_server(f.dir.path());
    two_cns.tls_server->subject = "CN=localhost,CN=signet.test";
    refused(two_cns, "its CN must be one of the names");
    auto bad_dn = ceremony_with_tls_server(f.dir.path());
    bad_dn.tls_server->subject = "CN=";
    refused(bad_dn, "tls_server.subject: CN is empty");
}

BOOST_AUTO_TEST_CASE(a_cn_may_be_an_ip_address_in_rfc_5952_text_or_absent) {
    for (const auto& [subject, ip] :
         {std::pair<std::string, std::string>{"CN=::1,O=Tests", "0:0::1"},
          {"O=Signet Tests,C=CN", "::1"}}) {
        Fixture f;
        auto ceremony = ceremony_with_tls_server(f.dir.path());
        ceremony.tls_server->subject = subject;
        ceremony.tls_server->ip_addresses = {ip};
        BOOST_CHECK_NO_THROW(f.run(ceremony));
        BOOST_CHECK(f.certificates.find_service("tls-server").has_value());
    }
}

BOOST_AUTO_TEST_SUITE_END()
