#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/handle.hpp"
#include "sign/cms_verify.hpp"
#include "sign/pdf_document.hpp"

// Verification of a signed document from its bytes alone (issue 13, "Verification"): what
// `POST /v1/verify` and `signetctl verify` report. A PDF's signatures and document time-stamps
// (PAdES, EN 319 142-1) or a detached CMS (CAdES, EN 319 122-1), offline, with optional trust
// anchors. The result is plain data; sign/verify_report.hpp renders it as JSON and as text.
namespace signet::sign {

enum class SignatureKind { signature, document_timestamp };
std::string_view to_string(SignatureKind kind) noexcept;  // "signature", "document_timestamp"

// Where a PDF signature sits (pdf_reader.hpp's PdfSignature, which says how each is judged).
struct PdfCoverage {
    std::array<std::uint64_t, 4> byte_range{};
    std::uint64_t revision_end = 0;  // the end of the revision it signs
    bool covers_revision = false;
    std::string problem;  // why it does not cover its revision
    bool covers_whole_file = false;
    // The later revisions only added signatures, /DSS and document time-stamps.
    bool later_changes_permitted = false;
    std::vector<std::string> later_changes;  // the changes that are not permitted
};

struct SignatureCheck {
    SignatureKind kind = SignatureKind::signature;
    std::string field_name;  // a PDF's fully qualified field name; empty for a CMS
    std::string sub_filter;  // a PDF's /SubFilter
    // A PDF's /M as written: what the signing software claims, proved by nothing.
    std::optional<std::string> claimed_time;
    std::optional<SignerReport> signer;        // kind signature: the CAdES verification
    std::optional<TimeStampReport> time_stamp;  // kind document_timestamp: the token's
    std::optional<PdfCoverage> coverage;       // a PDF's
    bool intact = false;  // the covered bytes are the signed ones (message-digest, imprint)
    // The proved time: the genTime of the signature time-stamp (or of the document time-stamp
    // itself) when its token verifies and is over this signature (these bytes).
    std::optional<Clock::time_point> time;
    // Signatures only: B-B, B-T, B-LT as verify_detached judges them (with the PDF's /DSS as
    // external validation data), capped at none when the ByteRange does not cover its
    // revision; B-LTA when a later, valid document time-stamp covers a revision whose /DSS
    // alone (with the CMS) already makes this signature B-LT (EN 319 142-1 §6.3, Table 1).
    Level level = Level::none;
    // The signature itself: for a signature, verify_detached's `valid` and, in a PDF, its
    // revision covered; for a document time-stamp, its token verifies over its covered
    // revision, the TSA's chain has nothing revoked at genTime and is trusted when anchors
    // are given. Later revisions are judged by DocumentReport::valid.
    bool valid = false;
    std::vector<std::string> problems;
};

enum class DocumentFormat { pdf, cms };
std::string_view to_string(DocumentFormat format) noexcept;  // "pdf", "cms"

struct DocumentReport {
    DocumentFormat format = DocumentFormat::pdf;
    std::vector<SignatureCheck> signatures;  // a PDF's in its form's field order
    // At least one signature, every signature valid, and, in a PDF, every change after each
    // signature's revision permitted.
    bool valid = false;
    std::vector<std::string> problems;  // about the document as a whole
};

// A detached CMS's signed content: the bytes themselves, or their digest.
using DetachedContent = std::variant<ByteView, ContentDigest>;

struct DocumentVerifyOptions {
    std::vector<X509Ptr> trust_anchors;  // none: chains reported, not trusted
    Clock::time_point now;  // the validation time of a signature without a usable time-stamp
    std::optional<DetachedContent> detached_content;  // a detached CMS needs it; a PDF ignores it
    PdfLimits pdf;
};

// More than any contract holds; bounds a crafted file's work (each is a CMS verification).
inline constexpr std::size_t kMaxDocumentSignatures = 100;

// Verifies `bytes`: a PDF (it starts with "%PDF-") or else a detached CMS SignedData (DER).
// Errc::invalid_argument naming the problem for: empty input; a PDF that PdfDocument::open or
// read_signatures refuses, or with more than kMaxDocumentSignatures signatures; a CMS that
// verify_detached refuses; a CMS without options.detached_content ("needs the signed data").
// A PDF signature whose own /Contents does not decode is reported (invalid, its problem named),
// not thrown, so the others are still judged.
DocumentReport verify_document(ByteView bytes, const DocumentVerifyOptions& options);

}  // namespace signet::sign
