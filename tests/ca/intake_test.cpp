// What the CA takes in, with software keys only (no HSM, no database): CSRs (their framing,
// signature algorithm and RSA exponent), the names it writes, and the linter's last word on
// what would be signed.
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/test/unit_test.hpp>

#include "ca/csr.hpp"
#include "ca/lint.hpp"
#include "ca/x509.hpp"
#include "common/bytes.hpp"
#include "common/error.hpp"
#include "tests/ca/software_ca.hpp"
#include "tests/support/csr.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

const std::vector<KeyType> kAll{KeyType::ec_p256, KeyType::ec_p384, KeyType::rsa_2048,
                                KeyType::rsa_3072, KeyType::rsa_4096};

void refused(const Bytes& csr, const std::string& needle) {
    expect_error([&] { ca::parse_certificate_request(csr, kAll); }, Errc::invalid_argument, needle);
}

void accepted(const Bytes& csr) {
    BOOST_CHECK_NO_THROW(ca::parse_certificate_request(csr, kAll));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ca_intake)

BOOST_AUTO_TEST_CASE(csrs_with_an_rsa_exponent_other_than_65537_are_refused) {
    const auto e3 = make_rsa_key(2048, 3);
    refused(bytes_of(csr_pem(e3.get())), "RSA public exponent 3 is not allowed");

    // e = 1: the "signature" is the encoded hash itself, and it verifies — anyone can forge.
    const auto normal = make_rsa_key();
    const auto e1 = rsa_public_key_with_exponent(normal.get(), 1);
    const std::string forged = forged_e1_csr_pem(e1.get());
    {
        BioPtr bio(BIO_new_mem_buf(forged.data(), static_cast<int>(forged.size())));
        X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
        BOOST_REQUIRE(req);
        BOOST_CHECK_EQUAL(X509_REQ_verify(req.get(), e1.get()), 1);
    }
    refused(bytes_of(forged), "RSA public exponent 1 is not allowed");

    // An even exponent is no RSA key at all; named before any signature is tried.
    const auto even = rsa_public_key_with_exponent(normal.get(), 65538);
    refused(bytes_of(csr_pem(even.get(), normal.get(), EVP_sha256())),
            "RSA public exponent 65538 is not allowed");

    accepted(bytes_of(csr_pem(normal.get())));
}

BOOST_AUTO_TEST_CASE(a_pem_csr_is_exactly_one_block_with_only_whitespace_around_it) {
    const auto key = make_ec_key();
    const auto other = make_ec_key();
    const std::string pem = csr_pem(key.get());
    accepted(bytes_of(pem));
    accepted(bytes_of("\n\r\n  " + pem + "\n\t \n"));

    refused(bytes_of(pem + "garbage"), "after its END line");
    refused(bytes_of(pem + csr_pem(other.get())), "after its END line");
    refused(bytes_of("Subject: me\n" + pem), "before its BEGIN line");
    std::string certificate = pem;
    certificate.replace(certificate.find("BEGIN CERTIFICATE REQUEST"), 25, "BEGIN CERTIFICATE");
    certificate.replace(certificate.find("END CERTIFICATE REQUEST"), 23, "END CERTIFICATE");
    refused(bytes_of(certificate), "not 'CERTIFICATE REQUEST'");

    // DER with bytes after it, inside the PEM as on its own: the same refusal.
    Bytes der = csr_der(key.get(), key.get(), EVP_sha256());
    der.push_back(0x00);
    refused(der, "trailing data after its DER");
    const std::string padded = "-----BEGIN CERTIFICATE REQUEST-----\n" + to_base64(der) +
                               "\n-----END CERTIFICATE REQUEST-----\n";
    refused(bytes_of(padded), "trailing data after its DER");
}

BOOST_AUTO_TEST_CASE(csr_signatures_must_use_sha2) {
    const auto ec = make_ec_key();
    const auto rsa = make_rsa_key();
    refused(csr_der(ec.get(), ec.get(), EVP_sha1()), "(1.2.840.10045.4.1) is not accepted");
    refused(csr_der(rsa.get(), rsa.get(), EVP_sha1()), "(1.2.840.113549.1.1.5) is not accepted");
    refused(csr_der(rsa.get(), rsa.get(), EVP_md5()), "(1.2.840.113549.1.1.4) is not accepted");
    refused(csr_der(rsa.get(), rsa.get(), EVP_sha1(), true), "RSA-PSS with a hash other than");

    accepted(csr_der(ec.get(), ec.get(), EVP_sha256()));
    accepted(csr_der(ec.get(), ec.get(), EVP_sha384()));
    accepted(csr_der(ec.get(), ec.get(), EVP_sha512()));
    accepted(csr_der(rsa.get(), rsa.get(), EVP_sha512()));
    accepted(csr_der(rsa.get(), rsa.get(), EVP_sha256(), true));
}

BOOST_AUTO_TEST_CASE(lint_refuses_an_rsa_exponent_other_than_65537) {
    const auto ca_key = make_ec_key();
    const auto ca = make_ca(ca_key.get());
    const auto e3 = make_rsa_key(2048, 3);
    BOOST_CHECK(contains(lint_rules(end_entity(), e3.get(), ca.get(), ca_key.get()),
                         "cabf.rsa.public_exponent"));
    const auto e65537 = make_rsa_key();
    BOOST_CHECK(lint_rules(end_entity(), e65537.get(), ca.get(), ca_key.get()).empty());
}

BOOST_AUTO_TEST_CASE(lint_finds_hidden_characters_in_a_name_built_around_make_name) {
    const auto ca_key = make_ec_key();
    const auto ca = make_ca(ca_key.get());
    const auto key = make_ec_key();
    const auto tmpl = end_entity();
    X509Ptr cert = ca::build_certificate(tmpl, key.get(), ca.get());
    X509NamePtr name(X509_NAME_new());
    const std::string value = "evil\xE2\x80\xAEgnp";
    BOOST_REQUIRE_EQUAL(
        X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0),
        1);
    BOOST_REQUIRE_EQUAL(X509_set_subject_name(cert.get(), name.get()), 1);
    ca::set_signature_algorithm(cert.get(), KeyType::ec_p256);
    bool found = false;
    for (const auto& f : ca::lint_certificate(cert.get(), ca.get(), tmpl))
        found = found || (f.rule == "signet.subject.characters" &&
                          f.message.find("U+202E") != std::string::npos);
    BOOST_CHECK(found);
}

BOOST_AUTO_TEST_CASE(lint_requires_a_policy_its_issuer_carries) {
    const auto ca_key = make_ec_key();
    const auto key = make_ec_key();
    const std::string kPolicy = "1.3.6.1.4.1.99999.2.1";
    const std::string kOther = "1.3.6.1.4.1.99999.2.2";
    const auto ca = make_ca(ca_key.get(), {kPolicy});
    BOOST_CHECK(lint_rules(end_entity({kPolicy}), key.get(), ca.get(), ca_key.get()).empty());
    BOOST_CHECK(contains(lint_rules(end_entity({kOther}), key.get(), ca.get(), ca_key.get()),
                         "rfc5280.policies.not_in_issuer"));
    const auto any = make_ca(ca_key.get(), {"2.5.29.32.0"});
    BOOST_CHECK(lint_rules(end_entity({kOther}), key.get(), any.get(), ca_key.get()).empty());
}

BOOST_AUTO_TEST_CASE(names_are_built_attribute_by_attribute_with_values_verbatim) {
    const std::string value = "  O'Brien, \"Jr\"+<x>;=#\\  ";
    const auto name = ca::make_name({{"C", "CN"}, {"CN", value}});
    const X509_NAME_ENTRY* cn =
        X509_NAME_get_entry(name.get(), X509_NAME_get_index_by_NID(name.get(), NID_commonName, -1));
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(cn);
    BOOST_CHECK_EQUAL(ASN1_STRING_type(data), V_ASN1_UTF8STRING);
    BOOST_CHECK_EQUAL(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                                  static_cast<std::size_t>(ASN1_STRING_length(data))),
                      value);
    const X509_NAME_ENTRY* c = X509_NAME_get_entry(name.get(), 0);
    BOOST_CHECK_EQUAL(ASN1_STRING_type(X509_NAME_ENTRY_get_data(c)), V_ASN1_PRINTABLESTRING);

    // RFC 4514 text, as operators write it: escapes undone, unescaped edge spaces dropped.
    const ca::DistinguishedName parsed =
        ca::parse_distinguished_name(" CN = Doe\\, John\\2B ,serialNumber=ID-1,C=CN");
    const ca::DistinguishedName expected{
        {"C", "CN"}, {"serialNumber", "ID-1"}, {"CN", "Doe, John+"}};
    BOOST_CHECK(parsed == expected);

    const std::pair<ca::DistinguishedName, std::string> refusals[] = {
        {{{"CN", std::string(65, 'x')}}, "CN has 65 characters; at most 64"},
        {{{"serialNumber", "1101****1234"}}, "serialNumber is a PrintableString"},
        {{{"CN", "Wang\tFang"}}, "CN contains U+0009"},
        {{{"O", "Zoe\xCC\x88"}}, "O is not in Unicode Normalization Form C"},
        {{{"CN", "x"}, {"nickname", "y"}}, "'nickname' is not an attribute"},
        {{{"C", "cn"}}, "C must be two capital letters"},
        {{{"CN", ""}}, "CN is empty"},
        {{}, "no attributes"},
    };
    for (const auto& [dn, needle] : refusals)
        expect_error([&] { ca::make_name(dn); }, Errc::invalid_argument, needle);
}

BOOST_AUTO_TEST_SUITE_END()
