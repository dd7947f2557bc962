#include "sign/pdf_document.hpp"

#include <algorithm>
#include <charconv>
#include <exception>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <string_view>

#include "common/error.hpp"

namespace signet::sign {

namespace {

std::string_view text_of(ByteView bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

[[noreturn]] void refuse(const std::string& why) {
    throw Error(Errc::invalid_argument, "not an acceptable PDF: " + why);
}

bool is_pdf_whitespace(char c) {
    // ISO 32000-1 §7.2.2 Table 1.
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\0';
}

// §7.5.4: a classic section begins with the keyword "xref"; anything else at startxref must be a
// cross-reference stream object ("N G obj"), which qpdf has already parsed as one.
XrefForm form_at(std::string_view text, std::uint64_t offset) {
    std::size_t i = static_cast<std::size_t>(offset);
    while (i < text.size() && is_pdf_whitespace(text[i]))
        ++i;
    return text.substr(i, 4) == "xref" ? XrefForm::table : XrefForm::stream;
}

// The first warning qpdf collected, as its own words (offsets and object numbers, no content).
std::string first_warning(QPDF& qpdf) {
    const auto warnings = qpdf.getWarnings();
    return warnings.empty() ? std::string("qpdf reported a problem") : warnings.front().what();
}

}  // namespace

std::uint64_t last_startxref(ByteView bytes) {
    const std::string_view text = text_of(bytes);
    const std::size_t tail_start = text.size() > 1024 ? text.size() - 1024 : 0;
    const std::string_view tail = text.substr(tail_start);
    const std::size_t keyword = tail.rfind("startxref");
    if (keyword == std::string_view::npos)
        refuse("no startxref in the last 1024 bytes (ISO 32000-1 §7.5.5)");
    std::size_t i = keyword + 9;
    while (i < tail.size() && is_pdf_whitespace(tail[i]))
        ++i;
    std::uint64_t offset = 0;
    const auto [end, ec] = std::from_chars(tail.data() + i, tail.data() + tail.size(), offset);
    if (ec != std::errc() || end == tail.data() + i)
        refuse("startxref is not followed by a byte offset");
    if (tail.find("%%EOF", static_cast<std::size_t>(end - tail.data())) == std::string_view::npos)
        refuse("no %%EOF after the last startxref (ISO 32000-1 §7.5.5)");
    if (offset >= text.size())
        refuse("startxref names offset " + std::to_string(offset) + ", past the end of the file");
    return offset;
}

PdfDocument PdfDocument::open(ByteView bytes, const PdfLimits& limits) {
    if (bytes.size() > limits.max_bytes)
        refuse("the document has " + std::to_string(bytes.size()) + " bytes, over the limit of " +
               std::to_string(limits.max_bytes));
    const std::string_view text = text_of(bytes);
    // §7.5.2: the header is the first line. A signature's ByteRange starts at offset 0, so bytes
    // before the header (which readers tolerate) would be signed yet be no part of the PDF.
    if (!text.starts_with("%PDF-"))
        refuse("it does not begin with the %PDF- header");

    PdfDocument doc;
    doc.bytes_ = bytes;
    doc.limits_ = limits;
    doc.startxref_ = last_startxref(bytes);
    doc.xref_form_ = form_at(text, doc.startxref_);
    doc.qpdf_ = std::make_unique<QPDF>();
    QPDF& qpdf = *doc.qpdf_;
    qpdf.setSuppressWarnings(true);
    // A file qpdf can read only by rebuilding its cross-reference table is damaged: its offsets
    // would not be the ones an incremental update's /Prev and a signer's ByteRange rely on.
    qpdf.setAttemptRecovery(false);
    try {
        // Not copied: qpdf reads through a buffer that borrows the caller's bytes.
        qpdf.processMemoryFile("document", text.data(), text.size());
        if (qpdf.isEncrypted())
            refuse("it is encrypted (ISO 32000-1 §7.6); a signed contract must be readable as is");
        if (qpdf.anyWarnings())
            refuse(first_warning(qpdf));

        const auto xref = qpdf.getXRefTable();
        if (xref.size() > limits.max_objects)
            refuse("it has " + std::to_string(xref.size()) + " objects, over the limit of " +
                   std::to_string(limits.max_objects));
        int highest = 0;
        for (const auto& [og, entry] : xref) {
            // Parsing every object (not decoding stream data) finds damage that qpdf would
            // otherwise only meet, and repair, when a later step reads the object.
            (void)qpdf.getObject(og).getTypeCode();
            highest = std::max(highest, og.getObj());
        }
        QPDFObjectHandle trailer = qpdf.getTrailer();
        QPDFObjectHandle size = trailer.getKey("/Size");
        if (!size.isInteger() || size.getIntValue() < 1 || size.getIntValue() > (1 << 23))
            refuse("the trailer's /Size is missing or out of range (ISO 32000-1 §7.5.5)");
        if (!trailer.getKey("/Root").isIndirect() || !trailer.getKey("/Root").isDictionary())
            refuse("the trailer's /Root is not an indirect dictionary (ISO 32000-1 §7.5.5)");
        doc.next_object_ = std::max(static_cast<int>(size.getIntValue()), highest + 1);

        if (qpdf.getAllPages().empty())
            refuse("it has no pages");
        if (qpdf.anyWarnings())
            refuse(first_warning(qpdf));
    } catch (const Error&) {
        throw;
    } catch (const QPDFExc& e) {
        if (e.getErrorCode() == qpdf_e_password)
            refuse("it is encrypted (ISO 32000-1 §7.6) with a password");
        refuse(e.what());
    } catch (const std::exception& e) {
        refuse(e.what());
    }
    return doc;
}

PdfDocument::PdfDocument(PdfDocument&&) noexcept = default;
PdfDocument& PdfDocument::operator=(PdfDocument&&) noexcept = default;
PdfDocument::~PdfDocument() = default;

}  // namespace signet::sign
