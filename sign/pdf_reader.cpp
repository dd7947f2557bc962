#include "sign/pdf_reader.hpp"

#include <map>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <string_view>

#include "common/error.hpp"
#include "sign/pdf_form.hpp"
#include "sign/pdf_revisions.hpp"

namespace signet::sign {

namespace {

[[noreturn]] void malformed(const std::string& field, const std::string& what) {
    throw Error(Errc::invalid_argument, "signature field '" + field + "': " + what);
}

// The DER length of a SEQUENCE at the start of `bytes` (X.690 §8.1.3), or 0 when there is none:
// /Contents is padded with zeros after the DER (§12.8.1 reserves the space beforehand).
std::size_t der_length(const std::string& bytes) {
    if (bytes.size() < 2 || static_cast<unsigned char>(bytes[0]) != 0x30)
        return 0;
    const auto first = static_cast<unsigned char>(bytes[1]);
    if (first < 0x80)
        return 2u + first;
    const std::size_t count = first & 0x7Fu;
    if (count == 0 || count > 4 || bytes.size() < 2 + count)
        return 0;
    std::size_t length = 0;
    for (std::size_t i = 0; i < count; ++i)
        length = (length << 8) | static_cast<unsigned char>(bytes[2 + i]);
    const std::size_t total = 2 + count + length;
    return total <= bytes.size() ? total : 0;
}

// Just after a %%EOF marker and the end of line that may follow it (§7.5.5).
bool ends_a_revision(std::string_view file, std::uint64_t end) {
    if (end > file.size())
        return false;
    const std::string_view head = file.substr(0, static_cast<std::size_t>(end));
    for (std::string_view ending : {"%%EOF", "%%EOF\n", "%%EOF\r", "%%EOF\r\n"})
        if (head.ends_with(ending))
            return true;
    return false;
}

bool is_hex_string_of(std::string_view gap, const std::string& value) {
    if (gap.size() < 2 || gap.front() != '<' || gap.back() != '>')
        return false;
    const std::string_view hex = gap.substr(1, gap.size() - 2);
    if (hex.size() != 2 * value.size())
        return false;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const int high = hex_value(hex[2 * i]);
        const int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0 || ((high << 4) | low) != static_cast<unsigned char>(value[i]))
            return false;
    }
    return true;
}

using XrefTable = std::map<QPDFObjGen, QPDFXRefEntry>;

PdfSignature read_one(const XrefTable& xref, const FormField& field, QPDFObjectHandle value,
                      std::string_view file) {
    PdfSignature sig;
    sig.field_name = field.name;
    if (QPDFObjectHandle type = entry(value, "/Type"); type.isName())
        sig.type = type.getName().substr(1);
    QPDFObjectHandle sub_filter = entry(value, "/SubFilter");
    if (!sub_filter.isName())
        malformed(field.name, "/SubFilter is not a name");
    sig.sub_filter = sub_filter.getName().substr(1);
    if (QPDFObjectHandle m = entry(value, "/M"); m.isString())
        sig.signing_time = m.getUTF8Value();

    QPDFObjectHandle range = entry(value, "/ByteRange");
    if (!range.isArray() || range.getArrayNItems() != 4)
        malformed(field.name, "/ByteRange is not an array of four integers");
    for (int i = 0; i < 4; ++i) {
        QPDFObjectHandle item = range.getArrayItem(i);
        if (!item.isInteger() || item.getIntValue() < 0 ||
            static_cast<std::uint64_t>(item.getIntValue()) > file.size())
            malformed(field.name, "/ByteRange holds a value that is not an offset in the file");
        sig.byte_range[static_cast<std::size_t>(i)] =
            static_cast<std::uint64_t>(item.getIntValue());
    }
    const auto [start, a, b, c] = sig.byte_range;
    if (a > b || b + c > file.size())
        malformed(field.name, "/ByteRange's ranges do not lie inside the file in order");
    sig.revision_end = b + c;

    QPDFObjectHandle contents = entry(value, "/Contents");
    if (!contents.isString())
        malformed(field.name, "/Contents is not a string");
    const std::string raw = contents.getStringValue();
    const std::size_t length = der_length(raw);
    sig.contents.assign(raw.begin(),
                        raw.begin() + static_cast<std::ptrdiff_t>(length ? length : raw.size()));

    // §12.8.1: the ByteRange covers the whole revision except the /Contents hex string.
    const auto place = value.isIndirect() ? xref.find(value.getObjGen()) : xref.end();
    if (start != 0)
        sig.coverage_problem = "the ByteRange does not start at the beginning of the file";
    else if (!is_hex_string_of(file.substr(a, b - a), raw))
        sig.coverage_problem = "the gap in the ByteRange is not exactly this signature's /Contents";
    else if (place == xref.end() || place->second.getType() != 1 ||
             static_cast<std::uint64_t>(place->second.getOffset()) >= a)
        sig.coverage_problem = "the signature dictionary is not inside the signed range";
    else if (!ends_a_revision(file, sig.revision_end))
        sig.coverage_problem = "the ByteRange does not end where a revision ends (%%EOF)";
    sig.covers_revision = sig.coverage_problem.empty();
    sig.covers_whole_file = sig.covers_revision && sig.revision_end == file.size();
    return sig;
}

PdfSignatures read_all(const PdfDocument& doc) {
    const std::string_view file(reinterpret_cast<const char*>(doc.bytes().data()),
                                doc.bytes().size());
    PdfSignatures out;
    QPDF& qpdf = doc.qpdf();
    const XrefTable xref = qpdf.getXRefTable();
    for (const FormField& field : terminal_fields(qpdf)) {
        if (field.type != "/Sig")
            continue;
        QPDFObjectHandle value = entry(field.field, "/V");
        if (!value.isDictionary())
            continue;  // an empty signature field: nothing signed yet (§12.7.4.5)
        out.signatures.push_back(read_one(xref, field, value, file));
    }

    // The later revisions of each revision a signature covers, compared once per revision.
    std::map<std::uint64_t, std::vector<std::string>> changes_after;
    for (PdfSignature& sig : out.signatures) {
        if (!sig.covers_revision)
            continue;
        if (sig.covers_whole_file) {
            sig.later_changes_permitted = true;
            continue;
        }
        auto it = changes_after.find(sig.revision_end);
        if (it == changes_after.end()) {
            const PdfDocument revision = PdfDocument::open(
                doc.bytes().first(static_cast<std::size_t>(sig.revision_end)), doc.limits());
            it = changes_after.emplace(sig.revision_end, unexplained_changes(revision, doc)).first;
        }
        sig.later_changes = it->second;
        sig.later_changes_permitted = sig.later_changes.empty();
    }
    out.dss = read_dss(doc);
    return out;
}

}  // namespace

PdfSignatures read_signatures(const PdfDocument& doc) {
    return reading_pdf("reading the PDF's signatures", [&] { return read_all(doc); });
}

std::array<ByteView, 2> byte_range_parts(ByteView file, const std::array<std::uint64_t, 4>& range) {
    const auto [start, length1, offset2, length2] = range;
    if (start > file.size() || length1 > file.size() - start || offset2 < start + length1 ||
        offset2 > file.size() || length2 > file.size() - offset2)
        throw Error(Errc::invalid_argument, "the ByteRange does not lie inside the file in order");
    return {file.subspan(static_cast<std::size_t>(start), static_cast<std::size_t>(length1)),
            file.subspan(static_cast<std::size_t>(offset2), static_cast<std::size_t>(length2))};
}

}  // namespace signet::sign
