// signatures/signDoc with `documents` (csc/documents.cpp): Signet signs the document itself —
// a PDF gets a PAdES B-T signature revision, judged by poppler's pdfsig (NSS, the CA's root in
// its database); other bytes get a CAdES B-T SignedData, attached or detached, judged by
// `openssl cms -verify`. The SAD must hold each document's hash; anything else is refused with
// nothing signed and the SAD as it was.
#include <openssl/x509.h>

#include <boost/test/unit_test.hpp>

#include "ca/x509.hpp"
#include "tests/csc/csc_fixture.hpp"
#include "tests/sign/pdf_kit.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::testing;
using csc::CscFailure;

namespace {

constexpr const char* kNotAuthorized = "documentDigests or documents are not authorized by the SAD";

Bytes sha256_of_bytes(const Bytes& bytes) {
    const Sha256Digest digest = sha256_of(ByteView(bytes));
    return Bytes(digest.begin(), digest.end());
}

csc::DocumentToSign pdf_document(Bytes bytes) {
    return {std::move(bytes), csc::DocumentFormat::pades, csc::DocumentEnvelope::revision};
}

csc::SignDocumentRequest documents_request(const std::string& credential, const std::string& sad,
                                           std::vector<csc::DocumentToSign> documents,
                                           hsm::Padding padding = hsm::Padding::ecdsa) {
    csc::SignDocumentRequest r;
    r.credential_id = credential;
    r.sad = sad;
    r.hash_algorithm = Digest::sha256;
    r.padding = padding;
    r.documents = std::move(documents);
    return r;
}

// The certificate's subject commonName, as UTF-8.
std::string common_name_of(const ca::Issued& issued) {
    const X509Ptr certificate = ca::certificate_from_der(*issued.record.der);
    const X509_NAME* name = X509_get_subject_name(certificate.get());
    const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    BOOST_REQUIRE(index >= 0);
    unsigned char* utf8 = nullptr;
    const int length =
        ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
    BOOST_REQUIRE(length > 0);
    const OpensslBytesPtr owned(utf8);
    return std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
}

// An NSS database (sql:) trusting the CA's root alone, for pdfsig.
std::filesystem::path nss_trusting_root(CscFixture& f) {
    const auto root = f.certificates.find_ca("root");
    BOOST_REQUIRE(root);
    const auto db = f.dir.path() / "nss-root";
    std::filesystem::create_directories(db);
    const auto init =
        run_command({"certutil", "-N", "-d", "sql:" + db.string(), "--empty-password"});
    BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.output);
    const auto root_pem = f.dir.path() / "ca-root.pem";
    write_file(root_pem, ca::certificate_pem(ca::certificate_from_der(root->certificate).get()));
    const auto add = run_command({"certutil", "-A", "-d", "sql:" + db.string(), "-n", "root", "-t",
                                  "C,C,C", "-i", root_pem.string()});
    BOOST_REQUIRE_MESSAGE(add.exit_code == 0, add.output);
    return db;
}

// `openssl cms -verify` against the CA's root at the fixture's time (its clock runs ahead of the
// machine's to issue the certificates); `content` for a detached signature; the verified
// content goes to `out`.
CommandResult cms_verify(CscFixture& f, const Bytes& cms, const std::string& name,
                         const std::optional<Bytes>& content, const std::filesystem::path& out) {
    const auto root = f.certificates.find_ca("root");
    BOOST_REQUIRE(root);
    const auto root_pem = f.dir.path() / "root.pem";
    write_file(root_pem, ca::certificate_pem(ca::certificate_from_der(root->certificate).get()));
    const auto cms_file = f.dir.path() / (name + ".p7s");
    write_file(cms_file, std::string(cms.begin(), cms.end()));
    const std::string at = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(f.clock.now().time_since_epoch()).count());
    std::vector<std::string> argv{
        "openssl",   "cms", "-verify",         "-binary", "-inform",
        "DER",       "-in", cms_file.string(), "-CAfile", root_pem.string(),
        "-purpose",  "any", "-attime",         at,        "-out",
        out.string()};
    if (content) {
        const auto content_file = f.dir.path() / (name + ".content");
        write_file(content_file, std::string(content->begin(), content->end()));
        argv.insert(argv.end(), {"-content", content_file.string()});
    }
    return run_command(argv);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(csc_documents_pades)

BOOST_AUTO_TEST_CASE(a_pdf_the_sad_authorized_is_signed_and_pdfsig_finds_it_valid) {
    CscFixture f("csc_sign_pdf");
    const Bytes pdf = ghostscript_pdf(f.dir);
    // Another valid PDF: the same pages rewritten with object streams.
    const Bytes other_pdf = qpdf_rewrite(f.dir, pdf, {"--object-streams=generate"});
    BOOST_REQUIRE(other_pdf != pdf);
    const auto activation =
        f.authorize(CscFixture::kPlatformA, f.alice_ec_id, {sha256_of_bytes(pdf)}, 1);

    // A PDF whose hash the SAD does not hold: refused, nothing signed, the SAD as it was.
    const std::string before = f.csc_tables();
    expect_csc(
        [&] {
            f.service->sign_documents(
                CscFixture::kPlatformA,
                documents_request(f.alice_ec_id, activation.sad, {pdf_document(other_pdf)}));
        },
        CscFailure::invalid_request, kNotAuthorized);
    BOOST_CHECK_EQUAL(f.csc_tables(), before);
    BOOST_CHECK(f.events_of_type("csc.signed").empty());

    const csc::SignDocumentRequest request =
        documents_request(f.alice_ec_id, activation.sad, {pdf_document(pdf)});
    const csc::SignedDocuments signed_documents =
        f.service->sign_documents(CscFixture::kPlatformA, request);
    BOOST_REQUIRE_EQUAL(signed_documents.with_signature.size(), 1u);
    BOOST_CHECK(signed_documents.signature_objects.empty());
    const Bytes& signed_pdf = signed_documents.with_signature[0];
    // An incremental update: the document's own bytes untouched before it (ISO 32000-1 §7.5.6).
    BOOST_REQUIRE(signed_pdf.size() > pdf.size());
    BOOST_CHECK(std::equal(pdf.begin(), pdf.end(), signed_pdf.begin()));

    // pdfsig: one signature, valid, over the whole file, signed by alice's certificate. (Not
    // its "Certificate is Trusted": with -no-ocsp NSS reports a certificate without an OCSP URL
    // or CRL distribution point, as this fixture's profile issues, as "Unknown issue"; the
    // contract signing's tests show trust with a profile for PDF readers.)
    const auto nss = nss_trusting_root(f);
    const auto report = pdfsig(f.dir, nss, signed_pdf, "signed.pdf");
    BOOST_REQUIRE_MESSAGE(report.signatures.size() == 1, report.result.output);
    BOOST_TEST_CONTEXT(report.signatures[0].text) {
        BOOST_TEST(report.signatures[0].valid);
        BOOST_TEST(report.signatures[0].total_document);
        BOOST_TEST(report.signatures[0].text.find("Signer Certificate Common Name: " +
                                                  common_name_of(f.alice_ec)) != std::string::npos);
        BOOST_TEST(report.signatures[0].text.find("ETSI.CAdES.detached") != std::string::npos);
    }
    BOOST_TEST(qpdf_check(f.dir, signed_pdf, "check.pdf").exit_code == 0);

    // One byte of the signed document changed: pdfsig no longer finds it valid.
    Bytes tampered = signed_pdf;
    tampered[pdf.size() / 2] ^= 0x01;
    const auto broken = pdfsig(f.dir, nss, tampered, "tampered.pdf");
    BOOST_REQUIRE_EQUAL(broken.signatures.size(), 1u);
    BOOST_TEST(!broken.signatures[0].valid);

    // The SAD is spent: the same call again is refused.
    expect_csc([&] { f.service->sign_documents(CscFixture::kPlatformA, request); },
               CscFailure::invalid_request, "Invalid parameter SAD");
    const auto events = f.events_of_type("csc.signed");
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    BOOST_CHECK_EQUAL(events[0].event.details.at("format"), "PAdES-B-T");
    BOOST_CHECK_EQUAL(events[0].event.details.at("hashes").at(0), to_hex(sha256_of_bytes(pdf)));
}

BOOST_AUTO_TEST_CASE(a_refused_document_spends_nothing_and_cades_comes_attached_or_detached) {
    CscFixture f("csc_sign_documents_cades");
    const std::string text_a = "the lease, as the platform holds it\n";
    const std::string text_b = "its annex, signed apart\n";
    const Bytes a(text_a.begin(), text_a.end());
    const Bytes b(text_b.begin(), text_b.end());
    const auto activation = f.authorize(CscFixture::kPlatformA, f.alice_rsa_id,
                                        {sha256_of_bytes(a), sha256_of_bytes(b)}, 2);
    const std::string before = f.csc_tables();

    // Bytes that are not a PDF, asked for as PAdES: the intake's refusal, naming the document.
    expect_csc(
        [&] {
            f.service->sign_documents(CscFixture::kPlatformA,
                                     documents_request(f.alice_rsa_id, activation.sad,
                                                       {pdf_document(a)}, hsm::Padding::pss));
        },
        CscFailure::invalid_request, "Invalid parameter documents (documents[0]: ");
    // PAdES has no "Attached" envelope.
    expect_csc(
        [&] {
            f.service->sign_documents(CscFixture::kPlatformA,
                                     documents_request(f.alice_rsa_id, activation.sad,
                                                       {{a, csc::DocumentFormat::pades,
                                                         csc::DocumentEnvelope::attached}},
                                                       hsm::Padding::pss));
        },
        CscFailure::invalid_request, "Invalid parameter signed_envelope_property");
    // Over csc.max_document_bytes (32 MiB by default, the documents of a call together).
    expect_csc(
        [&] {
            f.service->sign_documents(
                CscFixture::kPlatformA,
                documents_request(f.alice_rsa_id, activation.sad,
                                  {{Bytes(32 * 1024 * 1024 + 1, 0x20), csc::DocumentFormat::cades,
                                    csc::DocumentEnvelope::detached}},
                                  hsm::Padding::pss));
        },
        CscFailure::invalid_request, "Invalid parameter documents (together over");
    // Documents and digests together.
    csc::SignDocumentRequest both = documents_request(
        f.alice_rsa_id, activation.sad,
        {{a, csc::DocumentFormat::cades, csc::DocumentEnvelope::attached}}, hsm::Padding::pss);
    both.document_digests = {sha256_of_bytes(a)};
    expect_csc([&] { f.service->sign_documents(CscFixture::kPlatformA, both); },
               CscFailure::invalid_request, "Both documentDigests and documents parameters passed");
    BOOST_CHECK_EQUAL(f.csc_tables(), before);

    // The same SAD then signs both: `a` attached, `b` detached, in one call.
    const csc::SignedDocuments out = f.service->sign_documents(
        CscFixture::kPlatformA,
        documents_request(f.alice_rsa_id, activation.sad,
                          {{a, csc::DocumentFormat::cades, csc::DocumentEnvelope::attached},
                           {b, csc::DocumentFormat::cades, csc::DocumentEnvelope::detached}},
                          hsm::Padding::pss));
    BOOST_REQUIRE_EQUAL(out.with_signature.size(), 1u);
    BOOST_REQUIRE_EQUAL(out.signature_objects.size(), 1u);

    // Attached: openssl verifies it without the content and gives `a` back.
    const auto attached_out = f.dir.path() / "attached.out";
    const CommandResult attached =
        cms_verify(f, out.with_signature[0], "attached", {}, attached_out);
    BOOST_CHECK_MESSAGE(attached.exit_code == 0, attached.output);
    BOOST_CHECK_EQUAL(read_file(attached_out), text_a);
    // Detached: verifies with `b`, not with `a`.
    const CommandResult detached =
        cms_verify(f, out.signature_objects[0], "detached", b, f.dir.path() / "detached.out");
    BOOST_CHECK_MESSAGE(detached.exit_code == 0, detached.output);
    BOOST_CHECK(
        cms_verify(f, out.signature_objects[0], "detached-wrong", a, f.dir.path() / "wrong.out")
            .exit_code != 0);
    // B-T: each carries our TSA's time-stamp.
    for (const Bytes* cms : {&out.with_signature[0], &out.signature_objects[0]}) {
        const auto file = f.dir.path() / "printed.p7s";
        write_file(file, std::string(cms->begin(), cms->end()));
        const CommandResult printed = run_command(
            {"openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", file.string()});
        BOOST_CHECK(printed.output.find("id-smime-aa-timeStampToken") != std::string::npos);
    }

    const auto events = f.events_of_type("csc.signed");
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    BOOST_CHECK_EQUAL(events[0].event.details.at("format"), "CAdES-B-T");
    BOOST_CHECK_EQUAL(events[0].event.details.at("signatures"), 2);
    BOOST_CHECK_EQUAL(events[0].event.details.at("signatures_left"), 0);
}

BOOST_AUTO_TEST_SUITE_END()
