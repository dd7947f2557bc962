// The ceremony file: the example parses, and each kind of mistake is named with FILE:LINE:COLUMN.
#include "policy/ceremony.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "common/error.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::policy;
using signet::testing::read_file;
using signet::testing::TempDir;
using signet::testing::write_file;

namespace {

std::string refusal(const TempDir& dir, const std::string& yaml) {
    write_file(dir / "ceremony.yaml", yaml);
    try {
        load_ceremony(dir / "ceremony.yaml");
    } catch (const Error& e) {
        BOOST_CHECK_EQUAL(to_string(e.code()), to_string(Errc::invalid_argument));
        BOOST_TEST_MESSAGE(e.what());
        return e.what();
    }
    BOOST_ERROR("accepted:\n" << yaml);
    return "";
}

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text + "\n").find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ceremony)

BOOST_AUTO_TEST_CASE(the_example_ceremony_parses) {
    const char* source = std::getenv("SIGNET_SOURCE_DIR");
    BOOST_REQUIRE_MESSAGE(source != nullptr, "SIGNET_SOURCE_DIR is not set (run through ctest)");
    const std::filesystem::path file = std::filesystem::path(source) / "ops/ceremony.example.yaml";
    const Ceremony c = load_ceremony(file);
    BOOST_CHECK_EQUAL(c.root.name, "root-ca");
    BOOST_CHECK(c.root.key.type == KeyType::ec_p384);
    BOOST_CHECK_EQUAL(c.output_dir, file.parent_path() / "ceremony");
    BOOST_REQUIRE_EQUAL(c.issuing_cas.size(), 1u);
    BOOST_CHECK_EQUAL(c.issuing_cas[0].name, "issuing-ca");
    BOOST_CHECK_EQUAL(c.issuing_cas[0].path_length.value_or(-1), 0);
    BOOST_REQUIRE(c.issuing_cas[0].ocsp_responder.has_value());
    BOOST_CHECK_EQUAL(c.issuing_cas[0].ocsp_responder->key.label, "ocsp-issuing-ca");
    BOOST_REQUIRE(c.tsa.has_value());
    BOOST_CHECK_EQUAL(c.tsa->issuer, "issuing-ca");
    BOOST_REQUIRE(c.audit_checkpoint.has_value());
    BOOST_CHECK_EQUAL(c.audit_checkpoint->issuer, "issuing-ca");
    BOOST_CHECK_EQUAL(c.audit_checkpoint->key.label, "audit-checkpoint");
    BOOST_CHECK_EQUAL(c.audit_checkpoint->validity_days, 1825u);
    BOOST_REQUIRE(c.tls_server.has_value());
    BOOST_CHECK_EQUAL(c.tls_server->issuer, "issuing-ca");
    BOOST_CHECK_EQUAL(c.tls_server->key.label, "tls-server");
    BOOST_CHECK(c.tls_server->key.type == KeyType::ec_p256);
    BOOST_CHECK_EQUAL(c.tls_server->validity_days, 398u);
    BOOST_CHECK((c.tls_server->dns_names == std::vector<std::string>{"localhost"}));
    BOOST_CHECK((c.tls_server->ip_addresses == std::vector<std::string>{"127.0.0.1"}));
    BOOST_REQUIRE(c.evidence_seal.has_value());
    BOOST_CHECK_EQUAL(c.evidence_seal->issuer, "issuing-ca");
    BOOST_CHECK_EQUAL(c.evidence_seal->key.label, "evidence-seal");
    BOOST_CHECK_EQUAL(c.evidence_seal->validity_days, 1825u);
}

BOOST_AUTO_TEST_CASE(mistakes_are_named_with_their_place) {
    TempDir dir;
    const std::string f = (dir / "ceremony.yaml").string();
    const std::string message = refusal(dir,
                                        "output_dir: out\n"                       // 1
                                        "root:\n"                                 // 2
                                        "  name: root\n"                          // 3
                                        "  subject: CN=Root\n"                    // 4
                                        "  validity_days: 0\n"                    // 5
                                        "  key: {label: k1, type: ec-p521}\n"     // 6
                                        "issuing_cas:\n"                          // 7
                                        "  - name: root\n"                        // 8
                                        "    subject: CN=Issuing\n"               // 9
                                        "    validity_days: 10\n"                 // 10
                                        "    key: {label: k1, type: ec-p256}\n"   // 11
                                        "    crl_distribution_point: ldap://x\n"  // 12
                                        "    colour: blue\n"                      // 13
                                        "tsa:\n"                                  // 14
                                        "  issuer: nobody\n"                      // 15
                                        "  subject: CN=TSA\n"                     // 16
                                        "  validity_days: 10\n");                 // 17
    BOOST_CHECK(has_line(message, f + ":5:18: root.validity_days: 0 is not a validity in days "
                                      "(1-36500)"));
    BOOST_CHECK(message.find(f + ":6:26: root.key.type: unknown key type 'ec-p521'") !=
                std::string::npos);
    BOOST_CHECK(has_line(message, f + ":8:11: issuing_cas[0].name: 'root' is also root's name"));
    BOOST_CHECK(has_line(message, f + ":11:18: issuing_cas[0].key.label: 'k1' is also root.key's "
                                      "label"));
    BOOST_CHECK(has_line(message, f + ":12:29: issuing_cas[0].crl_distribution_point: 'ldap://x' "
                                      "is not an http(s) URL"));
    BOOST_CHECK(has_line(message, f + ":13:5: issuing_cas[0].colour: unknown key"));
    BOOST_CHECK(has_line(message, f + ":15:11: tsa.issuer: 'nobody' is not an issuing CA of this "
                                      "ceremony"));
    BOOST_CHECK(has_line(message, f + ":15:3: tsa.key: is required"));
}

BOOST_AUTO_TEST_CASE(audit_checkpoint_mistakes_are_named_with_their_place) {
    TempDir dir;
    const std::string f = (dir / "ceremony.yaml").string();
    const std::string message = refusal(dir,
                                        "output_dir: out\n"                        // 1
                                        "root:\n"                                  // 2
                                        "  name: root\n"                           // 3
                                        "  subject: CN=Root\n"                     // 4
                                        "  validity_days: 100\n"                   // 5
                                        "  key: {label: k1, type: ec-p256}\n"      // 6
                                        "issuing_cas:\n"                           // 7
                                        "  - name: ca\n"                           // 8
                                        "    subject: CN=Issuing\n"                // 9
                                        "    validity_days: 10\n"                  // 10
                                        "    key: {label: k2, type: ec-p256}\n"    // 11
                                        "audit_checkpoint:\n"                      // 12
                                        "  issuer: nobody\n"                       // 13
                                        "  subject: CN=Checkpoints\n"              // 14
                                        "  validity_days: 10\n"                    // 15
                                        "  key: {label: k2, type: ec-p256}\n"      // 16
                                        "  eku: none\n");                          // 17
    BOOST_CHECK(has_line(message, f + ":13:11: audit_checkpoint.issuer: 'nobody' is not an "
                                      "issuing CA of this ceremony"));
    BOOST_CHECK(has_line(message, f + ":16:16: audit_checkpoint.key.label: 'k2' is also "
                                      "issuing_cas[0].key's label"));
    BOOST_CHECK(has_line(message, f + ":17:3: audit_checkpoint.eku: unknown key"));
}

BOOST_AUTO_TEST_CASE(a_ceremony_needs_a_root_and_an_issuing_ca) {
    TempDir dir;
    const std::string f = (dir / "ceremony.yaml").string();
    const std::string message = refusal(dir, "output_dir: out\n");
    BOOST_CHECK(has_line(message, f + ":1:1: root: is required"));
    BOOST_CHECK(has_line(message, f + ":1:1: issuing_cas: expected a list of at least one issuing "
                                      "CA"));
    const std::string empty = refusal(dir, "");
    BOOST_CHECK(empty.find("a ceremony file is a YAML mapping") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_issuing_cas_certificate_policies_are_oids_or_any_policy) {
    TempDir dir;
    const std::string base =
        "output_dir: out\n"
        "root: {name: root, subject: CN=Root, validity_days: 10, key: {label: k1, type: ec-p256}}\n"
        "issuing_cas:\n"
        "  - name: issuing\n"
        "    subject: CN=Issuing\n"
        "    validity_days: 10\n"
        "    key: {label: k2, type: ec-p256}\n";
    write_file(dir / "ceremony.yaml", base);
    BOOST_CHECK(!load_ceremony(dir / "ceremony.yaml").issuing_cas[0].certificate_policies);
    write_file(dir / "ceremony.yaml",
               base + "    certificate_policies: [anyPolicy, 1.3.6.1.4.1.99999.2.1]\n");
    const auto policies = load_ceremony(dir / "ceremony.yaml").issuing_cas[0].certificate_policies;
    BOOST_REQUIRE(policies.has_value());
    BOOST_CHECK((*policies == std::vector<std::string>{"2.5.29.32.0", "1.3.6.1.4.1.99999.2.1"}));
    const std::string message =
        refusal(dir, base + "    certificate_policies: [1.2.3, personal]\n");
    BOOST_CHECK_MESSAGE(message.find("issuing_cas[0].certificate_policies[1]: 'personal' is not "
                                     "an OID (or anyPolicy)") != std::string::npos,
                        message);
}

namespace {

const std::string kTwoCas =
    "output_dir: out\n"  // 1
    "root: {name: root, subject: CN=Root, validity_days: 10, key: {label: k1, type: ec-p256}}\n"
    "issuing_cas:\n"  // 3
    "  - {name: issuing, subject: CN=Issuing, validity_days: 10, key: {label: k2, type: "
    "ec-p256}}\n";  // 4

}  // namespace

BOOST_AUTO_TEST_CASE(a_tls_server_section_names_its_hosts) {
    TempDir dir;
    write_file(dir / "ceremony.yaml", kTwoCas +
                                          "tls_server:\n"
                                          "  issuer: issuing\n"
                                          "  subject: CN=signet.example\n"
                                          "  validity_days: 398\n"
                                          "  key: {label: tls, type: ec-p384}\n"
                                          "  dns_names: [signet.example, api.signet.example]\n"
                                          "  ip_addresses: [192.0.2.7, '2001:db8::7']\n");
    const auto c = load_ceremony(dir / "ceremony.yaml");
    BOOST_REQUIRE(c.tls_server.has_value());
    BOOST_CHECK_EQUAL(c.tls_server->subject, "CN=signet.example");
    BOOST_CHECK((c.tls_server->dns_names ==
                 std::vector<std::string>{"signet.example", "api.signet.example"}));
    BOOST_CHECK(
        (c.tls_server->ip_addresses == std::vector<std::string>{"192.0.2.7", "2001:db8::7"}));
    // Either list alone will do.
    write_file(dir / "ceremony.yaml",
               kTwoCas +
                   "tls_server: {issuer: issuing, subject: CN=x, validity_days: 1, key: "
                   "{label: tls, type: ec-p256}, ip_addresses: ['::1']}\n");
    BOOST_CHECK(load_ceremony(dir / "ceremony.yaml").tls_server->dns_names.empty());
    write_file(dir / "ceremony.yaml", kTwoCas);
    BOOST_CHECK(!load_ceremony(dir / "ceremony.yaml").tls_server.has_value());
}

BOOST_AUTO_TEST_CASE(tls_server_mistakes_are_named_with_their_place) {
    TempDir dir;
    const std::string f = (dir / "ceremony.yaml").string();
    const std::string message =
        refusal(dir, kTwoCas +
                         "tls_server:\n"                        // 5
                         "  issuer: root\n"                     // 6
                         "  subject: CN=localhost\n"            // 7
                         "  validity_days: 399\n"               // 8
                         "  key: {label: k2, type: ec-p256}\n"  // 9
                         "  dns_names:\n"                       // 10
                         "    - localhost\n"                    // 11
                         "    - example.com.\n"                 // 12
                         "    - '*.example.com'\n"              // 13
                         "    - under_score.example\n"          // 14
                         "    - LOCALHOST\n"                    // 15
                         "    - 10.0.0.1\n"                     // 16
                         "  ip_addresses: [127.0.0.1, 'fe80::1%eth0', 10.0.0.0/8, "
                         "127.0.0.1, localhost]\n"  // 17
                         "  port: 443\n");          // 18
    // Each problem at its place, one line each (the longer messages by their start).
    for (const char* expected :
         {":6:11: tls_server.issuer: 'root' is not an issuing CA of this ceremony\n",
          ":8:18: tls_server.validity_days: 399 is not a TLS server certificate's validity in "
          "days (CA/B Forum BR §6.3.2) (1-398)\n",
          ":9:16: tls_server.key.label: 'k2' is also issuing_cas[0].key's label\n",
          ":12:7: tls_server.dns_names[1]: 'example.com.' is not a DNS name: it ends with a dot "
          "(a certificate names a host without the root's dot)\n",
          ":13:7: tls_server.dns_names[2]: '*.example.com' is not a DNS name: it is a wildcard; "
          "only exact names are issued\n",
          ":14:7: tls_server.dns_names[3]: 'under_score.example' is not a DNS name: it has a "
          "character other than",
          ":15:7: tls_server.dns_names[4]: 'LOCALHOST' is listed twice (case is ignored)\n",
          ":16:7: tls_server.dns_names[5]: '10.0.0.1' is not a DNS name: it ends in an "
          "all-digit label",
          ":17:29: tls_server.ip_addresses[1]: 'fe80::1%eth0' is not an IP address (IPv4 or "
          "IPv6, without a zone or a prefix length)\n",
          ":17:45: tls_server.ip_addresses[2]: '10.0.0.0/8' is not an IP address",
          ":17:57: tls_server.ip_addresses[3]: '127.0.0.1' is listed twice\n",
          ":17:68: tls_server.ip_addresses[4]: 'localhost' is not an IP address",
          ":18:3: tls_server.port: unknown key\n"}) {
        BOOST_CHECK_MESSAGE((message + "\n").find(f + expected) != std::string::npos, expected);
    }
    BOOST_CHECK(message.find("dns_names[0]") == std::string::npos);
    BOOST_CHECK(message.find("ip_addresses[0]") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_tls_server_needs_a_host_name) {
    TempDir dir;
    const std::string f = (dir / "ceremony.yaml").string();
    const std::string tls =
        "tls_server:\n"  // 5
        "  {issuer: issuing, subject: CN=x, validity_days: 10, key: {label: t, type: ec-p256}";
    const std::string neither = refusal(dir, kTwoCas + tls + "}\n");
    BOOST_CHECK(has_line(neither, f + ":6:3: tls_server: needs at least one name in dns_names or "
                                      "ip_addresses (the hosts clients connect to)"));
    const std::string empty = refusal(dir, kTwoCas + tls + ", dns_names: [], ip_addresses: []}\n");
    BOOST_CHECK(empty.find("tls_server: needs at least one name") != std::string::npos);
    // A list of the wrong kind is named as such, not as a missing name as well.
    const std::string wrong = refusal(dir, kTwoCas + tls + ", dns_names: localhost}\n");
    BOOST_CHECK(wrong.find("tls_server.dns_names: expected a list") != std::string::npos);
    BOOST_CHECK(wrong.find("needs at least one name") == std::string::npos);
    const std::string nested = refusal(dir, kTwoCas + tls + ", ip_addresses: [[127.0.0.1]]}\n");
    BOOST_CHECK(nested.find("tls_server.ip_addresses[0]: expected a string") != std::string::npos);
    BOOST_CHECK(nested.find("needs at least one name") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
