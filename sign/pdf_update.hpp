#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "sign/pdf_document.hpp"

class QPDFObjectHandle;

// Writing one incremental update (ISO 32000-1 §7.5.6): objects appended after the original bytes,
// which are never rewritten, then a cross-reference section of the same form as the newest one
// and a trailer whose /Prev names it. qpdf 11 reads PDFs but cannot write an update, so the
// section is written here; qpdf's unparse serializes the objects this layer copies.
// Internal to sign/ (pdf_signature.cpp, pdf_dss.cpp).
namespace signet::sign {

class IncrementalUpdate {
  public:
    explicit IncrementalUpdate(const PdfDocument& doc);

    // A new object number, above every number the document uses.
    int new_object();
    // "N G obj\n" body "\nendobj\n": a new object, or a changed copy of an existing one (§7.5.6:
    // same number and generation, the newer copy wins). Returns the offset of `body` in bytes().
    std::size_t write_object(int number, int generation, std::string_view body);
    // A stream object: `dictionary_entries` (without << >> and /Length) and its data, unfiltered.
    void write_stream(int number, std::string_view dictionary_entries, ByteView data);

    // The cross-reference section, the trailer and %%EOF; the update is complete after this.
    // §7.5.6: the trailer keeps the previous one's entries (/Root, /Info, /ID) and adds /Prev.
    void finish();

    // The update so far; a file offset is base() + an offset in it.
    const Bytes& bytes() const noexcept { return out_; }
    Bytes& bytes() noexcept { return out_; }
    std::uint64_t base() const noexcept { return base_; }

  private:
    struct Entry {
        int number;
        int generation;
        std::uint64_t offset;  // in the file
    };
    void append(std::string_view text);
    void write_table(const std::string& trailer_entries);
    void write_xref_stream(const std::string& trailer_entries);
    std::string trailer_entries();

    const PdfDocument& doc_;
    std::uint64_t base_;
    int next_object_;
    Bytes out_;
    std::vector<Entry> entries_;
};

// --- Object text (§7.3) ------------------------------------------------------------------------

std::string pdf_reference(int number, int generation = 0);
// A name object ("/Sig"), escaped with #xx where §7.3.5 requires it.
std::string pdf_name(std::string_view name);
// A text string (§7.9.2.2): PDFDocEncoding when it can be, else UTF-16BE with a BOM.
std::string pdf_text_string(std::string_view utf8);
// A date (§7.9.4) in UTC: (D:YYYYMMDDHHmmSS+00'00').
std::string pdf_date(std::chrono::system_clock::time_point time);
// The dictionary `dict` with the given keys (names without '/') set to object text (added, or
// replacing a value) and every other entry as it was, indirect references kept as references.
std::string dictionary_with(QPDFObjectHandle dict,
                            const std::vector<std::pair<std::string, std::string>>& changed);

}  // namespace signet::sign
