#pragma once

// A small CA for the tests that need one on a real token (tests/ca/authority_test.cpp, the OCSP
// responder renewal test, the RA's registry tests): a root and one issuing CA "issuing" (365
// days), EC P-256 keys, and a personal certificate profile issued by it.
#include <filesystem>

#include "policy/ceremony.hpp"
#include "policy/config.hpp"

namespace signet::testing {

inline policy::CertificateProfile personal_profile() {
    policy::CertificateProfile p;
    p.issuer = "issuing";
    p.key_types = {KeyType::ec_p256};
    p.validity_days = 30;
    p.key_usage = {"digitalSignature", "nonRepudiation"};
    p.extended_key_usage = {"1.3.6.1.5.5.7.3.36"};
    p.subject_template = "CN={name},O={organization},C={country}";
    return p;
}

inline policy::Ceremony small_ceremony(const std::filesystem::path& dir) {
    policy::Ceremony c;
    c.file = dir / "ceremony.yaml";
    c.output_dir = dir / "out";
    c.root.name = "root";
    c.root.subject = "CN=Test Root,O=Signet Tests,C=CN";
    c.root.validity_days = 3650;
    c.root.key = {"root", KeyType::ec_p256};
    policy::CeremonyCa issuing;
    issuing.name = "issuing";
    issuing.subject = "CN=Test Issuing,O=Signet Tests,C=CN";
    issuing.validity_days = 365;
    issuing.path_length = 0;
    issuing.key = {"issuing", KeyType::ec_p256};
    c.issuing_cas.push_back(issuing);
    return c;
}

}  // namespace signet::testing
