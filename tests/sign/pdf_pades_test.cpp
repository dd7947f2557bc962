// PAdES revisions on PDFs from different producers, judged by poppler's pdfsig (NSS, the root
// trusted), qpdf --check, OpenSSL, and our own reader.
#include <openssl/cms.h>
#include <openssl/pem.h>

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "common/error.hpp"
#include "sign/pdf_dss.hpp"
#include "sign/pdf_reader.hpp"
#include "sign/pdf_signature.hpp"
#include "tests/sign/pdf_kit.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

const auto kSigningTime = std::chrono::sys_days{std::chrono::year{2026} / 3 / 14} +
                          std::chrono::hours(9) + std::chrono::minutes(26);

sign::SignatureRequest invisible() {
    sign::SignatureRequest request;
    request.signing_time = kSigningTime;
    return request;
}

sign::SignatureRequest visible_on_page(int page) {
    sign::SignatureRequest request = invisible();
    request.field_name = "Seal";
    request.visible = sign::VisibleSignature{
        page, 72, 72, 300, 130, {"Example Contracts Ltd", "2026-03-14 09:26 UTC"}};
    return request;
}

// OpenSSL's CMS verification of a detached signature over the ByteRange's bytes, as the reader
// hands them out: the signature is intact exactly when this passes.
bool cms_intact(const Bytes& file, const sign::PdfSignature& sig) {
    const auto parts = sign::byte_range_parts(ByteView(file), sig.byte_range);
    BioPtr data(BIO_new(BIO_s_mem()));
    for (ByteView part : parts)
        BIO_write(data.get(), part.data(), static_cast<int>(part.size()));
    const unsigned char* p = sig.contents.data();
    CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(sig.contents.size())));
    if (!cms)
        return false;
    const int ok = CMS_verify(cms.get(), nullptr, nullptr, data.get(), nullptr,
                              CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY);
    clear_openssl_errors();
    return ok == 1;
}

// openssl ts -verify of a document time-stamp over its ByteRange's bytes, trusting the root.
CommandResult openssl_ts_verify(const TempDir& dir, const Bytes& file,
                                const sign::PdfSignature& sig) {
    std::string data;
    for (ByteView part : sign::byte_range_parts(ByteView(file), sig.byte_range))
        data.append(reinterpret_cast<const char*>(part.data()), part.size());
    write_file(dir / "range.bin", data);
    write_file(dir / "token.der", std::string(sig.contents.begin(), sig.contents.end()));
    const TestPki& pki = TestPki::instance();
    BioPtr pem(BIO_new_file((dir / "chain.pem").c_str(), "w"));
    PEM_write_bio_X509(pem.get(), pki.root.get());
    pem.reset(BIO_new_file((dir / "untrusted.pem").c_str(), "w"));
    PEM_write_bio_X509(pem.get(), pki.issuing.get());
    pem.reset();
    return run_command({"openssl", "ts", "-verify", "-data", (dir / "range.bin").string(), "-in",
                        (dir / "token.der").string(), "-token_in", "-CAfile",
                        (dir / "chain.pem").string(), "-untrusted",
                        (dir / "untrusted.pem").string()});
}

// The whole life of a contract on one PDF: two signers, /DSS, a document time-stamp.
Bytes sign_all_revisions(const Bytes& original) {
    const TestPki& pki = TestPki::instance();
    Bytes pdf = sign_pdf(original, pki.person, invisible());
    pdf = sign_pdf(pdf, pki.seal, visible_on_page(1));
    sign::ValidationData validation;
    validation.certificates = {
        der_of(pki.root.get()), der_of(pki.issuing.get()), der_of(pki.person.certificate.get()),
        der_of(pki.seal.certificate.get()), der_of(pki.tsa.certificate.get())};
    validation.crls = {der_of(pki.crl.get())};
    {
        const auto doc = sign::PdfDocument::open(pdf);
        const Bytes update = sign::prepare_dss_update(doc, validation);
        pdf.insert(pdf.end(), update.begin(), update.end());
    }
    return add_document_timestamp(pdf);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pdf_pades)

BOOST_AUTO_TEST_CASE(every_producer_signed_twice_with_dss_and_document_timestamp) {
    TempDir dir("signet-pades");
    const auto db = nss_database(dir);
    for (const auto& [producer, original] : produced_pdfs(dir)) {
        BOOST_TEST_CONTEXT(producer) {
            const Bytes pdf = sign_all_revisions(original);
            // The original bytes are never rewritten.
            BOOST_REQUIRE(pdf.size() > original.size());
            BOOST_CHECK(std::equal(original.begin(), original.end(), pdf.begin()));
            // Each update's cross-reference section has the form of the newest one before it.
            const std::string appended(pdf.begin() + static_cast<std::ptrdiff_t>(original.size()),
                                       pdf.end());
            const bool streams =
                sign::PdfDocument::open(original).xref_form() == sign::XrefForm::stream;
            BOOST_CHECK_EQUAL(appended.find("/Type /XRef") != std::string::npos, streams);
            BOOST_CHECK_EQUAL(appended.find("\ntrailer\n") != std::string::npos, !streams);

            const auto check = qpdf_check(dir, pdf, "checked.pdf");
            BOOST_CHECK_MESSAGE(
                check.exit_code == 0 &&
                    check.output.find("No syntax or stream encoding errors") != std::string::npos,
                check.output);

            const auto report = pdfsig(dir, db, pdf, "signed.pdf");
            BOOST_REQUIRE_MESSAGE(report.signatures.size() == 3, report.result.output);
            for (std::size_t i = 0; i < 3; ++i) {
                const auto& sig = report.signatures[i];
                BOOST_CHECK_MESSAGE(sig.total_document == (i == 2), sig.text);
            }
            // Poppler 22.12 (Debian 12) knows no ETSI.RFC3161 SubFilter: it lists the document
            // time-stamp ("Signature Type: unknown") without judging it; openssl ts does below.
            BOOST_CHECK_MESSAGE(report.signatures[0].valid, report.signatures[0].text);
            BOOST_CHECK_MESSAGE(report.signatures[1].valid, report.signatures[1].text);
            BOOST_CHECK_MESSAGE(
                report.signatures[2].text.find("Common Name: PDF Test TSA") != std::string::npos,
                report.signatures[2].text);
            // The two CAdES signatures' chains are trusted through the root alone.
            BOOST_CHECK_MESSAGE(report.signatures[0].trusted, report.signatures[0].text);
            BOOST_CHECK_MESSAGE(report.signatures[1].trusted, report.signatures[1].text);

            const auto doc = sign::PdfDocument::open(pdf);
            const auto read = sign::read_signatures(doc);
            BOOST_REQUIRE_EQUAL(read.signatures.size(), 3u);
            for (std::size_t i = 0; i < 3; ++i) {
                const auto& sig = read.signatures[i];
                BOOST_CHECK_MESSAGE(sig.covers_revision, sig.coverage_problem);
                BOOST_CHECK_EQUAL(sig.covers_whole_file, i == 2);
                BOOST_CHECK_MESSAGE(sig.later_changes_permitted,
                                    (sig.later_changes.empty() ? "" : sig.later_changes.front()));
                if (i < 2)
                    BOOST_CHECK(cms_intact(pdf, sig));
            }
            const auto ts = openssl_ts_verify(dir, pdf, read.signatures[2]);
            BOOST_CHECK_MESSAGE(
                ts.exit_code == 0 && ts.output.find("Verification: OK") != std::string::npos,
                ts.output);
            BOOST_CHECK_EQUAL(read.signatures[0].field_name, "Signature1");
            BOOST_CHECK_EQUAL(read.signatures[1].field_name, "Seal");
            BOOST_CHECK_EQUAL(read.signatures[0].sub_filter, "ETSI.CAdES.detached");
            BOOST_CHECK(read.signatures[0].signing_time == std::string("D:20260314092600+00'00'"));
            BOOST_CHECK(read.signatures[2].is_document_timestamp());
            BOOST_CHECK_EQUAL(read.dss.certificates.size(), 5u);
            BOOST_CHECK_EQUAL(read.dss.crls.size(), 1u);
        }
    }
}

BOOST_AUTO_TEST_CASE(one_changed_byte_is_caught_by_pdfsig_and_by_the_reader) {
    TempDir dir("signet-pades");
    const auto db = nss_database(dir);
    const Bytes pdf = sign_all_revisions(ghostscript_pdf(dir));
    const auto intact = sign::read_signatures(sign::PdfDocument::open(pdf));
    BOOST_REQUIRE_EQUAL(intact.signatures.size(), 3u);

    // A byte of the second signer's revision (its visible text): the first signature does not
    // cover it and stays valid; the second and the document time-stamp do.
    std::string text(pdf.begin(), pdf.end());
    const std::size_t at = text.find("(Example Contracts Ltd)");
    BOOST_REQUIRE(at != std::string::npos);
    BOOST_REQUIRE(at > intact.signatures[0].revision_end && at < intact.signatures[1].revision_end);
    Bytes changed = pdf;
    changed[at + 1] = 'F';

    const auto report = pdfsig(dir, db, changed, "changed.pdf");
    BOOST_REQUIRE_MESSAGE(report.signatures.size() == 3, report.result.output);
    BOOST_CHECK_MESSAGE(report.signatures[0].valid, report.signatures[0].text);
    BOOST_CHECK_MESSAGE(!report.signatures[1].valid, report.signatures[1].text);
    BOOST_CHECK_MESSAGE(report.signatures[1].text.find("Digest Mismatch") != std::string::npos,
                        report.signatures[1].text);

    const auto read = sign::read_signatures(sign::PdfDocument::open(changed));
    BOOST_REQUIRE_EQUAL(read.signatures.size(), 3u);
    BOOST_CHECK(cms_intact(changed, read.signatures[0]));
    BOOST_CHECK(!cms_intact(changed, read.signatures[1]));
    BOOST_CHECK(openssl_ts_verify(dir, changed, read.signatures[2]).exit_code != 0);

    // A byte of the original document (in the binary comment after the header, §7.5.2, so the
    // file still parses): every signature breaks.
    Bytes original_changed = pdf;
    const std::size_t comment = text.find("\n%", 0) + 2;
    BOOST_REQUIRE(comment < 20 && static_cast<unsigned char>(text[comment]) >= 0x80);
    original_changed[comment] ^= 0x01;
    const auto report2 = pdfsig(dir, db, original_changed, "changed2.pdf");
    BOOST_REQUIRE_EQUAL(report2.signatures.size(), 3u);
    BOOST_CHECK(!report2.signatures[0].valid);
    BOOST_CHECK(!report2.signatures[1].valid);
    const auto read2 = sign::read_signatures(sign::PdfDocument::open(original_changed));
    BOOST_CHECK(!cms_intact(original_changed, read2.signatures[0]));
    BOOST_CHECK(!cms_intact(original_changed, read2.signatures[1]));
}

BOOST_AUTO_TEST_SUITE_END()
