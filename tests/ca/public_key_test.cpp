// Keys built from their SubjectPublicKeyInfo without OpenSSL's decoders (ca/public_key.hpp), the
// CSR read by hand around them, and the certificate lint reads back field by field
// (certificate_fields_from_der): each against what OpenSSL's own decoders make of the same DER.
#include <openssl/x509.h>

#include <boost/test/unit_test.hpp>

#include "ca/csr.hpp"
#include "ca/lint.hpp"
#include "ca/public_key.hpp"
#include "ca/x509.hpp"
#include "common/der.hpp"
#include "common/der_reader.hpp"
#include "tests/ca/software_ca.hpp"
#include "tests/support/csr.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

void key_refused(const Bytes& spki, const std::string& needle) {
    expect_error([&] { (void)ca::public_key_from_info(spki); }, Errc::invalid_argument, needle);
}

// SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING } from its parts.
Bytes spki_of(const Bytes& algorithm_content, const Bytes& key_octets) {
    Bytes bits{0x00};
    bits.insert(bits.end(), key_octets.begin(), key_octets.end());
    Bytes fields = der_tlv(0x30, algorithm_content);
    append_der_tlv(fields, 0x03, bits);
    return der_tlv(0x30, fields);
}

const Bytes kEcOid = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
const Bytes kP256Oid = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
const Bytes kRsaOid = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};

Bytes concat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// The uncompressed point of a P-256 key (the last 65 octets of its SPKI).
Bytes ec_point(EVP_PKEY* key) {
    const Bytes spki = ca::public_key_der(key);
    return Bytes(spki.end() - 65, spki.end());
}

// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, contents as given.
Bytes rsa_key_octets(const Bytes& modulus, const Bytes& exponent) {
    Bytes fields = der_tlv(0x02, modulus);
    append_der_tlv(fields, 0x02, exponent);
    return der_tlv(0x30, fields);
}

// Where `part` starts inside `whole`.
std::size_t offset_of(const Bytes& whole, const Bytes& part) {
    const auto at = std::search(whole.begin(), whole.end(), part.begin(), part.end());
    BOOST_REQUIRE(at != whole.end());
    return static_cast<std::size_t>(at - whole.begin());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ca_public_key)

BOOST_AUTO_TEST_CASE(keys_are_built_from_their_subject_public_key_info) {
    const std::pair<EvpPkeyPtr, KeyType> keys[] = {
        {make_ec_key("P-256"), KeyType::ec_p256}, {make_ec_key("P-384"), KeyType::ec_p384},
        {make_rsa_key(2048), KeyType::rsa_2048},  {make_rsa_key(3072), KeyType::rsa_3072},
        {make_rsa_key(4096), KeyType::rsa_4096}};
    for (const auto& [key, type] : keys) {
        const Bytes spki = ca::public_key_der(key.get());
        const EvpPkeyPtr built = ca::public_key_from_info(spki);
        BOOST_REQUIRE(built);
        // The same public key as OpenSSL's decoder makes of it, and the same DER back.
        BOOST_CHECK_EQUAL(EVP_PKEY_eq(built.get(), key.get()), 1);
        BOOST_CHECK(ca::key_type_of(built.get()) == type);
        BOOST_CHECK(ca::public_key_der(built.get()) == spki);
    }
    // A compressed point is a point too (X9.62 §4.3.6), as OpenSSL's decoder takes it.
    const auto key = make_ec_key();
    const Bytes point = ec_point(key.get());
    Bytes compressed{static_cast<std::uint8_t>(0x02 | (point.back() & 1))};
    compressed.insert(compressed.end(), point.begin() + 1, point.begin() + 33);
    const EvpPkeyPtr built =
        ca::public_key_from_info(spki_of(concat(kEcOid, kP256Oid), compressed));
    BOOST_CHECK_EQUAL(EVP_PKEY_eq(built.get(), key.get()), 1);
}

BOOST_AUTO_TEST_CASE(malformed_and_unsupported_keys_are_refused_by_name) {
    const auto ec = make_ec_key();
    const Bytes spki = ca::public_key_der(ec.get());
    key_refused(Bytes(spki.begin(), spki.end() - 1), "is not DER");  // truncated
    key_refused(concat(spki, {0x00}), "is not DER: data after its end");
    key_refused({}, "is not DER");

    // Wrong OIDs: an algorithm Signet does not know, another curve, no curve at all.
    Bytes unknown_algorithm = kEcOid;
    unknown_algorithm.back() = 0x07;  // 1.2.840.10045.2.7
    key_refused(spki_of(concat(unknown_algorithm, kP256Oid), ec_point(ec.get())),
                "1.2.840.10045.2.7 keys are not supported");
    const auto ed25519 = EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    key_refused(ca::public_key_der(ed25519.get()), "ED25519 keys are not supported");
    const auto k1 = make_ec_key("secp256k1");
    key_refused(ca::public_key_der(k1.get()), "EC key on curve secp256k1 is not supported");
    key_refused(spki_of(kEcOid, ec_point(ec.get())), "explicit parameters");
    key_refused(spki_of(concat(kEcOid, der_tlv(0x30, kEcOid)), ec_point(ec.get())),
                "explicit parameters");

    // Bad points: off the curve, the point at infinity, the hybrid form, a short one.
    Bytes off_curve = ec_point(ec.get());
    off_curve.back() ^= 0x01;
    key_refused(spki_of(concat(kEcOid, kP256Oid), off_curve), "is not a point on prime256v1");
    key_refused(spki_of(concat(kEcOid, kP256Oid), {0x00}), "compressed or uncompressed");
    Bytes hybrid = ec_point(ec.get());
    hybrid[0] = 0x06;
    key_refused(spki_of(concat(kEcOid, kP256Oid), hybrid), "compressed or uncompressed");
    const Bytes point = ec_point(ec.get());
    key_refused(spki_of(concat(kEcOid, kP256Oid), Bytes(point.begin(), point.end() - 1)),
                "is not a point on prime256v1");

    // RSA: parameters NULL, the integers positive and in DER.
    const auto rsa = make_rsa_key();
    const Bytes rsa_spki = ca::public_key_der(rsa.get());
    const Bytes modulus(rsa_spki.end() - 5 - 257, rsa_spki.end() - 5);  // 00 + 256 octets
    const Bytes null = {0x05, 0x00};
    BOOST_REQUIRE(ca::public_key_from_info(
        spki_of(concat(kRsaOid, null), rsa_key_octets(modulus, {0x01, 0x00, 0x01}))));
    key_refused(spki_of(kRsaOid, rsa_key_octets(modulus, {0x01, 0x00, 0x01})), "not NULL");
    Bytes negative(modulus.begin() + 1, modulus.end());  // top bit set: negative
    key_refused(spki_of(concat(kRsaOid, null), rsa_key_octets(negative, {0x01, 0x00, 0x01})),
                "modulus is not a positive DER INTEGER");
    key_refused(spki_of(concat(kRsaOid, null), rsa_key_octets(modulus, {0x00, 0x03})),
                "exponent is not a positive DER INTEGER");
    key_refused(spki_of(concat(kRsaOid, null), concat(rsa_key_octets(modulus, {0x03}), {0x00})),
                "is not DER: data after its end");

    // Built, then judged as any key: e != 65537 and 1024-bit moduli refused as before.
    const EvpPkeyPtr e3 =
        ca::public_key_from_info(spki_of(concat(kRsaOid, null), rsa_key_octets(modulus, {0x03})));
    expect_error([&] { ca::check_rsa_public_exponent(e3.get()); }, Errc::invalid_argument,
                 "RSA public exponent 3 is not allowed");
    const auto small = make_rsa_key(1024);
    const EvpPkeyPtr built_small = ca::public_key_from_info(ca::public_key_der(small.get()));
    expect_error([&] { (void)ca::key_type_of(built_small.get()); }, Errc::invalid_argument,
                 "RSA key of 1024 bits is not supported");
}

BOOST_AUTO_TEST_CASE(csrs_of_every_key_type_give_their_key_and_its_info) {
    const std::vector<KeyType> all{KeyType::ec_p256, KeyType::ec_p384, KeyType::rsa_2048,
                                   KeyType::rsa_3072, KeyType::rsa_4096};
    const std::pair<EvpPkeyPtr, KeyType> keys[] = {
        {make_ec_key("P-256"), KeyType::ec_p256}, {make_ec_key("P-384"), KeyType::ec_p384},
        {make_rsa_key(2048), KeyType::rsa_2048},  {make_rsa_key(3072), KeyType::rsa_3072},
        {make_rsa_key(4096), KeyType::rsa_4096}};
    for (const auto& [key, type] : keys) {
        for (const bool pss : {false, true}) {
            if (pss && is_ec(type))
                continue;
            const auto request = ca::parse_certificate_request(
                csr_der(key.get(), key.get(), EVP_sha384(), pss), all);
            BOOST_CHECK(request.key_type == type);
            BOOST_CHECK_EQUAL(EVP_PKEY_eq(request.public_key.get(), key.get()), 1);
            BOOST_CHECK(request.public_key_info == ca::public_key_der(key.get()));
            BOOST_CHECK_EQUAL(request.subject, "CN=ignored");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_csr_with_a_bad_key_or_structure_is_refused_by_name) {
    const std::vector<KeyType> all{KeyType::ec_p256, KeyType::rsa_2048};
    const auto key = make_ec_key();
    const auto other = make_ec_key();
    const Bytes good = csr_der(key.get(), key.get(), EVP_sha256());
    const auto refused_csr = [&](const Bytes& csr, const std::string& needle) {
        expect_error([&] { (void)ca::parse_certificate_request(csr, all); },
                     Errc::invalid_argument, needle);
    };
    // The point off its curve: refused before any signature is tried.
    Bytes bad_point = good;
    bad_point[offset_of(good, ec_point(key.get())) + 64] ^= 0x01;
    refused_csr(bad_point, "CSR key: the EC point is not a point on prime256v1");
    // Truncated, and a version other than v1 (0): not a PKCS#10 request.
    refused_csr(Bytes(good.begin(), good.end() - 1), "CSR is neither DER nor PEM PKCS#10");
    Bytes v2 = good;
    const Bytes version = {0x02, 0x01, 0x00};
    v2[offset_of(good, version) + 2] = 0x01;
    refused_csr(v2, "its version is not v1 (0)");
    // Signed by another key: possession not proved.
    refused_csr(csr_der(key.get(), other.get(), EVP_sha256()),
                "CSR signature does not verify (proof of possession failed)");
    // A tampered subject changes the signed bytes: the signature is over what the CSR carries.
    Bytes tampered = good;
    tampered[offset_of(good, {'i', 'g', 'n', 'o', 'r', 'e', 'd'})] = 'I';
    refused_csr(tampered, "CSR signature does not verify");
}

BOOST_AUTO_TEST_CASE(certificate_fields_read_back_are_what_d2i_x509_reads) {
    const auto ca_key = make_ec_key();
    const auto ca = make_ca(ca_key.get(), {"1.3.6.1.4.1.99999.2.1"});
    for (const auto& subject_key : {make_ec_key("P-384"), make_rsa_key()}) {
        auto tmpl = end_entity({"1.3.6.1.4.1.99999.2.1"});
        tmpl.extended_key_usage = {"1.3.6.1.5.5.7.3.4"};
        tmpl.dns_names = {"signer.example.com"};
        tmpl.ocsp_url = "http://ocsp.example.com";
        const Bytes spki = ca::public_key_der(subject_key.get());
        X509Ptr cert = ca::build_certificate(tmpl, spki, ca.get());
        ca::sign_certificate(cert.get(), ca_key.get());
        const Bytes der = ca::certificate_der(cert.get());

        const X509Ptr decoded = ca::certificate_from_der(der);
        const auto fields = ca::certificate_fields_from_der(der);
        // Every field the TBS encodes, byte for byte, and the key not decoded.
        BOOST_CHECK(ca::tbs_der(fields.certificate.get()) == ca::tbs_der(decoded.get()));
        BOOST_CHECK(fields.public_key_info == spki);
        BOOST_CHECK(X509_get0_pubkey(fields.certificate.get()) == nullptr);
        BOOST_CHECK(!fields.unique_identifiers);
        BOOST_CHECK_EQUAL(X509_get_ext_count(fields.certificate.get()),
                          X509_get_ext_count(decoded.get()));

        expect_error([&] { (void)ca::certificate_fields_from_der(Bytes(der.begin(), der.end() - 1)); },
                     Errc::invalid_argument, "not one DER certificate");
        expect_error([&] { (void)ca::certificate_fields_from_der(concat(der, {0x00})); },
                     Errc::invalid_argument, "not one DER certificate");
    }
}

BOOST_AUTO_TEST_CASE(lint_refuses_a_key_its_der_cannot_build) {
    const auto ca_key = make_ec_key();
    const auto ca = make_ca(ca_key.get());
    const auto key = make_ec_key();
    Bytes point = ec_point(key.get());
    point.back() ^= 0x01;  // off the curve: no relying party can use it
    const auto tmpl = end_entity();
    X509Ptr cert = ca::build_certificate(tmpl, spki_of(concat(kEcOid, kP256Oid), point), ca.get());
    ca::set_signature_algorithm(cert.get(), KeyType::ec_p256);
    BOOST_CHECK(contains(rules_of(cert.get(), ca.get(), tmpl), "signet.key_type"));

    const auto k1 = make_ec_key("secp256k1");
    X509Ptr other = ca::build_certificate(tmpl, ca::public_key_der(k1.get()), ca.get());
    ca::set_signature_algorithm(other.get(), KeyType::ec_p256);
    BOOST_CHECK(contains(rules_of(other.get(), ca.get(), tmpl), "signet.key_type"));

    X509Ptr good = ca::build_certificate(tmpl, ca::public_key_der(key.get()), ca.get());
    ca::set_signature_algorithm(good.get(), KeyType::ec_p256);
    BOOST_CHECK(rules_of(good.get(), ca.get(), tmpl).empty());
}

BOOST_AUTO_TEST_CASE(lint_refuses_unique_identifiers) {
    // RFC 5280 §4.1.2.8: "CAs conforming to this profile MUST NOT generate certificates with
    // unique identifiers." A certificate with an issuerUniqueID [1] spliced in after its key.
    const auto ca_key = make_ec_key();
    const auto ca = make_ca(ca_key.get());
    const auto key = make_ec_key();
    const auto tmpl = end_entity();
    X509Ptr cert = ca::build_certificate(tmpl, ca::public_key_der(key.get()), ca.get());
    ca::sign_certificate(cert.get(), ca_key.get());
    const Bytes der = ca::certificate_der(cert.get());
    const der::Element certificate = der::read_only(der, der::kSequence, "certificate");
    ByteView parts = certificate.content;
    const der::Element tbs = der::read(parts, der::kSequence, "tbs");
    Bytes fields;
    for (const der::Element& field : der::read_all(tbs.content, 16, "tbs fields")) {
        if (field.tag == der::kContext3)
            fields.insert(fields.end(), {0x81, 0x02, 0x00, 0xaa});  // issuerUniqueID
        fields.insert(fields.end(), field.encoding.begin(), field.encoding.end());
    }
    Bytes content = der_tlv(der::kSequence, fields);
    content.insert(content.end(), parts.begin(), parts.end());  // signatureAlgorithm, signature
    const Bytes with_uid = der_tlv(der::kSequence, content);

    const auto read_back = ca::certificate_fields_from_der(with_uid);
    BOOST_CHECK(read_back.unique_identifiers);
    const X509Ptr decoded = ca::certificate_from_der(with_uid);
    BOOST_CHECK(contains(rules_of(decoded.get(), ca.get(), tmpl), "rfc5280.unique_identifiers"));
    BOOST_CHECK(!contains(rules_of(cert.get(), ca.get(), tmpl), "rfc5280.unique_identifiers"));
}

BOOST_AUTO_TEST_SUITE_END()
