#include "evidence/certificate_pdf.hpp"

#include <algorithm>
#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>
#include <sstream>

#include "common/error.hpp"

namespace signet::evidence {

namespace {

constexpr double kPageWidth = 595;  // A4 in points (ISO 216: 210 x 297 mm)
constexpr double kPageHeight = 842;
constexpr double kMargin = 50;

struct Line {
    std::string text;
    double size = 10;
};

// UTF-8 to WinAnsiEncoding for the standard Helvetica (ISO 32000-1 Annex D): ASCII and
// U+00A0..U+00FF map to themselves; anything else becomes '?'.
std::string latin1(std::string_view utf8) {
    std::string out;
    for (std::size_t i = 0; i < utf8.size();) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c < 0x80) {
            out += static_cast<char>(c < 0x20 ? '?' : c);
            ++i;
            continue;
        }
        std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (length == 2 && i + 1 < utf8.size()) {
            const unsigned code =
                ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3Fu);
            out += code >= 0xA0 && code <= 0xFF ? static_cast<char>(code) : '?';
        } else {
            out += '?';
        }
        i += length;
    }
    return out;
}

// A PDF literal string (ISO 32000-1 §7.3.4.2): '(', ')' and '\' escaped.
std::string literal(std::string_view text) {
    std::string out = "(";
    for (const char c : text) {
        if (c == '(' || c == ')' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + ")";
}

std::string time_text(const std::optional<Clock::time_point>& t) {
    return t ? format_utc(*t) : "(no time-stamp)";
}

std::vector<Line> lines_of(const CertificateContent& c) {
    std::vector<Line> lines;
    lines.push_back({"Evidence certificate", 18});
    lines.push_back({"", 10});
    lines.push_back({"Contract " + c.contract_id + " (" + c.state + ")", 10});
    lines.push_back({"Title: " + c.title, 10});
    lines.push_back({std::string("Signed document (") +
                         (c.format == "pdf" ? "PDF, PAdES" : "data, CAdES") + ") SHA-256:",
                     10});
    lines.push_back({"    " + c.document_sha256, 9});
    lines.push_back({"", 10});
    for (const CertificateSigner& s : c.signers) {
        lines.push_back(
            {"Signer " + std::to_string(s.position) + " (" + s.kind + "): " + s.name, 10});
        lines.push_back({"    signed at " + time_text(s.signed_at) + " (time-stamp)", 9});
        lines.push_back({"    certificate serial " + s.certificate_serial, 9});
        lines.push_back({"    issuer " + s.certificate_issuer, 9});
        lines.push_back({"    certificate SHA-256 " + s.certificate_sha256, 9});
    }
    lines.push_back({"", 10});
    lines.push_back({"Audit log checkpoint '" + c.checkpoint_origin + "' of " +
                         std::to_string(c.checkpoint_size) + " events, made " +
                         format_utc(c.checkpoint_time) + ", root:",
                     10});
    lines.push_back({"    " + c.checkpoint_root, 9});
    lines.push_back({"", 10});
    lines.push_back(
        {"Package made " + format_utc(c.made_at) +
             ". Its manifest.json lists every file with its SHA-256; manifest.p7s seals it.",
         9});
    lines.push_back({"Verify offline: signetctl evidence verify PACKAGE.zip --root ROOT.pem", 9});
    return lines;
}

std::string content_stream(const std::vector<Line>& lines) {
    double height = 0;
    for (const Line& l : lines)
        height += l.size * 1.3;
    // One page whatever the number of signers: the type shrinks to fit.
    const double scale = std::min(1.0, (kPageHeight - 2 * kMargin) / height);
    std::ostringstream out;
    out << "BT\n";
    double y = kPageHeight - kMargin;
    for (const Line& l : lines) {
        const double size = l.size * scale;
        y -= size * 1.3;
        if (l.text.empty())
            continue;
        out << "/F1 " << size << " Tf 1 0 0 1 " << kMargin << ' ' << y << " Tm "
            << literal(latin1(l.text)) << " Tj\n";
    }
    out << "ET\n";
    return out.str();
}

}  // namespace

Bytes certificate_page(const CertificateContent& content) {
    QPDF pdf;
    pdf.emptyPDF();
    QPDFObjectHandle font = pdf.makeIndirectObject(QPDFObjectHandle::parse(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"));
    QPDFObjectHandle resources = QPDFObjectHandle::newDictionary();
    QPDFObjectHandle fonts = QPDFObjectHandle::newDictionary();
    fonts.replaceKey("/F1", font);
    resources.replaceKey("/Font", fonts);
    QPDFObjectHandle page = pdf.makeIndirectObject(QPDFObjectHandle::parse(
        "<< /Type /Page /MediaBox [0 0 " + std::to_string(static_cast<int>(kPageWidth)) + " " +
        std::to_string(static_cast<int>(kPageHeight)) + "] >>"));
    page.replaceKey("/Contents",
                    QPDFObjectHandle::newStream(&pdf, content_stream(lines_of(content))));
    page.replaceKey("/Resources", resources);
    QPDFPageDocumentHelper(pdf).addPage(page, false);

    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    writer.setObjectStreamMode(qpdf_o_disable);  // a classic cross-reference table
    writer.write();
    const std::shared_ptr<Buffer> buffer = writer.getBufferSharedPointer();
    const unsigned char* data = buffer->getBuffer();
    return Bytes(data, data + buffer->getSize());
}

Bytes sealed_certificate(const CertificateContent& content, const sign::SigningParties& parties,
                         Clock::time_point now) {
    Bytes pdf = certificate_page(content);
    pdf.reserve(pdf.size() + sign::kPadesReserve);
    sign::PadesOptions options;
    options.signature.field_name = "Evidence-Seal";
    options.signature.signing_time = now;
    sign::sign_pades(pdf, parties, options);
    return pdf;
}

}  // namespace signet::evidence
