// sign::verify_document on documents signed with real parts (SoftHSM keys, a ceremony's CA, the
// TSA in process, OCSP and CRLs): PAdES levels on PDFs of every producer the tests make, one
// changed byte (pdfsig agrees), a page changed after signing, a signer revoked before signing,
// detached CAdES with and without its data, malformed input; and the JSON and text renderings.
#include "sign/verify_document.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "ca/x509.hpp"
#include "common/error.hpp"
#include "sign/verify_report.hpp"
#include "tests/sign/pades_kit.hpp"
#include "tests/sign/pdf_kit.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;
using sign::Level;
using sign::SignatureKind;

namespace {

sign::DocumentVerifyOptions trusting_root(const SignFixture& f) {
    sign::DocumentVerifyOptions options;
    options.trust_anchors.push_back(ca::certificate_from_der(ca::certificate_der(f.root.get())));
    options.now = f.clock->now() + std::chrono::hours(24);  // a later verifier
    return options;
}

sign::DocumentReport verified(const Bytes& bytes, const sign::DocumentVerifyOptions& options) {
    sign::DocumentReport report = sign::verify_document(bytes, options);
    BOOST_TEST_MESSAGE(sign::report_text(report));
    return report;
}

std::vector<Level> levels(const sign::DocumentReport& report) {
    std::vector<Level> out;
    for (const auto& check : report.signatures) {
        if (check.kind == SignatureKind::signature)
            out.push_back(check.level);
    }
    return out;
}

std::string text_of(const std::vector<Level>& levels) {
    std::string out;
    for (Level l : levels)
        out += std::string(out.empty() ? "" : " ") + std::string(sign::to_string(l));
    return out;
}

Bytes to_bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

// Seeds for fuzz/document_verify_fuzz.cpp, when the fuzz corpus directory is named.
void keep_seed(const std::string& name, const Bytes& bytes) {
    if (const char* corpus = std::getenv("SIGNET_DOCUMENT_VERIFY_CORPUS_DIR"))
        write_file(std::filesystem::path(corpus) / name, std::string(bytes.begin(), bytes.end()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(verify_document)

BOOST_AUTO_TEST_CASE(pades_levels_b_t_b_lt_b_lta_on_every_producer) {
    SignFixture f("verify_document_levels");
    const Person alice = f.issue_person(KeyType::ec_p256);
    const Person bob = f.issue_person(KeyType::rsa_2048);
    const auto options = trusting_root(f);
    for (const auto& [producer, original] : produced_pdfs(f.dir)) {
        BOOST_TEST_CONTEXT(producer) {
            const Bytes b_t = pades_sign(f, alice, original, "Alice");
            auto report = verified(b_t, options);
            BOOST_REQUIRE_EQUAL(report.signatures.size(), 1u);
            const auto& first = report.signatures[0];
            BOOST_CHECK(report.valid && first.valid && first.intact);
            BOOST_CHECK(first.level == Level::b_t);
            BOOST_CHECK_EQUAL(first.field_name, "Alice");
            BOOST_REQUIRE(first.time && first.signer);
            BOOST_CHECK(*first.time == *first.signer->time_stamp.time);
            BOOST_CHECK(first.coverage && first.coverage->covers_whole_file);
            BOOST_CHECK(first.signer->chain.trusted);

            // The DSS revision: B-LT; the signature no longer covers the whole file, and the
            // later revision only added the DSS.
            const Bytes b_lt = pades_add_dss(b_t, f.validation_data(alice));
            report = verified(b_lt, options);
            BOOST_CHECK_EQUAL(text_of(levels(report)), "B-LT");
            BOOST_CHECK(report.valid);
            BOOST_CHECK(!report.signatures[0].coverage->covers_whole_file);
            BOOST_CHECK(report.signatures[0].coverage->later_changes_permitted);

            // A second signer, a document time-stamp before the second signer's DSS: Alice's
            // data is under the time-stamp (B-LTA), Bob's came after it (B-LT only).
            const Bytes two = pades_sign(f, bob, b_lt, "Bob");
            BOOST_CHECK_EQUAL(text_of(levels(verified(two, options))), "B-LT B-T");
            const Bytes stamped = pades_add_document_timestamp(f, two);
            const Bytes late_dss = pades_add_dss(stamped, f.validation_data(bob));
            report = verified(late_dss, options);
            BOOST_CHECK_EQUAL(text_of(levels(report)), "B-LTA B-LT");
            BOOST_CHECK(report.valid);

            // The whole life: both signers' data in the DSS, then the document time-stamp.
            const Bytes lta = pades_add_document_timestamp(f, pades_add_dss(two, f.validation_data(bob)));
            report = verified(lta, options);
            BOOST_CHECK_EQUAL(text_of(levels(report)), "B-LTA B-LTA");
            BOOST_CHECK(report.valid);
            BOOST_REQUIRE_EQUAL(report.signatures.size(), 3u);
            const auto& stamp = report.signatures[2];
            BOOST_CHECK(stamp.kind == SignatureKind::document_timestamp);
            BOOST_CHECK(stamp.valid && stamp.intact && stamp.time);
            BOOST_CHECK(stamp.coverage->covers_whole_file);
            BOOST_REQUIRE(stamp.time_stamp);
            BOOST_CHECK(stamp.time_stamp->tsa.trusted);
            BOOST_CHECK(stamp.level == Level::none);
            if (producer == "ghostscript")
                keep_seed("b-lta.pdf", lta);
        }
    }
}

BOOST_AUTO_TEST_CASE(one_changed_byte_breaks_the_signatures_over_it_and_pdfsig_agrees) {
    SignFixture f("verify_document_tamper");
    const Person alice = f.issue_person(KeyType::ec_p256);
    const Bytes original = ghostscript_pdf(f.dir);
    const Bytes signed_pdf =
        pades_add_document_timestamp(f, pades_add_dss(pades_sign(f, alice, original),
                                                      f.validation_data(alice)));
    // A byte of the original document (the binary comment after the header, ISO 32000-1
    // §7.5.2, so the file still parses): inside every signed range.
    std::string text(signed_pdf.begin(), signed_pdf.end());
    const std::size_t comment = text.find("\n%", 0) + 2;
    BOOST_REQUIRE(comment < 20);
    Bytes changed = signed_pdf;
    changed[comment] ^= 0x01;

    const auto report = verified(changed, trusting_root(f));
    BOOST_REQUIRE_EQUAL(report.signatures.size(), 2u);
    BOOST_CHECK(!report.valid);
    for (const auto& check : report.signatures) {
        BOOST_CHECK(!check.intact);
        BOOST_CHECK(!check.valid);
    }
    BOOST_CHECK(report.signatures[0].level == Level::none);

    const auto nss = nss_database(f.dir);  // made once: certutil -N waits on an existing one
    const auto pdfsig_report = pdfsig(f.dir, nss, changed, "changed.pdf");
    BOOST_REQUIRE_MESSAGE(!pdfsig_report.signatures.empty(), pdfsig_report.result.output);
    BOOST_CHECK_MESSAGE(!pdfsig_report.signatures[0].valid, pdfsig_report.signatures[0].text);
    // And pdfsig finds the untouched file's signature valid: the judge can tell.
    const auto intact = pdfsig(f.dir, nss, signed_pdf, "intact.pdf");
    BOOST_REQUIRE(!intact.signatures.empty());
    BOOST_CHECK_MESSAGE(intact.signatures[0].valid, intact.signatures[0].text);
    keep_seed("changed-byte.pdf", changed);
}

BOOST_AUTO_TEST_CASE(a_page_changed_after_signing_is_reported) {
    SignFixture f("verify_document_changed_page");
    const Person alice = f.issue_person(KeyType::ec_p256);
    const Bytes signed_pdf = pades_sign(f, alice, ghostscript_pdf(f.dir), "Alice");
    const Bytes changed = pades_change_page_content(signed_pdf);

    const auto report = verified(changed, trusting_root(f));
    BOOST_REQUIRE_EQUAL(report.signatures.size(), 1u);
    const auto& check = report.signatures[0];
    BOOST_CHECK(check.valid && check.intact);  // its own revision is untouched
    BOOST_REQUIRE(check.coverage);
    BOOST_CHECK(!check.coverage->later_changes_permitted);
    BOOST_REQUIRE(!check.coverage->later_changes.empty());
    BOOST_CHECK(!report.valid);
    BOOST_REQUIRE(!report.problems.empty());
    BOOST_CHECK_MESSAGE(report.problems.front().find("'Alice'") != std::string::npos,
                        report.problems.front());
    keep_seed("changed-page.pdf", changed);
}

BOOST_AUTO_TEST_CASE(a_signer_revoked_before_signing_is_reported_from_the_dss) {
    SignFixture f("verify_document_revoked");
    const Person mallory = f.issue_person(KeyType::ec_p256);
    f.authority->revoke(mallory.issued.record.serial, ca::RevocationReason::key_compromise,
                        std::nullopt, "operator:test");
    f.clock->advance(std::chrono::minutes(1));
    const Bytes signed_pdf = pades_sign(f, mallory, ghostscript_pdf(f.dir));
    const Bytes with_dss = pades_add_dss(signed_pdf, f.validation_data(mallory));

    const auto report = verified(with_dss, trusting_root(f));
    BOOST_REQUIRE_EQUAL(report.signatures.size(), 1u);
    const auto& check = report.signatures[0];
    BOOST_CHECK(check.intact);
    BOOST_CHECK(!check.valid);
    BOOST_CHECK(!report.valid);
    BOOST_REQUIRE(check.signer && !check.signer->chain.certificates.empty());
    const auto& revocation = check.signer->chain.certificates[0].revocation;
    BOOST_CHECK(revocation.status == sign::RevocationStatus::revoked);
    BOOST_CHECK_EQUAL(revocation.source, "ocsp");  // from the DSS: the CMS holds none
    BOOST_CHECK(check.level == Level::b_lt);        // the data is there; it says revoked
    BOOST_REQUIRE(!report.problems.empty());
    BOOST_CHECK_MESSAGE(report.problems.front().find("was revoked at") != std::string::npos,
                        report.problems.front());
    const auto json = sign::report_json(report);
    BOOST_CHECK_EQUAL(json["signatures"][0]["chain"]["certificates"][0]["revocation"]["status"],
                      "revoked");
}

BOOST_AUTO_TEST_CASE(detached_cades_with_its_data_its_digest_and_without) {
    SignFixture f("verify_document_cades");
    const Person alice = f.issue_person(KeyType::ec_p256);
    const std::string content = "Supply agreement, 12 pages, annex B.";
    const Bytes cms =
        sign::add_validation_data(f.sign(alice, as_bytes(content)), f.validation_data(alice));
    keep_seed("b-lt.p7s", cms);

    auto options = trusting_root(f);
    options.detached_content = as_bytes(content);
    auto report = verified(cms, options);
    BOOST_CHECK(report.format == sign::DocumentFormat::cms);
    BOOST_REQUIRE_EQUAL(report.signatures.size(), 1u);
    BOOST_CHECK(report.valid && report.signatures[0].intact);
    BOOST_CHECK(report.signatures[0].level == Level::b_lt);
    BOOST_CHECK(!report.signatures[0].coverage);

    options.detached_content = sign::digest_content(Digest::sha256, as_bytes(content));
    BOOST_CHECK(verified(cms, options).valid);

    const std::string other = "Supply agreement, 12 pages, annex C.";
    options.detached_content = as_bytes(other);
    report = verified(cms, options);
    BOOST_CHECK(!report.valid && !report.signatures[0].intact);

    options.detached_content.reset();
    expect_error([&] { (void)sign::verify_document(cms, options); }, Errc::invalid_argument,
                 "needs the signed data");
}

BOOST_AUTO_TEST_CASE(malformed_input_is_refused_naming_the_problem) {
    SignFixture f("verify_document_malformed");
    const Person alice = f.issue_person(KeyType::ec_p256);
    const Bytes signed_pdf = pades_sign(f, alice, ghostscript_pdf(f.dir));
    auto options = trusting_root(f);
    options.detached_content = as_bytes("data");
    const auto refused = [&](const Bytes& bytes, const std::string& expected) {
        expect_error([&] { (void)sign::verify_document(bytes, options); },
                     Errc::invalid_argument, expected);
    };
    refused({}, "empty");
    refused(to_bytes("%PDF-1.7\n"), "startxref");
    refused(to_bytes("hello, world"), "neither a PDF");
    refused(Bytes(signed_pdf.begin(), signed_pdf.begin() + signed_pdf.size() / 2), "startxref");
    const Bytes cms = f.sign(alice, as_bytes("data"));
    refused(Bytes(cms.begin(), cms.end() - 10), "neither a PDF");

    // No signature at all: reported, not valid.
    const auto unsigned_report = verified(ghostscript_pdf(f.dir), options);
    BOOST_CHECK(!unsigned_report.valid);
    BOOST_CHECK(unsigned_report.signatures.empty());
    BOOST_REQUIRE(!unsigned_report.problems.empty());
    BOOST_CHECK_EQUAL(unsigned_report.problems.front(), "the PDF holds no signature");
}

BOOST_AUTO_TEST_CASE(the_json_report_has_its_documented_shape) {
    SignFixture f("verify_document_json");
    const Person alice = f.issue_person(KeyType::ec_p256);
    const Bytes pdf = pades_add_document_timestamp(
        f, pades_add_dss(pades_sign(f, alice, ghostscript_pdf(f.dir), "Alice"),
                         f.validation_data(alice)));
    const auto json = sign::report_json(sign::verify_document(pdf, trusting_root(f)));
    BOOST_CHECK_EQUAL(json["format"], "pdf");
    BOOST_CHECK_EQUAL(json["valid"], true);
    BOOST_REQUIRE_EQUAL(json["signatures"].size(), 2u);
    const auto& sig = json["signatures"][0];
    BOOST_CHECK_EQUAL(sig["kind"], "signature");
    BOOST_CHECK_EQUAL(sig["field"], "Alice");
    BOOST_CHECK_EQUAL(sig["level"], "B-LTA");
    BOOST_CHECK(sig["time"].is_string());
    BOOST_CHECK(sig["signer"]["subject"].get<std::string>().find("CN=Wang Fang") !=
                std::string::npos);
    BOOST_CHECK_EQUAL(sig["chain"]["trusted"], true);
    BOOST_CHECK_EQUAL(sig["coverage"]["later_changes_permitted"], true);
    BOOST_CHECK_EQUAL(sig["time_stamp"]["signature_valid"], true);
    const auto& stamp = json["signatures"][1];
    BOOST_CHECK_EQUAL(stamp["kind"], "document_timestamp");
    BOOST_CHECK(!stamp.contains("level"));
    BOOST_CHECK_EQUAL(stamp["coverage"]["covers_whole_file"], true);
    BOOST_CHECK(stamp["signer"]["subject"].get<std::string>().find("TSA") != std::string::npos);
    // What a file names is rendered as UTF-8 without control characters (RFC 8259 §8.1).
    BOOST_CHECK_EQUAL(sign::printable("Sig\xff\x1b[2J"), "Sig\xEF\xBF\xBD\xEF\xBF\xBD[2J");
    BOOST_CHECK_EQUAL(sign::printable("签名"), "签名");
    const std::string text = sign::report_text(sign::verify_document(pdf, trusting_root(f)));
    BOOST_CHECK_MESSAGE(text.starts_with("PDF, 2 signatures: VALID"), text);
}

BOOST_AUTO_TEST_SUITE_END()
