#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "sign/pdf_document.hpp"
#include "sign/pdf_dss.hpp"

// Reading a PDF's signatures for the verifier (issue 13, "Verification"): each signature field's
// signature dictionary, how much of the file its ByteRange covers, and whether the revisions
// after it changed only what adding signatures, /DSS and document time-stamps changes.
namespace signet::sign {

struct PdfSignature {
    std::string field_name;  // fully qualified (§12.7.3.2)
    std::string type;        // the dictionary's /Type: "Sig", "DocTimeStamp", or empty
    std::string sub_filter;  // e.g. "ETSI.CAdES.detached", "ETSI.RFC3161", "adbe.pkcs7.detached"
    std::optional<std::string> signing_time;  // /M as written (a PDF date, §7.9.4)
    std::array<std::uint64_t, 4> byte_range{};
    Bytes contents;  // the CMS SignedData or TimeStampToken DER, the zero padding removed
    // Where the revision this signature signs ends: ByteRange's b + c.
    std::uint64_t revision_end = 0;

    // The ByteRange is [0 a b c] with [a, b) exactly this signature's /Contents hex string, the
    // signature dictionary inside the first range, and b + c the end of a revision (just after
    // a %%EOF marker and its end of line): the whole revision is signed but for /Contents.
    bool covers_revision = false;
    std::string coverage_problem;    // why not, when it does not
    bool covers_whole_file = false;  // covers_revision and revision_end is the file's size

    // Whether every revision after this one only added signature fields and their widgets, the
    // document's /DSS, and document time-stamps. Checked object by object: every object that a
    // later cross-reference section gives a new place, and that existed at revision_end, must
    // differ from its signed copy only in the catalog's /AcroForm and /DSS, the form's /Fields
    // and /SigFlags, a page's /Annots, or an /Annots or /Fields array, where old entries stay in
    // order and every added one is a signature field (/FT /Sig) or its widget; no signed object
    // may be deleted. New objects are judged only through these references: a new signature
    // widget's appearance is drawn (as ISO 32000-1 §12.8.2.2 DocMDP /P 2 allows).
    // True when the signature covers the whole file.
    bool later_changes_permitted = false;
    std::vector<std::string> later_changes;  // the changes that are not permitted

    bool is_document_timestamp() const { return sub_filter == "ETSI.RFC3161"; }
};

struct PdfSignatures {
    std::vector<PdfSignature> signatures;  // in the order of the form's fields
    ValidationData dss;
};

// Errc::invalid_argument for a signature dictionary that is malformed (no /ByteRange of four
// non-negative integers inside the file, /Contents not a string, /SubFilter not a name), naming
// the field, and for what PdfDocument::open refuses in a signed revision.
PdfSignatures read_signatures(const PdfDocument& doc);

// The two ranges a ByteRange covers in `file`, as views. Errc::invalid_argument when they do not
// lie inside it in order.
std::array<ByteView, 2> byte_range_parts(ByteView file, const std::array<std::uint64_t, 4>& range);

}  // namespace signet::sign
