#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.hpp"

class QPDF;

// PDF intake: a PDF opened from memory with libqpdf, refused when it is encrypted, damaged or too
// large, and what an incremental update (ISO 32000-1 §7.5.6) needs to know about its newest
// revision. The signing (sign/pdf_signature.hpp) and reading (sign/pdf_reader.hpp) layers start
// from a PdfDocument.
namespace signet::sign {

struct PdfLimits {
    // A parser's bound, above the policy's contract size (100 MiB by default, issue 13, checked
    // when a contract is submitted): the revisions signing adds (each signature's /Contents, the
    // /DSS) make a signed contract larger than the document submitted.
    std::size_t max_bytes = 128u * 1024 * 1024;
    // Indirect objects (qpdf keeps every parsed object in memory while the document is open).
    std::size_t max_objects = 500'000;
    // Decoded bytes read from any one stream this layer reads itself (DSS entries).
    std::size_t max_stream_bytes = 16u * 1024 * 1024;
};

// The form of the newest cross-reference section: a classic table (§7.5.4; hybrid files too) or
// a cross-reference stream (§7.5.8). An update writes the same form.
enum class XrefForm { table, stream };

// An opened PDF. It views the caller's bytes, which must outlive it; it never copies them (a
// 100 MiB contract costs its own size once, issue 13's memory bound).
class PdfDocument {
  public:
    // Errc::invalid_argument, naming the problem, for: more than limits.max_bytes, no "%PDF-"
    // header at offset 0, no startxref/%%EOF at the end, an encrypted file (§7.6), a file qpdf
    // can read only by reconstructing it or with any warning (damage), an object that does not
    // parse, no pages, more than limits.max_objects objects.
    static PdfDocument open(ByteView bytes, const PdfLimits& limits = {});

    PdfDocument(PdfDocument&&) noexcept;
    PdfDocument& operator=(PdfDocument&&) noexcept;
    ~PdfDocument();

    ByteView bytes() const noexcept { return bytes_; }
    const PdfLimits& limits() const noexcept { return limits_; }
    // The reader (libqpdf), for this layer's own files.
    QPDF& qpdf() const noexcept { return *qpdf_; }

    // The newest revision, from the file's last startxref (§7.5.5).
    std::uint64_t startxref() const noexcept { return startxref_; }
    XrefForm xref_form() const noexcept { return xref_form_; }
    // One more than the highest object number in use: the first free number for new objects.
    int next_object_number() const noexcept { return next_object_; }

  private:
    PdfDocument() = default;
    ByteView bytes_;
    PdfLimits limits_;
    std::unique_ptr<QPDF> qpdf_;
    std::uint64_t startxref_ = 0;
    XrefForm xref_form_ = XrefForm::table;
    int next_object_ = 1;
};

// The offset the last "startxref" keyword of `bytes` names, looked for in the last 1024 bytes
// and followed by "%%EOF" (§7.5.5). Errc::invalid_argument when absent or not a number inside
// the file.
std::uint64_t last_startxref(ByteView bytes);

}  // namespace signet::sign
