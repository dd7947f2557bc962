// subjectAltName (RFC 5280 §4.2.1.6) with software keys: a template's DNS names, then its IP
// addresses, in order; the linter holds a certificate to exactly those.
#include "ca/subject_alt_name.hpp"

#include <openssl/x509v3.h>

#include <boost/test/unit_test.hpp>

#include "ca/lint.hpp"
#include "ca/x509.hpp"
#include "common/error.hpp"
#include "tests/ca/software_ca.hpp"
#include "tests/support/csr.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

const std::string kServerAuth = "1.3.6.1.5.5.7.3.1";

ca::CertificateTemplate tls_server(std::vector<std::string> dns, std::vector<std::string> ips) {
    ca::CertificateTemplate tmpl = end_entity();
    tmpl.subject = {{"CN", "localhost"}};
    tmpl.extended_key_usage = {kServerAuth};
    tmpl.dns_names = std::move(dns);
    tmpl.ip_addresses = std::move(ips);
    return tmpl;
}

// The certificate's subjectAltName as OpenSSL decodes it (IP addresses as hex), and whether it
// is critical (-1: absent).
std::pair<std::vector<std::string>, int> san_of(const X509* cert) {
    int critical = -1;
    const GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, nullptr)));
    std::vector<std::string> entries;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        const bool dns = name->type == GEN_DNS;
        const ASN1_STRING* value = dns ? name->d.dNSName : name->d.iPAddress;
        const std::string bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                static_cast<std::size_t>(ASN1_STRING_length(value)));
        entries.push_back(dns ? "DNS:" + bytes : "IP:" + to_hex(bytes_of(bytes)));
    }
    return {entries, critical};
}

// Replaces `cert`'s subjectAltName with `names` (none: removed), as a faulty builder would, and
// sets the signature algorithm for lint.
void replace_san(X509* cert, GENERAL_NAMES* names, bool critical = false) {
    const int at = X509_get_ext_by_NID(cert, NID_subject_alt_name, -1);
    if (at >= 0)
        X509_EXTENSION_free(X509_delete_ext(cert, at));
    if (names != nullptr)
        BOOST_REQUIRE_EQUAL(
            X509_add1_ext_i2d(cert, NID_subject_alt_name, names, critical ? 1 : 0, 0), 1);
    ca::set_signature_algorithm(cert, KeyType::ec_p256);
}

// DNS names as given, unchecked.
GeneralNamesPtr raw_dns_names(const std::vector<std::string>& names) {
    GeneralNamesPtr out(sk_GENERAL_NAME_new_null());
    for (const auto& name : names) {
        GeneralNamePtr entry(GENERAL_NAME_new());
        ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
        BOOST_REQUIRE(entry && ia5);
        BOOST_REQUIRE_EQUAL(ASN1_STRING_set(ia5, name.data(), static_cast<int>(name.size())), 1);
        GENERAL_NAME_set0_value(entry.get(), GEN_DNS, ia5);
        BOOST_REQUIRE(sk_GENERAL_NAME_push(out.get(), entry.release()) > 0);
    }
    return out;
}

struct SoftwareCa {
    EvpPkeyPtr key = make_ec_key();
    X509Ptr certificate = make_ca(key.get());
    EvpPkeyPtr subject_key = make_ec_key();

    X509Ptr build(const ca::CertificateTemplate& tmpl) const {
        return ca::build_certificate(tmpl, subject_key.get(), certificate.get());
    }
    std::vector<std::string> lint(X509* cert, const ca::CertificateTemplate& tmpl) const {
        return rules_of(cert, certificate.get(), tmpl);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(subject_alt_name)

BOOST_AUTO_TEST_CASE(dns_names_then_ip_addresses_in_order_and_not_critical) {
    const SoftwareCa ca;
    const auto tmpl = tls_server({"localhost", "signet.example"}, {"127.0.0.1", "::1"});
    const X509Ptr cert = ca.build(tmpl);
    const auto [entries, critical] = san_of(cert.get());
    BOOST_CHECK_EQUAL(critical, 0);  // the subject is not empty (RFC 5280 §4.2.1.6)
    const std::vector<std::string> expected{"DNS:localhost", "DNS:signet.example", "IP:7f000001",
                                            "IP:00000000000000000000000000000001"};
    BOOST_CHECK_EQUAL_COLLECTIONS(entries.begin(), entries.end(), expected.begin(), expected.end());
    BOOST_CHECK(lint_rules(tmpl, ca.subject_key.get(), ca.certificate.get(), ca.key.get()).empty());
    // OpenSSL's own host and IP matching finds them, as a TLS client does (RFC 6125 §6).
    BOOST_CHECK_EQUAL(X509_check_host(cert.get(), "signet.example", 0, 0, nullptr), 1);
    BOOST_CHECK_EQUAL(X509_check_ip_asc(cert.get(), "::1", 0), 1);
    BOOST_CHECK_EQUAL(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
    BOOST_CHECK_EQUAL(X509_check_host(cert.get(), "other.example", 0, 0, nullptr), 0);

    // The entries as the linter compares them: canonical IP text whatever the template wrote.
    const auto listed = ca::subject_alt_name_entries({"localhost"}, {"0:0::1", "127.0.0.1"});
    BOOST_CHECK((listed == ca::SubjectAltNameEntries{"DNS:localhost", "IP:::1", "IP:127.0.0.1"}));
    // A template without names has no subjectAltName.
    BOOST_CHECK_EQUAL(san_of(ca.build(end_entity()).get()).second, -1);
}

BOOST_AUTO_TEST_CASE(build_refuses_names_a_subject_alt_name_cannot_carry) {
    const SoftwareCa ca;
    const std::pair<ca::CertificateTemplate, std::string> refusals[] = {
        {tls_server({"example.com."}, {}), "ends with a dot"},
        {tls_server({"*.example.com"}, {}), "is a wildcard"},
        {tls_server({"under_score.example"}, {}), "a character other than"},
        {tls_server({}, {"127.0.0.256"}), "'127.0.0.256' is not an IP address"},
        {tls_server({}, {"fe80::1%eth0"}), "is not an IP address"},
    };
    for (const auto& [tmpl, needle] : refusals)
        expect_error([&] { ca.build(tmpl); }, Errc::invalid_argument, needle);
    expect_error([] { ca::make_subject_alt_names({}, {}); }, Errc::invalid_argument,
                 "needs a DNS name or an IP address");
}

BOOST_AUTO_TEST_CASE(lint_refuses_a_missing_san) {
    const SoftwareCa ca;
    const auto tmpl = tls_server({"localhost"}, {"127.0.0.1"});
    const X509Ptr cert = ca.build(tmpl);
    replace_san(cert.get(), nullptr);
    const auto rules = ca.lint(cert.get(), tmpl);
    BOOST_CHECK(contains(rules, "signet.profile.missing_extension"));
    BOOST_CHECK(contains(rules, "signet.profile.subject_alt_name"));
    BOOST_CHECK(contains(rules, "cabf.server_auth.san"));
}

BOOST_AUTO_TEST_CASE(lint_refuses_other_names_or_another_order) {
    const SoftwareCa ca;
    const auto tmpl = tls_server({"localhost", "signet.example"}, {});
    for (const auto& names :
         std::vector<std::vector<std::string>>{{"localhost", "evil.example"},    // another name
                                               {"signet.example", "localhost"},  // another order
                                               {"localhost"},                    // one missing
                                               {"localhost", "signet.example", "extra.example"}}) {
        const X509Ptr cert = ca.build(tmpl);
        const GeneralNamesPtr other = raw_dns_names(names);
        replace_san(cert.get(), other.get());
        BOOST_CHECK(contains(ca.lint(cert.get(), tmpl), "signet.profile.subject_alt_name"));
    }
    // The same names, rebuilt by hand: nothing to find (the test above is not vacuous).
    const X509Ptr same = ca.build(tmpl);
    const GeneralNamesPtr names = raw_dns_names({"localhost", "signet.example"});
    replace_san(same.get(), names.get());
    BOOST_CHECK(ca.lint(same.get(), tmpl).empty());
}

BOOST_AUTO_TEST_CASE(lint_refuses_a_name_outside_preferred_name_syntax) {
    // A builder that skipped the check, for a template that has the bad name too.
    const SoftwareCa ca;
    for (const char* bad : {"example.com.", "*.example.com", "-x.example"}) {
        auto tmpl = tls_server({"localhost"}, {});
        const X509Ptr cert = ca.build(tmpl);
        tmpl.dns_names = {bad};
        const GeneralNamesPtr names = raw_dns_names({bad});
        replace_san(cert.get(), names.get());
        BOOST_CHECK_MESSAGE(contains(ca.lint(cert.get(), tmpl), "rfc5280.san.syntax"), bad);
    }
}

BOOST_AUTO_TEST_CASE(lint_refuses_an_unasked_or_critical_san) {
    const SoftwareCa ca;
    const auto tmpl = tls_server({"localhost"}, {});
    // A subjectAltName the template does not ask for.
    const X509Ptr extra = ca.build(tmpl);
    ca::set_signature_algorithm(extra.get(), KeyType::ec_p256);
    auto no_names = tmpl;
    no_names.dns_names.clear();
    no_names.extended_key_usage.clear();
    BOOST_CHECK(contains(ca.lint(extra.get(), no_names), "signet.profile.unexpected_extension"));
    // Critical while the subject is not empty (RFC 5280 §4.2.1.6: non-critical then).
    const X509Ptr critical = ca.build(tmpl);
    const GeneralNamesPtr names = raw_dns_names({"localhost"});
    replace_san(critical.get(), names.get(), true);
    BOOST_CHECK(contains(ca.lint(critical.get(), tmpl), "signet.profile.criticality"));
}

BOOST_AUTO_TEST_SUITE_END()
