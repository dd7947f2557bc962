// sign::add_validation_data: B-LT's certificates, CRLs and OCSP responses (RFC 5940) put into
// SignedData without touching a signed byte; openssl still verifies the result.
#include "sign/validation_data.hpp"

#include <openssl/cms.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "sign/cms_verify.hpp"
#include "sign/der_reader.hpp"
#include "tests/sign/sign_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

const std::string kSignedContent = "Annex A: delivery schedule, three pages.";

bool has_text(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

// The SignerInfos' encoding: the last element of the SignedData, as the CMS holds it.
Bytes signer_infos(const Bytes& cms) {
    const ByteView set = sign::der::split_signed_data(cms).signer_infos.encoding;
    return Bytes(set.begin(), set.end());
}

bool contains_bytes(const Bytes& haystack, const Bytes& needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
           haystack.end();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(validation_data)

BOOST_AUTO_TEST_CASE(b_lt_data_goes_into_signed_data_and_the_signature_stays) {
    SignFixture f("sign_lt");
    const Person person = f.issue_person(KeyType::ec_p256);
    const Bytes b_t = f.sign(person, as_bytes(kSignedContent));
    const sign::ValidationData data = f.validation_data(person);
    const Bytes b_lt = sign::add_validation_data(b_t, data);

    // Byte for byte the same SignerInfo (signature, signed attributes, time-stamp token).
    const Bytes before = signer_infos(b_t);
    BOOST_CHECK(signer_infos(b_lt) == before);
    BOOST_CHECK(contains_bytes(b_lt, before));
    BOOST_CHECK(stamped_signature(b_lt).signature_value == stamped_signature(b_t).signature_value);
    BOOST_CHECK(stamped_signature(b_lt).token == stamped_signature(b_t).token);
    const auto path = f.save("lt.p7s", b_lt);
    const auto verified = openssl_cms_verify(f, path, f.save("lt.txt", as_bytes(kSignedContent)));
    BOOST_CHECK_MESSAGE(
        verified.exit_code == 0 && has_text(verified.output, "Verification successful"),
        verified.output);
    // RFC 5652 §5.1: other revocation info makes it version 5; EN 319 122-1 B-LT: no
    // certificate-values or revocation-values attributes.
    const std::string printed = openssl_cms_print(path);
    BOOST_CHECK_MESSAGE(has_text(printed, "version: 5"), printed);
    BOOST_CHECK(!has_text(printed, "id-smime-aa-ets-certValues"));
    BOOST_CHECK(!has_text(printed, "id-smime-aa-ets-revocationValues"));
    BOOST_CHECK_MESSAGE(has_text(printed, "1.3.6.1.5.5.7.16.2") || has_text(printed, "ocsp"),
                        printed);
    if (const char* corpus = std::getenv("SIGNET_CMS_CORPUS_DIR"))
        write_file(std::filesystem::path(corpus) / "b-lt.p7s",
                   std::string(b_lt.begin(), b_lt.end()));

    // Adding the same data again changes nothing; adding to a B-LT is allowed.
    BOOST_CHECK(sign::add_validation_data(b_lt, data) == b_lt);
    BOOST_CHECK(sign::add_validation_data(b_lt, {}) == b_lt);
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_and_changes_nothing) {
    SignFixture f("sign_lt_refusals");
    const Person person = f.issue_person(KeyType::ec_p256);
    const Bytes cms = f.sign(person, as_bytes(kSignedContent));

    sign::ValidationData garbage_certificate;
    garbage_certificate.certificates = {Bytes{0x30, 0x03, 0x02, 0x01, 0x01}};
    expect_error([&] { sign::add_validation_data(cms, garbage_certificate); },
                 Errc::invalid_argument, "certificate 1 does not decode");
    sign::ValidationData trailing_crl;
    trailing_crl.crls = {f.root_crl()};
    trailing_crl.crls[0].push_back(0x00);
    expect_error([&] { sign::add_validation_data(cms, trailing_crl); }, Errc::invalid_argument,
                 "CRL 1");
    // OCSPResponse { responseStatus malformedRequest }: no status in it (RFC 6960 §4.2.1).
    sign::ValidationData unsuccessful;
    unsuccessful.ocsp_responses = {Bytes{0x30, 0x03, 0x0a, 0x01, 0x01}};
    expect_error([&] { sign::add_validation_data(cms, unsuccessful); }, Errc::invalid_argument,
                 "OCSP response 1 is not a successful response");
    sign::ValidationData too_many;
    too_many.crls.assign(sign::kMaxValidationItems + 1, f.root_crl());
    expect_error([&] { sign::add_validation_data(cms, too_many); }, Errc::invalid_argument,
                 "at most 64 items");

    expect_error([&] { sign::add_validation_data({}, {}); }, Errc::invalid_argument,
                 "between 1 byte");
    expect_error(
        [&] {
            sign::add_validation_data(Bytes{0x30, 0x80, 0x00, 0x00}, {});
        },
        Errc::invalid_argument, "not a CMS SignedData");
    Bytes truncated(cms.begin(), cms.end() - 1);
    expect_error([&] { sign::add_validation_data(truncated, {}); }, Errc::invalid_argument,
                 "not a CMS SignedData");

    // BER (indefinite lengths, as streaming producers write) cannot be copied byte for byte.
    const auto key = (f.dir.path() / "software.key").string();
    const auto certificate = (f.dir.path() / "software.pem").string();
    const auto made = run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                   "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                                   "/CN=Software Signer", "-keyout", key, "-out", certificate});
    BOOST_REQUIRE_MESSAGE(made.exit_code == 0, made.output);
    const auto ber_path = (f.dir.path() / "ber.p7s").string();
    const auto signed_ber =
        run_command({"openssl", "cms", "-sign", "-binary", "-stream", "-outform", "DER", "-in",
                     f.save("ber.txt", as_bytes(kSignedContent)), "-signer", certificate, "-inkey", key,
                     "-out", ber_path});
    BOOST_REQUIRE_MESSAGE(signed_ber.exit_code == 0, signed_ber.output);
    const std::string ber = read_file(ber_path);
    expect_error([&] { sign::add_validation_data(as_bytes(ber), {}); }, Errc::invalid_argument,
                 "an indefinite length");
}

BOOST_AUTO_TEST_SUITE_END()
