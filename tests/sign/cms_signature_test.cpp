// sign::sign_detached and sign::add_validation_data on a real SoftHSM token (the person's key
// generated there and kept wrapped), a CA from a real key ceremony, the TSA in process and the
// OCSP responder's signer; judged by `openssl cms -verify` and `openssl ts -verify` trusting only
// the root.
#include <openssl/cms.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "ca/x509.hpp"
#include "common/der.hpp"
#include "sign/cms_verify.hpp"
#include "tests/sign/sign_fixture.hpp"
#include "tests/support/expect.hpp"
#include "tsa/identity.hpp"
#include "tsa/serials.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

const std::string kContent = "Contract 2026-0042: the parties agree on the delivery of 12 units.";

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

bool contains(ByteView haystack, ByteView needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
           haystack.end();
}

// The outer SignerInfo's signed attributes as `openssl cms -print` shows them (the time-stamp
// token printed after them has a SignerInfo of its own, with the TSA's signingTime).
std::string signed_attributes(const std::string& printed) {
    const auto from = printed.find("signedAttrs:");
    const auto to = printed.find("unsignedAttrs:", from);
    BOOST_REQUIRE(from != std::string::npos && to != std::string::npos);
    return printed.substr(from, to - from);
}

// Counts the HSM's signatures, to show that a refusal came before the HSM was asked.
class CountingSigner final : public hsm::Signer {
  public:
    explicit CountingSigner(std::shared_ptr<const hsm::Signer> inner) : inner_(std::move(inner)) {}
    KeyType key_type() const noexcept override { return inner_->key_type(); }
    EVP_PKEY* public_key() const noexcept override { return inner_->public_key(); }
    Bytes sign_digest(Digest d, hsm::Padding p, ByteView digest) const override {
        ++calls;
        return inner_->sign_digest(d, p, digest);
    }
    mutable std::atomic<int> calls{0};

  private:
    std::shared_ptr<const hsm::Signer> inner_;
};

// A B-T signature checked by both openssl tools: cms -verify over the content, ts -verify of the
// token over the SHA-256 of the signature value (RFC 3161 appendix A).
void check_with_openssl(SignFixture& f, const Bytes& cms, const std::string& name,
                        Digest digest = Digest::sha256) {
    const auto path = f.save(name + ".p7s", cms);
    const auto content = f.save(name + ".txt", as_bytes(kContent));
    const auto verified = openssl_cms_verify(f, path, content);
    BOOST_CHECK_MESSAGE(
        verified.exit_code == 0 && contains(verified.output, "Verification successful"),
        verified.output);
    const StampedSignature stamped = stamped_signature(cms);
    const Bytes imprint = sign::digest_content(digest, stamped.signature_value).value;
    const auto timestamp = run_command({"openssl", "ts", "-verify", "-digest", to_hex(imprint),
                                        "-in", f.save(name + ".tst", stamped.token), "-token_in",
                                        "-CAfile", f.root_pem(), "-untrusted", f.issuing_pem()});
    BOOST_CHECK_MESSAGE(timestamp.exit_code == 0 && contains(timestamp.output, "Verification: OK"),
                        timestamp.output);
    // The seed corpus of fuzz/cms_verify_fuzz.cpp is made of these.
    if (const char* corpus = std::getenv("SIGNET_CMS_CORPUS_DIR"))
        write_file(std::filesystem::path(corpus) / (name + ".p7s"),
                   std::string(cms.begin(), cms.end()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cms_signature)

BOOST_AUTO_TEST_CASE(ec_signature_is_b_t_without_signing_time_and_openssl_accepts_it) {
    SignFixture f("sign_ec");
    const Person person = f.issue_person(KeyType::ec_p256);
    const Bytes cms = f.sign(person, as_bytes(kContent));
    check_with_openssl(f, cms, "ec");

    const std::string printed = openssl_cms_print(f.save("ec.p7s", cms));
    BOOST_CHECK_MESSAGE(!contains(signed_attributes(printed), "signingTime"), printed);
    for (const char* expected : {"contentType", "messageDigest", "id-smime-aa-signingCertificateV2",
                                 "id-smime-aa-timeStampToken", "ecdsa-with-SHA256"})
        BOOST_CHECK_MESSAGE(contains(printed, expected), expected << " not in " << printed);

    // ESSCertIDv2 (RFC 5035): the SHA-256 of the certificate (the default hash, left out) and
    // issuerSerial: the issuer's name and the serial.
    const unsigned char* cursor = cms.data();
    const CmsPtr parsed(d2i_CMS_ContentInfo(nullptr, &cursor, static_cast<long>(cms.size())));
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(parsed.get()), 0);
    const auto* ess = static_cast<const ASN1_STRING*>(CMS_signed_get0_data_by_OBJ(
        si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3, V_ASN1_SEQUENCE));
    BOOST_REQUIRE(ess != nullptr);
    const ByteView value(ASN1_STRING_get0_data(ess),
                         static_cast<std::size_t>(ASN1_STRING_length(ess)));
    X509* certificate = person.signer.certificate.get();
    BOOST_CHECK(contains(
        value, sign::digest_content(Digest::sha256, ca::certificate_der(certificate)).value));
    BOOST_CHECK(contains(value, to_der(i2d_X509_NAME, X509_get_issuer_name(certificate))));
    BOOST_CHECK(contains(value, person.issued.record.serial));
    BOOST_CHECK(!contains(printed, "sha256WithRSAEncryption"));
}

BOOST_AUTO_TEST_CASE(rsa_pkcs1_and_pss_signatures_with_sha256_and_sha384) {
    SignFixture f("sign_rsa");
    const Person person = f.issue_person(KeyType::rsa_2048);
    const Bytes pkcs1 = f.sign(person, as_bytes(kContent));
    check_with_openssl(f, pkcs1, "rsa-pkcs1");
    BOOST_CHECK(
        contains(openssl_cms_print(f.save("rsa-pkcs1.p7s", pkcs1)), "sha256WithRSAEncryption"));

    sign::CmsSignOptions pss;
    pss.rsa_padding = hsm::Padding::pss;
    const Bytes with_pss = f.sign(person, as_bytes(kContent), pss, Digest::sha384);
    check_with_openssl(f, with_pss, "rsa-pss", Digest::sha384);
    const std::string printed = openssl_cms_print(f.save("rsa-pss.p7s", with_pss));
    BOOST_CHECK_MESSAGE(contains(printed, "rsassaPss") && contains(printed, "sha384"), printed);

    sign::CmsSignOptions ecdsa;
    ecdsa.rsa_padding = hsm::Padding::ecdsa;
    expect_error([&] { f.sign(person, as_bytes(kContent), ecdsa); }, Errc::invalid_argument,
                 "PKCS#1 v1.5 or PSS");
}

BOOST_AUTO_TEST_CASE(sha512_content_digest_and_chunked_hashing) {
    SignFixture f("sign_sha512");
    const Person person = f.issue_person(KeyType::ec_p256);
    sign::ContentHasher hasher(Digest::sha512);
    hasher.update(as_bytes(std::string_view(kContent).substr(0, 10)));
    hasher.update(as_bytes(std::string_view(kContent).substr(10)));
    const sign::ContentDigest digest = hasher.finish();
    BOOST_CHECK(digest.value == sign::digest_content(Digest::sha512, as_bytes(kContent)).value);
    expect_error([&] { hasher.finish(); }, Errc::failed_precondition, "already finished");

    const Bytes cms = sign::sign_detached(digest, person.signer, f.time_stamper());
    check_with_openssl(f, cms, "sha512", Digest::sha512);
    BOOST_CHECK(contains(openssl_cms_print(f.save("sha512.p7s", cms)), "ecdsa-with-SHA512"));
}

BOOST_AUTO_TEST_CASE(a_changed_content_byte_fails_openssl_and_our_verifier) {
    SignFixture f("sign_tamper");
    const Person person = f.issue_person(KeyType::ec_p256);
    const Bytes cms = f.sign(person, as_bytes(kContent));
    std::string changed = kContent;
    changed[9] ^= 0x01;
    const auto verdict =
        openssl_cms_verify(f, f.save("tamper.p7s", cms), f.save("changed.txt", as_bytes(changed)));
    BOOST_CHECK_MESSAGE(verdict.exit_code != 0 && contains(verdict.output, "content verify error"),
                        verdict.output);
    const auto report = sign::verify_detached(cms, as_bytes(changed), {{}, f.clock->now(), {}});
    BOOST_REQUIRE_EQUAL(report.signers.size(), 1u);
    BOOST_CHECK(!report.signers[0].digest_matches);
    BOOST_CHECK(report.signers[0].level == sign::Level::none);
    BOOST_CHECK(!report.signers[0].valid);
}

BOOST_AUTO_TEST_CASE(a_certificate_not_of_the_key_is_refused_before_the_hsm_signs) {
    SignFixture f("sign_wrong_certificate");
    const Person alice = f.issue_person(KeyType::ec_p256);
    const Person bob = f.issue_person(KeyType::ec_p256);
    auto counting = std::make_shared<CountingSigner>(alice.signer.key);
    sign::CmsSigner mixed;
    mixed.key = counting;
    mixed.certificate = ca::certificate_from_der(ca::certificate_der(bob.signer.certificate.get()));
    int stamps = 0;
    const sign::TimeStamper stamper = [&](Digest d, ByteView imprint) {
        ++stamps;
        return f.time_stamper()(d, imprint);
    };
    const auto digest = sign::digest_content(Digest::sha256, as_bytes(kContent));
    expect_error([&] { sign::sign_detached(digest, mixed, stamper); }, Errc::invalid_argument,
                 "does not hold the signing key's public key");
    BOOST_CHECK_EQUAL(counting->calls.load(), 0);
    BOOST_CHECK_EQUAL(stamps, 0);

    sign::ContentDigest short_digest{Digest::sha256, Bytes(20, 0x5a)};
    mixed.certificate =
        ca::certificate_from_der(ca::certificate_der(alice.signer.certificate.get()));
    expect_error([&] { sign::sign_detached(short_digest, mixed, stamper); }, Errc::invalid_argument,
                 "the content digest has 20 bytes");
    expect_error([&] { sign::sign_detached(digest, mixed, nullptr); }, Errc::invalid_argument,
                 "needs a time-stamper");
    BOOST_CHECK_EQUAL(counting->calls.load(), 0);
    sign::sign_detached(digest, mixed, stamper);  // the same key and its own certificate: signed
    BOOST_CHECK_EQUAL(counting->calls.load(), 1);
    BOOST_CHECK_EQUAL(stamps, 1);
}

BOOST_AUTO_TEST_CASE(tsa_unavailable_is_a_clear_error_and_no_signature) {
    SignFixture f("sign_tsa_down");
    const Person person = f.issue_person(KeyType::ec_p256);
    Clock::Health unhealthy;
    unhealthy.synchronized = false;
    unhealthy.detail = "test: clock not synchronised";
    f.clock->set_health(unhealthy);
    expect_error([&] { f.sign(person, as_bytes(kContent)); }, Errc::unavailable,
                 "the TSA refused the time-stamp (timeNotAvailable)");
    f.clock->set_health({});
    BOOST_CHECK(!f.sign(person, as_bytes(kContent)).empty());

    // A digest the TSA's policy does not take: refused before the TSA is asked.
    policy::TsaSettings settings;
    settings.digests = {Digest::sha256};
    tsa::ResponderOptions options;
    BOOST_TEST_MESSAGE("a TSA that takes SHA-256 imprints only");
    auto identity = tsa::load_signing_identity(*f.certificates, *f.token, "tsa");
    options.settings = settings;
    options.identity = std::move(*identity);
    options.clock = f.clock;
    auto hsm_token = f.token;
    options.serials = std::make_shared<tsa::RandomSerials>(
        [hsm_token](std::size_t n) { return hsm_token->random(n); });
    options.journal = f.journal;
    tsa::Responder sha256_only(std::move(options));
    const auto stamper = sign::tsa_time_stamper(sha256_only, {std::nullopt, "in-process"});
    expect_error([&] { stamper(Digest::sha384, Bytes(48, 1)); }, Errc::failed_precondition,
                 "does not accept SHA384");
}

BOOST_AUTO_TEST_CASE(a_token_over_something_else_is_refused) {
    SignFixture f("sign_bad_token");
    const Person person = f.issue_person(KeyType::ec_p256);
    const sign::TimeStamper elsewhere = [&](Digest d, ByteView) {
        return f.time_stamper()(d, Bytes(digest_size(d), 0x42));
    };
    expect_error(
        [&] {
            sign::sign_detached(sign::digest_content(Digest::sha256, as_bytes(kContent)),
                                person.signer, elsewhere);
        },
        Errc::internal, "not the signature value's hash");
    const sign::TimeStamper garbage = [](Digest, ByteView) { return Bytes{0x30, 0x00}; };
    expect_error(
        [&] {
            sign::sign_detached(sign::digest_content(Digest::sha256, as_bytes(kContent)),
                                person.signer, garbage);
        },
        Errc::internal, "the time-stamper's token is unusable");
}

BOOST_AUTO_TEST_CASE(signing_time_only_when_asked) {
    SignFixture f("sign_signing_time");
    const Person person = f.issue_person(KeyType::ec_p256);
    sign::CmsSignOptions options;
    options.signing_time = f.clock->now();
    const Bytes cms = f.sign(person, as_bytes(kContent), options);
    check_with_openssl(f, cms, "signing-time");
    BOOST_CHECK(contains(signed_attributes(openssl_cms_print(f.save("signing-time.p7s", cms))),
                         "signingTime"));
}

BOOST_AUTO_TEST_SUITE_END()
