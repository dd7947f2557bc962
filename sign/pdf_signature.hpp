#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/digest.hpp"
#include "sign/pdf_document.hpp"

// A PAdES signature or document time-stamp as one incremental update (ETSI EN 319 142-1,
// ISO 32000-1 §12.8): prepare the revision with /Contents reserved as zeros, sign its ByteRange
// (the digest, or the bytes themselves), embed the CMS / time-stamp token. Only the update is
// returned, never the whole file: the signed PDF is the original bytes followed by update(), so a
// 100 MiB contract is never copied (issue 13's memory bound).
namespace signet::sign {

// Where a visible signature is drawn: a page and a rectangle in its default user space (points,
// origin at the bottom left of the MediaBox, ISO 32000-1 §8.3.2.3), and its text lines.
struct VisibleSignature {
    int page = 1;  // 1-based
    double left = 0, bottom = 0, right = 0, top = 0;
    // E.g. the signer's name and the signing time. Drawn in Helvetica: characters outside
    // Latin-1 are drawn as '?'.
    std::vector<std::string> lines;
};

struct SignatureRequest {
    // The field's partial name (§12.7.3.1), unique among the document's top-level fields; empty:
    // the first free "SignatureN". Printable, no '.', at most 64 bytes.
    std::string field_name;
    // /M, the claimed signing time (EN 319 142-1 §5.3: PAdES carries it here, not in the CMS).
    std::chrono::system_clock::time_point signing_time;
    // Bytes reserved for the DER CMS (/Contents is twice as many hex digits). 1 to 1 MiB.
    std::size_t contents_size = 32 * 1024;
    // None: an invisible signature (a widget with an empty /Rect on page 1).
    std::optional<VisibleSignature> visible;
};

struct TimestampRequest {
    std::string field_name;  // as for SignatureRequest
    std::size_t contents_size = 16 * 1024;
};

// A prepared revision: the update to append, its /Contents still zeros.
class PreparedSignature {
  public:
    // The bytes to append after the original document.
    const Bytes& update() const noexcept { return update_; }
    // /ByteRange (§12.8.1): [0 a b c] in file offsets; [a, b) is the /Contents hex string.
    const std::array<std::uint64_t, 4>& byte_range() const noexcept { return byte_range_; }
    // SHA-256 of the ByteRange's bytes: what a CAdES signature's message-digest attribute and a
    // document time-stamp's message imprint carry.
    const Sha256Digest& digest() const noexcept { return digest_; }
    // The ByteRange's bytes, in order, without copying: the original document, the update up to
    // /Contents, the update after it. Views into the original and into this object.
    std::array<ByteView, 3> signed_parts() const noexcept;
    std::size_t contents_size() const noexcept { return contents_size_; }

    // Writes `der` (a CMS SignedData or an RFC 3161 TimeStampToken) into /Contents, zero-padded.
    // Errc::invalid_argument when it is empty or larger than contents_size(). May be called
    // again (the last one counts).
    void embed(ByteView der);

    // The original bytes followed by the update: one copy of the document, for callers that
    // want the whole file in memory.
    Bytes signed_document() const;

  private:
    friend class SignatureWriter;
    ByteView original_;
    Bytes update_;
    std::array<std::uint64_t, 4> byte_range_{};
    Sha256Digest digest_{};
    std::size_t contents_offset_ = 0;  // in update_: the first hex digit after '<'
    std::size_t contents_size_ = 0;
};

// A signature revision (EN 319 142-1 baseline, §12.8): a signature dictionary /Type /Sig
// /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached with /M, /ByteRange and /Contents; a
// signature field merged with its widget annotation (invisible, or drawn as `visible` asks) on
// its page's /Annots; the AcroForm's /Fields with it and /SigFlags 3. Errc::invalid_argument for
// a bad request (name taken or malformed, page out of range, empty rectangle, contents size out
// of range); Errc::failed_precondition when a certification signature forbids changes (§12.8.2.2
// DocMDP /P 1).
PreparedSignature prepare_signature(const PdfDocument& doc, const SignatureRequest& request);

// A document time-stamp revision (ETSI EN 319 142-1 §5.5, ISO 32000-2 §12.8.5): /Type
// /DocTimeStamp /SubFilter /ETSI.RFC3161, an invisible field; embed an RFC 3161 TimeStampToken
// whose message imprint is digest().
PreparedSignature prepare_document_timestamp(const PdfDocument& doc,
                                             const TimestampRequest& request);

}  // namespace signet::sign
