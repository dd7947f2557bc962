#include "sign/pdf_update.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include "common/digest.hpp"
#include "common/error.hpp"

namespace signet::sign {

IncrementalUpdate::IncrementalUpdate(const PdfDocument& doc)
    : doc_(doc), base_(doc.bytes().size()), next_object_(doc.next_object_number()) {
    // §7.5.6: the update follows the original %%EOF line; begin on a line of its own.
    const ByteView original = doc.bytes();
    if (original.empty() || (original.back() != '\n' && original.back() != '\r'))
        append("\n");
}

int IncrementalUpdate::new_object() {
    return next_object_++;
}

void IncrementalUpdate::append(std::string_view text) {
    out_.insert(out_.end(), text.begin(), text.end());
}

std::size_t IncrementalUpdate::write_object(int number, int generation, std::string_view body) {
    entries_.push_back({number, generation, base_ + out_.size()});
    append(std::to_string(number) + " " + std::to_string(generation) + " obj\n");
    const std::size_t body_offset = out_.size();
    append(body);
    append("\nendobj\n");
    return body_offset;
}

void IncrementalUpdate::write_stream(int number, std::string_view dictionary_entries,
                                     ByteView data) {
    entries_.push_back({number, 0, base_ + out_.size()});
    append(std::to_string(number) + " 0 obj\n<< " + std::string(dictionary_entries) + " /Length " +
           std::to_string(data.size()) + " >>\nstream\n");
    out_.insert(out_.end(), data.begin(), data.end());
    append("\nendstream\nendobj\n");
}

std::string IncrementalUpdate::trailer_entries() {
    QPDFObjectHandle trailer = doc_.qpdf().getTrailer();
    std::string text = " /Root " + trailer.getKey("/Root").unparse();
    if (QPDFObjectHandle info = trailer.getKey("/Info"); info.isIndirect())
        text += " /Info " + info.unparse();
    // §14.4: the first identifier stays; the second should change with every update. It is made
    // from this update's own bytes, so the same update always gets the same identifier.
    if (QPDFObjectHandle id = trailer.getKey("/ID");
        id.isArray() && id.getArrayNItems() == 2 && id.getArrayItem(0).isString()) {
        const Sha256Digest digest = sha256_of(ByteView(out_));
        text += " /ID [" + id.getArrayItem(0).unparse() + " <" +
                to_hex(ByteView(digest.data(), 16)) + ">]";
    }
    text += " /Prev " + std::to_string(doc_.startxref());
    return text;
}

void IncrementalUpdate::finish() {
    std::ranges::sort(entries_, {}, &Entry::number);
    if (doc_.xref_form() == XrefForm::table)
        write_table(trailer_entries());
    else
        write_xref_stream(trailer_entries());
}

// §7.5.4: subsections of consecutive numbers, each entry exactly 20 bytes.
void IncrementalUpdate::write_table(const std::string& trailer_entries) {
    const std::uint64_t xref_offset = base_ + out_.size();
    append("xref\n");
    for (std::size_t i = 0; i < entries_.size();) {
        std::size_t run = 1;
        while (i + run < entries_.size() &&
               entries_[i + run].number == entries_[i].number + static_cast<int>(run))
            ++run;
        append(std::to_string(entries_[i].number) + " " + std::to_string(run) + "\n");
        for (std::size_t k = i; k < i + run; ++k) {
            char line[21];
            std::snprintf(line, sizeof line, "%010llu %05d n\r\n",
                          static_cast<unsigned long long>(entries_[k].offset),
                          entries_[k].generation);
            append(std::string_view(line, 20));
        }
        i += run;
    }
    append("trailer\n<< /Size " + std::to_string(next_object_) + trailer_entries +
           " >>\nstartxref\n" + std::to_string(xref_offset) + "\n%%EOF\n");
}

// §7.5.8: a cross-reference stream, with an entry for itself (§7.5.8.3: like any stream it is an
// indirect object with an entry in a cross-reference section). Type 1 entries only, unfiltered.
void IncrementalUpdate::write_xref_stream(const std::string& trailer_entries) {
    const int number = new_object();
    const std::uint64_t xref_offset = base_ + out_.size();
    entries_.push_back({number, 0, xref_offset});
    int width = 1;
    while (width < 8 && (xref_offset >> (8 * width)) != 0)
        ++width;
    std::string index;
    Bytes data;
    for (std::size_t i = 0; i < entries_.size();) {
        std::size_t run = 1;
        while (i + run < entries_.size() &&
               entries_[i + run].number == entries_[i].number + static_cast<int>(run))
            ++run;
        index += " " + std::to_string(entries_[i].number) + " " + std::to_string(run);
        for (std::size_t k = i; k < i + run; ++k) {
            data.push_back(1);
            for (int b = width - 1; b >= 0; --b)
                data.push_back(static_cast<std::uint8_t>(entries_[k].offset >> (8 * b)));
            data.push_back(static_cast<std::uint8_t>(entries_[k].generation >> 8));
            data.push_back(static_cast<std::uint8_t>(entries_[k].generation));
        }
        i += run;
    }
    append(std::to_string(number) + " 0 obj\n<< /Type /XRef /Size " + std::to_string(next_object_) +
           " /Index [" + index.substr(1) + "] /W [1 " + std::to_string(width) + " 2]" +
           trailer_entries + " /Length " + std::to_string(data.size()) + " >>\nstream\n");
    out_.insert(out_.end(), data.begin(), data.end());
    append("\nendstream\nendobj\nstartxref\n" + std::to_string(xref_offset) + "\n%%EOF\n");
}

std::string pdf_reference(int number, int generation) {
    return std::to_string(number) + " " + std::to_string(generation) + " R";
}

std::string pdf_name(std::string_view name) {
    return QPDFObjectHandle::newName("/" + std::string(name)).unparse();
}

std::string pdf_text_string(std::string_view utf8) {
    return QPDFObjectHandle::newUnicodeString(std::string(utf8)).unparse();
}

std::string pdf_date(std::chrono::system_clock::time_point time) {
    const std::time_t t = std::chrono::system_clock::to_time_t(time);
    std::tm tm{};
    if (gmtime_r(&t, &tm) == nullptr || tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999)
        throw Error(Errc::invalid_argument, "the signing time is outside the years 1000 to 9999");
    char text[32];
    std::strftime(text, sizeof text, "(D:%Y%m%d%H%M%S+00'00')", &tm);
    return text;
}

std::string dictionary_with(QPDFObjectHandle dict,
                            const std::vector<std::pair<std::string, std::string>>& changed) {
    std::string text = "<<";
    for (const std::string& key : dict.getKeys()) {
        const bool replaced = std::ranges::any_of(
            changed, [&](const auto& entry) { return "/" + entry.first == key; });
        if (!replaced)
            text +=
                " " + QPDFObjectHandle::newName(key).unparse() + " " + dict.getKey(key).unparse();
    }
    for (const auto& [key, value] : changed)
        text += " " + pdf_name(key) + " " + value;
    return text + " >>";
}

}  // namespace signet::sign
