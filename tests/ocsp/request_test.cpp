// The OCSP request decoder (ocsp/request.hpp) on requests the openssl command line makes
// (`openssl ocsp -reqout`), and on each way a request can be malformed. No HSM, no database.
#include "ocsp/request.hpp"

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/test/unit_test.hpp>

#include "common/der.hpp"
#include "common/handle.hpp"
#include "tests/ocsp/ocsp_test_util.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

// A CA made by the openssl command line, and requests about it made the same way.
struct Fixture {
    TempDir dir;
    std::string ca = (dir / "ca.pem").string();

    Fixture() {
        const auto made = run_command(
            {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-subj", "/CN=Request Test CA/O=Signet Tests/C=CN", "-days", "30",
             "-keyout", (dir / "ca.key").string(), "-out", ca});
        BOOST_REQUIRE_MESSAGE(made.exit_code == 0, made.output);
    }

    // `openssl ocsp` with `extra` (serials, -sha256, -nonce...) and -reqout.
    Bytes request(std::vector<std::string> extra) {
        std::vector<std::string> argv{"openssl", "ocsp", "-issuer", ca};
        argv.insert(argv.end(), extra.begin(), extra.end());
        const auto out = (dir / "req.der").string();
        argv.insert(argv.end(), {"-reqout", out});
        const auto made = run_command(argv);
        BOOST_REQUIRE_MESSAGE(made.exit_code == 0, made.output);
        const std::string der = read_file(out);
        return Bytes(der.begin(), der.end());
    }

    X509Ptr ca_certificate() const {
        const std::string pem = read_file(ca);
        BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
        return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    }
};

Bytes hash_of(const EVP_MD* md, ByteView data) {
    Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
    BOOST_REQUIRE_EQUAL(EVP_Digest(data.data(), data.size(), out.data(), nullptr, md, nullptr), 1);
    return out;
}

// A request for one serial with a nonce extension whose extnValue is `value` (any bytes).
Bytes request_with_nonce_value(Fixture& f, ByteView value, bool critical = false) {
    const Bytes plain = f.request({"-serial", "0x1234", "-no_nonce"});
    const unsigned char* p = plain.data();
    OcspRequestPtr request(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(plain.size())));
    Asn1OctetStringPtr octets(ASN1_OCTET_STRING_new());
    ASN1_OCTET_STRING_set(octets.get(), value.data(), static_cast<int>(value.size()));
    X509ExtensionPtr ext(X509_EXTENSION_create_by_NID(nullptr, NID_id_pkix_OCSP_Nonce,
                                                      critical ? 1 : 0, octets.get()));
    BOOST_REQUIRE(ext);
    BOOST_REQUIRE_EQUAL(OCSP_REQUEST_add_ext(request.get(), ext.get(), -1), 1);
    return to_der(i2d_OCSP_REQUEST, static_cast<const OCSP_REQUEST*>(request.get()));
}

Bytes nonce_of_size(std::size_t n) {
    Bytes value{0x04, static_cast<std::uint8_t>(n)};
    for (std::size_t i = 0; i < n; ++i)
        value.push_back(static_cast<std::uint8_t>(0xa0 + i));
    return value;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ocsp_request)

BOOST_AUTO_TEST_CASE(sha1_and_sha256_requests_of_openssl_decode_to_their_certids) {
    Fixture f;
    const X509Ptr ca = f.ca_certificate();
    BOOST_REQUIRE(ca);
    const Bytes name = to_der(i2d_X509_NAME,
                              static_cast<const X509_NAME*>(X509_get_subject_name(ca.get())));
    const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(ca.get());
    const ByteView key_bits(ASN1_STRING_get0_data(key),
                            static_cast<std::size_t>(ASN1_STRING_length(key)));

    const auto sha1 = ocsp::decode_request(f.request({"-serial", "0x01ab", "-no_nonce"}), 8);
    BOOST_REQUIRE_EQUAL(sha1.ids.size(), 1u);
    BOOST_CHECK(sha1.ids[0].hash == ocsp::CertIdHash::sha1);
    BOOST_CHECK(sha1.ids[0].issuer_name_hash == hash_of(EVP_sha1(), name));
    BOOST_CHECK(sha1.ids[0].issuer_key_hash == hash_of(EVP_sha1(), key_bits));
    BOOST_CHECK(sha1.ids[0].serial == (Bytes{0x01, 0xab}));
    BOOST_CHECK(!sha1.nonce.has_value());

    // A serial whose top bit is set keeps its leading zero octet (DER INTEGER content).
    const auto sha256 =
        ocsp::decode_request(f.request({"-sha256", "-serial", "0x80ff", "-no_nonce"}), 8);
    BOOST_REQUIRE_EQUAL(sha256.ids.size(), 1u);
    BOOST_CHECK(sha256.ids[0].hash == ocsp::CertIdHash::sha256);
    BOOST_CHECK(sha256.ids[0].issuer_name_hash == hash_of(EVP_sha256(), name));
    BOOST_CHECK(sha256.ids[0].issuer_key_hash == hash_of(EVP_sha256(), key_bits));
    BOOST_CHECK(sha256.ids[0].serial == (Bytes{0x00, 0x80, 0xff}));

    // openssl's -nonce: 16 random octets in an OCTET STRING.
    const auto with_nonce = ocsp::decode_request(f.request({"-serial", "7", "-nonce"}), 8);
    BOOST_REQUIRE(with_nonce.nonce.has_value());
    BOOST_CHECK_EQUAL(with_nonce.nonce->size(), 16u);
}

BOOST_AUTO_TEST_CASE(several_certids_up_to_the_limit_and_not_one_more) {
    Fixture f;
    const Bytes three =
        f.request({"-serial", "1", "-serial", "2", "-serial", "3", "-no_nonce"});
    const auto decoded = ocsp::decode_request(three, 3);
    BOOST_REQUIRE_EQUAL(decoded.ids.size(), 3u);
    BOOST_CHECK(decoded.ids[0].serial == Bytes{1});
    BOOST_CHECK(decoded.ids[2].serial == Bytes{3});
    expect_error([&] { ocsp::decode_request(three, 2); }, Errc::invalid_argument,
                 "names 3 certificates; at most 2");

    // No CertID at all: an OCSPRequest with an empty requestList.
    OcspRequestPtr empty(OCSP_REQUEST_new());
    const Bytes none = to_der(i2d_OCSP_REQUEST, static_cast<const OCSP_REQUEST*>(empty.get()));
    expect_error([&] { ocsp::decode_request(none, 8); }, Errc::invalid_argument,
                 "names no certificate");
}

BOOST_AUTO_TEST_CASE(nonces_of_1_to_32_octets_are_taken_0_and_33_are_not) {
    Fixture f;
    for (std::size_t n : {1u, 32u}) {
        const Bytes value = nonce_of_size(n);
        const auto decoded = ocsp::decode_request(request_with_nonce_value(f, value), 8);
        BOOST_REQUIRE(decoded.nonce.has_value());
        BOOST_CHECK(*decoded.nonce == Bytes(value.begin() + 2, value.end()));
    }
    for (std::size_t n : {0u, 33u}) {
        expect_error([&] { ocsp::decode_request(request_with_nonce_value(f, nonce_of_size(n)), 8); },
                     Errc::invalid_argument, "RFC 9654 section 2.1 allows 1 to 32");
    }
    // The nonce's octets without their OCTET STRING (what some old clients send).
    expect_error(
        [&] {
            ocsp::decode_request(request_with_nonce_value(f, Bytes{0x01, 0x02, 0x03, 0x04}), 8);
        },
        Errc::invalid_argument, "not an OCTET STRING");
    // A critical nonce is understood, so accepted.
    BOOST_CHECK(ocsp::decode_request(request_with_nonce_value(f, nonce_of_size(8), true), 8)
                    .nonce.has_value());
}

BOOST_AUTO_TEST_CASE(ber_forms_trailing_bytes_truncation_and_emptiness_are_refused) {
    Fixture f;
    const Bytes good = f.request({"-serial", "0x1234", "-no_nonce"});
    BOOST_REQUIRE(good.size() < 128);  // the outer length is in short form
    const Bytes content(good.begin() + 2, good.end());

    Bytes indefinite{0x30, 0x80};
    indefinite.insert(indefinite.end(), content.begin(), content.end());
    indefinite.insert(indefinite.end(), {0x00, 0x00});
    expect_error([&] { ocsp::decode_request(indefinite, 8); }, Errc::invalid_argument,
                 "not DER-encoded");

    Bytes long_length{0x30, 0x81, static_cast<std::uint8_t>(content.size())};
    long_length.insert(long_length.end(), content.begin(), content.end());
    expect_error([&] { ocsp::decode_request(long_length, 8); }, Errc::invalid_argument,
                 "not DER-encoded");

    Bytes trailing = good;
    trailing.push_back(0x00);
    expect_error([&] { ocsp::decode_request(trailing, 8); }, Errc::invalid_argument,
                 "bytes after the OCSPRequest");

    const Bytes truncated(good.begin(), good.end() - 1);
    expect_error([&] { ocsp::decode_request(truncated, 8); }, Errc::invalid_argument,
                 "not an OCSPRequest");
    expect_error([&] { ocsp::decode_request(Bytes{}, 8); }, Errc::invalid_argument, "empty");
    expect_error([&] { ocsp::decode_request(as_bytes("GET / HTTP/1.1\r\n\r\n"), 8); },
                 Errc::invalid_argument, "not an OCSPRequest");
    const Bytes huge(ocsp::kMaxRequestBytes + 1, 0x30);
    expect_error([&] { ocsp::decode_request(huge, 8); }, Errc::invalid_argument, "larger than");

    // v1 written out: DER omits a DEFAULT value (X.690 §11.5).
    expect_error([&] { ocsp::decode_request(with_explicit_version(good), 8); },
                 Errc::invalid_argument, "carries a version");
}

BOOST_AUTO_TEST_CASE(hashes_other_than_sha1_and_sha256_and_unknown_critical_extensions_are_refused) {
    Fixture f;
    expect_error(
        [&] { ocsp::decode_request(f.request({"-sha384", "-serial", "1", "-no_nonce"}), 8); },
        Errc::invalid_argument, "other than SHA-1 or SHA-256");

    const Bytes plain = f.request({"-serial", "0x1234", "-no_nonce"});
    const auto with_extension = [&](bool critical) {
        const unsigned char* p = plain.data();
        OcspRequestPtr request(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(plain.size())));
        // id-pkix-ocsp-service-locator (RFC 6960 §4.4.6) with a NULL for a value: an extension
        // the responder does not act on.
        Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
        const unsigned char der_null[] = {0x05, 0x00};
        ASN1_OCTET_STRING_set(value.get(), der_null, 2);
        X509ExtensionPtr ext(X509_EXTENSION_create_by_NID(
            nullptr, NID_id_pkix_OCSP_serviceLocator, critical ? 1 : 0, value.get()));
        BOOST_REQUIRE(ext);
        OCSP_REQUEST_add_ext(request.get(), ext.get(), -1);
        return to_der(i2d_OCSP_REQUEST, static_cast<const OCSP_REQUEST*>(request.get()));
    };
    BOOST_CHECK_EQUAL(ocsp::decode_request(with_extension(false), 8).ids.size(), 1u);
    expect_error([&] { ocsp::decode_request(with_extension(true), 8); }, Errc::invalid_argument,
                 "critical extension");
}

BOOST_AUTO_TEST_CASE(a_signed_request_is_taken_and_its_signature_not_checked) {
    Fixture f;
    const Bytes signed_request =
        f.request({"-serial", "0x42", "-no_nonce", "-signer", f.ca, "-signkey",
                   (f.dir / "ca.key").string()});
    const unsigned char* p = signed_request.data();
    OcspRequestPtr parsed(
        d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(signed_request.size())));
    BOOST_REQUIRE(parsed);
    BOOST_REQUIRE_EQUAL(OCSP_request_is_signed(parsed.get()), 1);
    const auto decoded = ocsp::decode_request(signed_request, 8);
    BOOST_REQUIRE_EQUAL(decoded.ids.size(), 1u);
    BOOST_CHECK(decoded.ids[0].serial == Bytes{0x42});
}

BOOST_AUTO_TEST_SUITE_END()
