#pragma once

// The parts of a signature the package lays out as files: the CMS of a PDF signature and the
// validation data of its /DSS, read from the bytes that signer's revisions appended, and the
// certificates, CRLs and OCSP responses a CMS carries. The builder reads the appended bytes
// only, never the whole document: a 100 MiB PDF is streamed into the package, not parsed (the
// package's memory bound, evidence/README.md). These readers are for updates Signet's own PDF
// layer wrote (sign/pdf_update.hpp: unfiltered streams, a direct /ByteRange); the verifier never
// relies on them, it judges the whole document with sign::verify_document.
#include <cstdint>
#include <vector>

#include "common/bytes.hpp"
#include "sign/validation_data.hpp"

namespace signet::evidence {

// The DER value of each /ByteRange's /Contents that lies in `update`, the bytes of the file at
// offset `offset` (a revision's start): [0 a b c] names the hex string in [a, b), its zero
// padding cut at the DER length. In file order: a signature's CMS, then (the last signer's) a
// document time-stamp token. Errc::invalid_argument for a /ByteRange that is not four integers,
// points outside `update`, or whose /Contents is not hex holding one DER element.
std::vector<Bytes> byte_range_contents(ByteView update, std::uint64_t offset);

// The certificates, OCSP responses and CRLs among the unfiltered streams of `update` (the /DSS
// streams of sign/pdf_dss.hpp); other streams (a cross-reference stream) are skipped. At most
// sign::kMaxValidationItems of each kind (Errc::invalid_argument beyond).
sign::ValidationData stream_validation_data(ByteView update);

// SignedData.certificates, its CRLs and its RFC 5940 OCSP responses of a CMS ContentInfo (DER).
// Errc::invalid_argument for bytes that are not that.
sign::ValidationData cms_validation_data(ByteView cms_der);

// Appends `more` to `into`, skipping what is already there (the same bytes).
void merge(sign::ValidationData& into, const sign::ValidationData& more);

}  // namespace signet::evidence
