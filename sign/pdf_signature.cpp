#include "sign/pdf_signature.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "sign/pdf_appearance.hpp"
#include "sign/pdf_form.hpp"
#include "sign/pdf_update.hpp"

namespace signet::sign {

namespace {

constexpr std::size_t kMaxContentsSize = 1024 * 1024;
// "[0 a b c" padded with spaces to this width, then "]": room for three 20-digit offsets.
constexpr std::size_t kByteRangeWidth = 64;

struct Revision {
    std::string signature_entries;  // the signature dictionary before /ByteRange and /Contents
    std::string field_name;
    std::size_t contents_size = 0;
    std::optional<VisibleSignature> visible;
};

void check_rectangle(const VisibleSignature& v) {
    // ISO 32000-1 Annex C: coordinates within ±32767 user-space units.
    for (double value : {v.left, v.bottom, v.right, v.top})
        if (!std::isfinite(value) || std::fabs(value) > 32767)
            throw Error(Errc::invalid_argument,
                        "the visible signature's rectangle has a coordinate outside ±32767");
    if (v.right - v.left < 1 || v.top - v.bottom < 1)
        throw Error(Errc::invalid_argument,
                    "the visible signature's rectangle is empty (right <= left or top <= bottom)");
}

std::string rectangle_text(double l, double b, double r, double t) {
    char text[128];
    std::snprintf(text, sizeof text, "[%.2f %.2f %.2f %.2f]", l, b, r, t);
    return text;
}

Sha256Digest digest_of(const std::array<ByteView, 3>& parts) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx)
        throw_openssl_error("EVP_MD_CTX_new");
    check_openssl(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr), "SHA-256 init");
    for (ByteView part : parts)
        check_openssl(EVP_DigestUpdate(ctx.get(), part.data(), part.size()), "SHA-256 update");
    Sha256Digest digest{};
    check_openssl(EVP_DigestFinal_ex(ctx.get(), digest.data(), nullptr), "SHA-256 final");
    return digest;
}

}  // namespace

// Writes a revision; a friend of PreparedSignature.
class SignatureWriter {
  public:
    static PreparedSignature write(const PdfDocument& doc, const Revision& revision);
};

PreparedSignature SignatureWriter::write(const PdfDocument& doc, const Revision& revision) {
    if (revision.contents_size == 0 || revision.contents_size > kMaxContentsSize)
        throw Error(Errc::invalid_argument, "the reserved /Contents size must be 1 to " +
                                                std::to_string(kMaxContentsSize) + " bytes");
    check_changes_permitted(doc);
    const std::string name = choose_field_name(doc, revision.field_name);
    QPDF& qpdf = doc.qpdf();
    const auto& pages = qpdf.getAllPages();
    const int page_number = revision.visible ? revision.visible->page : 1;
    if (page_number < 1 || static_cast<std::size_t>(page_number) > pages.size())
        throw Error(Errc::invalid_argument, "page " + std::to_string(page_number) +
                                                " does not exist (the document has " +
                                                std::to_string(pages.size()) + ")");
    QPDFObjectHandle page = pages[static_cast<std::size_t>(page_number - 1)];
    if (revision.visible)
        check_rectangle(*revision.visible);

    IncrementalUpdate update(doc);
    const int signature = update.new_object();
    const int field = update.new_object();
    const std::string field_ref = pdf_reference(field);

    // The field merged with its widget (§12.7.3.1, §12.5.6.19); /F 132 = Print | Locked.
    std::string widget = "<< /Type /Annot /Subtype /Widget /FT /Sig /T " + pdf_text_string(name) +
                         " /V " + pdf_reference(signature) + " /F 132 /P " + page.unparse();
    if (const auto& v = revision.visible) {
        const int appearance = update.new_object();
        const int font = update.new_object();
        widget += " /Rect " + rectangle_text(v->left, v->bottom, v->right, v->top) + " /AP << /N " +
                  pdf_reference(appearance) + " >>";
        const double width = v->right - v->left;
        const double height = v->top - v->bottom;
        const std::string content = signature_appearance_content(width, height, v->lines);
        update.write_stream(appearance,
                            "/Type /XObject /Subtype /Form /BBox " +
                                rectangle_text(0, 0, width, height) +
                                " /Resources << /Font << /F1 " + pdf_reference(font) + " >> >>",
                            as_bytes(content));
        update.write_object(font, 0, helvetica_font_dictionary());
    } else {
        // An invisible signature: a zero-size rectangle (§12.7.4.5 NOTE; ISO 32000-2 §12.5.5
        // exempts it from needing an appearance).
        widget += " /Rect [0 0 0 0]";
    }
    update.write_object(field, 0, widget + " >>");
    add_field_to_form(doc, update, field_ref);
    add_annotation_to_page(update, page, field_ref);

    // The signature dictionary, /ByteRange and /Contents last so their offsets are plain.
    const std::string byte_range_placeholder = "[0 0 0 0" + std::string(kByteRangeWidth - 8, ' ');
    const std::string head = "<< " + revision.signature_entries + " /ByteRange ";
    const std::string body = head + byte_range_placeholder + "] /Contents <" +
                             std::string(2 * revision.contents_size, '0') + "> >>";
    const std::size_t body_offset = update.write_object(signature, 0, body);
    update.finish();

    PreparedSignature out;
    out.original_ = doc.bytes();
    out.update_ = std::move(update.bytes());
    out.contents_size_ = revision.contents_size;
    out.contents_offset_ = body_offset + body.find("/Contents <") + 11;
    const std::uint64_t base = doc.bytes().size();
    const std::uint64_t a = base + out.contents_offset_ - 1;
    const std::uint64_t b = base + out.contents_offset_ + 2 * revision.contents_size + 1;
    const std::uint64_t total = base + out.update_.size();
    out.byte_range_ = {0, a, b, total - b};
    std::string range =
        "[0 " + std::to_string(a) + " " + std::to_string(b) + " " + std::to_string(total - b);
    // §12.8.1: ByteRange [offset1 length1 offset2 length2]: here 0, a, b, and c = total - b.
    range.resize(kByteRangeWidth, ' ');
    std::memcpy(out.update_.data() + body_offset + head.size(), range.data(), range.size());
    out.digest_ = digest_of(out.signed_parts());
    return out;
}

std::array<ByteView, 3> PreparedSignature::signed_parts() const noexcept {
    const ByteView update(update_);
    return {original_, update.first(contents_offset_ - 1),
            update.subspan(contents_offset_ + 2 * contents_size_ + 1)};
}

void PreparedSignature::embed(ByteView der) {
    if (der.empty())
        throw Error(Errc::invalid_argument, "the signature to embed is empty");
    if (der.size() > contents_size_)
        throw Error(Errc::invalid_argument,
                    "the signature of " + std::to_string(der.size()) + " bytes does not fit the " +
                        std::to_string(contents_size_) + " bytes reserved for /Contents");
    std::string hex = to_hex(der);
    hex.resize(2 * contents_size_, '0');
    std::memcpy(update_.data() + contents_offset_, hex.data(), hex.size());
}

Bytes PreparedSignature::signed_document() const {
    Bytes out;
    out.reserve(original_.size() + update_.size());
    out.insert(out.end(), original_.begin(), original_.end());
    out.insert(out.end(), update_.begin(), update_.end());
    return out;
}

PreparedSignature prepare_signature(const PdfDocument& doc, const SignatureRequest& request) {
    // EN 319 142-1 §5.3 (PAdES baseline): /SubFilter ETSI.CAdES.detached, /M present; /Filter is
    // the customary Adobe.PPKLite (§12.8.1: a preferred handler, any conforming one may verify).
    Revision revision;
    revision.signature_entries =
        "/Type /Sig /Filter /Adobe.PPKLite /SubFilter "
        "/ETSI.CAdES.detached /M " +
        pdf_date(request.signing_time);
    revision.field_name = request.field_name;
    revision.contents_size = request.contents_size;
    revision.visible = request.visible;
    return reading_pdf("preparing the PDF revision",
                       [&] { return SignatureWriter::write(doc, revision); });
}

PreparedSignature prepare_document_timestamp(const PdfDocument& doc,
                                             const TimestampRequest& request) {
    // ISO 32000-2 §12.8.5: /Type /DocTimeStamp, /SubFilter /ETSI.RFC3161; the time is the
    // token's, so there is no /M.
    Revision revision;
    revision.signature_entries =
        "/Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161";
    revision.field_name = request.field_name;
    revision.contents_size = request.contents_size;
    return reading_pdf("preparing the PDF revision",
                       [&] { return SignatureWriter::write(doc, revision); });
}

}  // namespace signet::sign
