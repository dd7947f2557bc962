// PDF intake and the guards of the signing and reading layers: what is accepted (every
// producer's form of cross-reference), what is refused and with which words, and that a refusal
// leaves the caller's bytes as they were.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <sstream>

#include "common/error.hpp"
#include "sign/pdf_document.hpp"
#include "sign/pdf_dss.hpp"
#include "sign/pdf_reader.hpp"
#include "sign/pdf_signature.hpp"
#include "sign/pdf_update.hpp"
#include "tests/sign/pdf_kit.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

Bytes bytes_of(const std::string& text) {
    return Bytes(text.begin(), text.end());
}

// Runs `f` and returns the signet::Error it throws, failing the test when it throws none.
template <class F>
Error error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    BOOST_FAIL("no signet::Error thrown");
    throw std::logic_error("unreachable");
}

void check_refused(const Bytes& pdf, const std::string& words, const sign::PdfLimits& limits = {}) {
    const Bytes copy = pdf;
    const Error e = error_of([&] { (void)sign::PdfDocument::open(pdf, limits); });
    BOOST_CHECK(e.code() == Errc::invalid_argument);
    BOOST_CHECK_MESSAGE(std::string(e.what()).find(words) != std::string::npos, e.what());
    BOOST_CHECK(pdf == copy);
}

sign::SignatureRequest request_at(const std::string& name = "") {
    sign::SignatureRequest request;
    request.field_name = name;
    request.signing_time = std::chrono::system_clock::now();
    return request;
}

// A small Ghostscript PDF for the guard tests, made once.
const Bytes& small_pdf() {
    static const Bytes pdf = [] {
        TempDir dir("signet-pdf-intake");
        return ghostscript_pdf(dir);
    }();
    return pdf;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pdf_intake)

BOOST_AUTO_TEST_CASE(every_producer_opens_with_its_cross_reference_form) {
    TempDir dir("signet-pdf-intake");
    for (const auto& [producer, bytes] : produced_pdfs(dir)) {
        BOOST_TEST_CONTEXT(producer) {
            const auto doc = sign::PdfDocument::open(bytes);
            BOOST_CHECK(doc.bytes().data() == bytes.data());  // viewed, not copied
            BOOST_CHECK(doc.next_object_number() > 1);
            const bool streams = producer == "qpdf --object-streams=generate";
            BOOST_CHECK(doc.xref_form() ==
                        (streams ? sign::XrefForm::stream : sign::XrefForm::table));
            BOOST_CHECK(sign::read_signatures(doc).signatures.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(encrypted_pdfs_are_refused) {
    TempDir dir("signet-pdf-intake");
    // With a user password (unreadable without it), and with only an owner password.
    for (const std::string user : {"user-secret", ""}) {
        const Bytes encrypted =
            qpdf_rewrite(dir, small_pdf(), {"--encrypt", user, "owner-secret", "256", "--"});
        check_refused(encrypted, "encrypted");
    }
}

BOOST_AUTO_TEST_CASE(garbage_and_damaged_files_are_refused) {
    check_refused(bytes_of("hello, this is not a PDF at all"), "does not begin with the %PDF-");
    check_refused(Bytes{}, "does not begin with the %PDF-");
    check_refused(bytes_of("%PDF-1.7\n% nothing else\n"), "no startxref");

    const Bytes& pdf = small_pdf();
    // Cut in the middle: no trailer at the end.
    check_refused(Bytes(pdf.begin(), pdf.begin() + static_cast<std::ptrdiff_t>(pdf.size() / 2)),
                  "startxref");
    // startxref pointing at the wrong place: qpdf would have to rebuild the table.
    std::string text(pdf.begin(), pdf.end());
    const std::size_t at = text.rfind("startxref");
    std::string moved = text.substr(0, at) + "startxref\n20\n%%EOF\n";
    check_refused(bytes_of(moved), "not an acceptable PDF");
    // An object's offset in the table off by a few bytes.
    std::string shifted = text;
    const std::size_t entry = shifted.find(" 00000 n", shifted.find("\nxref"));
    BOOST_REQUIRE(entry != std::string::npos);
    shifted[entry - 1] = shifted[entry - 1] == '9' ? '1' : '9';
    check_refused(bytes_of(shifted), "not an acceptable PDF");
}

BOOST_AUTO_TEST_CASE(documents_over_the_size_bound_are_refused) {
    sign::PdfLimits limits;
    limits.max_bytes = small_pdf().size() - 1;
    check_refused(small_pdf(), "over the limit of " + std::to_string(limits.max_bytes), limits);
    limits.max_bytes = small_pdf().size();
    BOOST_CHECK_NO_THROW((void)sign::PdfDocument::open(small_pdf(), limits));
}

BOOST_AUTO_TEST_CASE(bad_signature_requests_are_refused_and_change_nothing) {
    const auto doc = sign::PdfDocument::open(small_pdf());
    auto request = request_at("Signer.One");
    BOOST_CHECK(error_of([&] { (void)sign::prepare_signature(doc, request); }).code() ==
                Errc::invalid_argument);
    request = request_at();
    request.contents_size = 0;
    BOOST_CHECK(error_of([&] { (void)sign::prepare_signature(doc, request); }).code() ==
                Errc::invalid_argument);
    request = request_at();
    request.visible = sign::VisibleSignature{3, 10, 10, 100, 50, {"x"}};
    const Error page = error_of([&] { (void)sign::prepare_signature(doc, request); });
    BOOST_CHECK_MESSAGE(std::string(page.what()).find("page 3 does not exist") != std::string::npos,
                        page.what());
    request.visible = sign::VisibleSignature{1, 100, 10, 100, 50, {"x"}};
    BOOST_CHECK(error_of([&] { (void)sign::prepare_signature(doc, request); }).code() ==
                Errc::invalid_argument);

    // A CMS larger than the space reserved for it.
    request = request_at();
    request.contents_size = 16;
    auto prepared = sign::prepare_signature(doc, request);
    const Bytes before = prepared.update();
    const Error big = error_of([&] { prepared.embed(Bytes(17, 0x30)); });
    BOOST_CHECK_MESSAGE(
        std::string(big.what()).find("does not fit the 16 bytes") != std::string::npos, big.what());
    BOOST_CHECK(prepared.update() == before);
}

BOOST_AUTO_TEST_CASE(a_field_name_is_never_used_twice) {
    const TestPki& pki = TestPki::instance();
    const Bytes once = sign_pdf(small_pdf(), pki.person, request_at("Alice"));
    const auto doc = sign::PdfDocument::open(once);
    const Error e = error_of([&] { (void)sign::prepare_signature(doc, request_at("Alice")); });
    BOOST_CHECK_MESSAGE(
        std::string(e.what()).find("already has a field named 'Alice'") != std::string::npos,
        e.what());
    // The default name skips the names in use.
    const Bytes twice = sign_pdf(once, pki.seal, request_at());
    const auto read = sign::read_signatures(sign::PdfDocument::open(twice));
    BOOST_REQUIRE_EQUAL(read.signatures.size(), 2u);
    BOOST_CHECK_EQUAL(read.signatures[1].field_name, "Signature1");
}

BOOST_AUTO_TEST_CASE(validation_data_already_in_the_dss_is_not_added_again) {
    const TestPki& pki = TestPki::instance();
    const Bytes signed_pdf = sign_pdf(small_pdf(), pki.person, request_at());
    sign::ValidationData data;
    data.certificates = {der_of(pki.root.get()), der_of(pki.root.get())};
    auto doc = sign::PdfDocument::open(signed_pdf);
    Bytes pdf = signed_pdf;
    const Bytes update = sign::prepare_dss_update(doc, data);
    pdf.insert(pdf.end(), update.begin(), update.end());
    const auto with_dss = sign::PdfDocument::open(pdf);
    BOOST_CHECK_EQUAL(sign::read_dss(with_dss).certificates.size(), 1u);
    const Error e = error_of([&] { (void)sign::prepare_dss_update(with_dss, data); });
    BOOST_CHECK_MESSAGE(
        std::string(e.what()).find("already in the document's /DSS") != std::string::npos,
        e.what());
    BOOST_CHECK(error_of([&] {
                    (void)sign::prepare_dss_update(with_dss, {{Bytes{}}, {}, {}});
                }).code() == Errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_later_revision_that_changes_signed_content_is_reported) {
    const TestPki& pki = TestPki::instance();
    const Bytes signed_pdf = sign_pdf(small_pdf(), pki.person, request_at());
    // A later update that rewrites the first page with another /MediaBox: no signature
    // explains that.
    const auto doc = sign::PdfDocument::open(signed_pdf);
    sign::IncrementalUpdate update(doc);
    QPDFObjectHandle page = doc.qpdf().getAllPages().front();
    update.write_object(page.getObjectID(), page.getGeneration(),
                        sign::dictionary_with(page, {{"MediaBox", "[0 0 100 100]"}}));
    update.finish();
    Bytes changed = signed_pdf;
    changed.insert(changed.end(), update.bytes().begin(), update.bytes().end());

    const auto read = sign::read_signatures(sign::PdfDocument::open(changed));
    BOOST_REQUIRE_EQUAL(read.signatures.size(), 1u);
    const auto& sig = read.signatures.front();
    BOOST_CHECK(sig.covers_revision);
    BOOST_CHECK(!sig.covers_whole_file);
    BOOST_CHECK(!sig.later_changes_permitted);
    BOOST_REQUIRE(!sig.later_changes.empty());
    BOOST_CHECK_MESSAGE(sig.later_changes.front().find("/MediaBox changed") != std::string::npos,
                        sig.later_changes.front());
}

BOOST_AUTO_TEST_CASE(a_malformed_signature_dictionary_is_refused_naming_its_field) {
    const TestPki& pki = TestPki::instance();
    Bytes pdf = sign_pdf(small_pdf(), pki.person, request_at("Alice"));
    // Point the ByteRange's last range past the end of the file, keeping every offset where it
    // was (the writer pads the ByteRange with spaces).
    std::string text(pdf.begin(), pdf.end());
    const std::size_t open = text.rfind("/ByteRange [") + 11;
    const std::size_t close = text.find(']', open);
    std::istringstream numbers(text.substr(open + 1, close - open - 1));
    std::uint64_t start = 0, a = 0, b = 0, c = 0;
    BOOST_REQUIRE(numbers >> start >> a >> b >> c);
    std::string range = "[0 " + std::to_string(a) + " " + std::to_string(b) + " 999999999";
    range.resize(close - open, ' ');
    text.replace(open, close - open, range);
    pdf = bytes_of(text);
    const auto doc = sign::PdfDocument::open(pdf);
    const Error e = error_of([&] { (void)sign::read_signatures(doc); });
    BOOST_CHECK_MESSAGE(std::string(e.what()).find("signature field 'Alice'") != std::string::npos,
                        e.what());
}

BOOST_AUTO_TEST_CASE(a_certification_that_permits_no_changes_is_respected) {
    // A catalog whose /Perms names a DocMDP signature with /P 1 (ISO 32000-1 §12.8.2.2).
    const auto doc = sign::PdfDocument::open(small_pdf());
    sign::IncrementalUpdate update(doc);
    const int sig = update.new_object();
    update.write_object(sig, 0,
                        "<< /Type /Sig /Reference [<< /Type /SigRef /TransformMethod /DocMDP "
                        "/TransformParams << /Type /TransformParams /P 1 /V /1.2 >> >>] >>");
    QPDFObjectHandle catalog = doc.qpdf().getRoot();
    update.write_object(
        catalog.getObjectID(), catalog.getGeneration(),
        sign::dictionary_with(catalog,
                              {{"Perms", "<< /DocMDP " + sign::pdf_reference(sig) + " >>"}}));
    update.finish();
    Bytes certified = small_pdf();
    certified.insert(certified.end(), update.bytes().begin(), update.bytes().end());
    const auto certified_doc = sign::PdfDocument::open(certified);
    const Error e = error_of([&] { (void)sign::prepare_signature(certified_doc, request_at()); });
    BOOST_CHECK(e.code() == Errc::failed_precondition);
}

BOOST_AUTO_TEST_SUITE_END()
