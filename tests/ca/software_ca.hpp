#pragma once

// A CA with a software key for the tests of what the CA builds and lints (no HSM, no database):
// a self-signed CA certificate, end-entity templates, and the rules of the linter's findings.
#include <openssl/rand.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "ca/lint.hpp"
#include "ca/x509.hpp"
#include "common/bytes.hpp"

namespace signet::testing {

inline Bytes bytes_of(const std::string& text) {
    return Bytes(text.begin(), text.end());
}

inline Bytes random_bytes(std::size_t n) {
    Bytes out(n);
    BOOST_REQUIRE_EQUAL(RAND_bytes(out.data(), static_cast<int>(n)), 1);
    return out;
}

inline const auto kNow =
    std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());

// A self-signed CA certificate with a software key, carrying `policies`.
inline X509Ptr make_ca(EVP_PKEY* key, std::vector<std::string> policies = {}) {
    ca::CertificateTemplate tmpl;
    tmpl.serial = ca::make_serial(random_bytes);
    tmpl.subject = ca::parse_distinguished_name("CN=Test CA,O=Signet Tests,C=CN");
    tmpl.not_before = kNow;
    tmpl.not_after = kNow + std::chrono::days(365);
    tmpl.is_ca = true;
    tmpl.key_usage = {"keyCertSign", "cRLSign"};
    tmpl.certificate_policies = std::move(policies);
    X509Ptr cert = ca::build_certificate(tmpl, key, nullptr);
    ca::sign_certificate(cert.get(), key);
    return cert;
}

inline ca::CertificateTemplate end_entity(std::vector<std::string> policies = {}) {
    ca::CertificateTemplate tmpl;
    tmpl.serial = ca::make_serial(random_bytes);
    tmpl.subject = {{"C", "CN"}, {"CN", "Wang Fang"}};
    tmpl.not_before = kNow;
    tmpl.not_after = kNow + std::chrono::days(30);
    tmpl.key_usage = {"digitalSignature"};
    tmpl.certificate_policies = std::move(policies);
    return tmpl;
}

// The rules of the lint findings for `cert` (its signature algorithm set) against `tmpl`.
inline std::vector<std::string> rules_of(X509* cert, const X509* issuer,
                                         const ca::CertificateTemplate& tmpl) {
    std::vector<std::string> rules;
    for (const auto& finding : ca::lint_certificate(cert, issuer, tmpl)) {
        BOOST_TEST_MESSAGE("lint: " << finding.rule << ": " << finding.message);
        rules.push_back(finding.rule);
    }
    return rules;
}

// The rules of the lint findings for `tmpl` and `subject_key` under `issuer`.
inline std::vector<std::string> lint_rules(const ca::CertificateTemplate& tmpl,
                                           EVP_PKEY* subject_key, const X509* issuer,
                                           EVP_PKEY* issuer_key) {
    X509Ptr cert = ca::build_certificate(tmpl, subject_key, issuer);
    ca::set_signature_algorithm(cert.get(), ca::key_type_of(issuer_key));
    return rules_of(cert.get(), issuer, tmpl);
}

inline bool contains(const std::vector<std::string>& rules, const std::string& rule) {
    return std::ranges::find(rules, rule) != rules.end();
}

}  // namespace signet::testing
