#pragma once

#include <vector>

#include "common/bytes.hpp"
#include "sign/pdf_document.hpp"
#include "sign/validation_data.hpp"

// The Document Security Store (ETSI EN 319 142-1 §5.4.2, PAdES B-LT): the certificates, OCSP
// responses and CRLs a verifier needs, kept in the document's catalog as /DSS.
namespace signet::sign {

// The DSS holds what a CMS's SignedData.certificates and .crls hold for B-LT
// (sign/validation_data.hpp's ValidationData, a plain struct: no link to signet_sign), so one
// type carries it between the two layers and to the verifier.

// An incremental update that adds `data` to /DSS: a new DSS dictionary holding the existing
// entries (/Certs, /OCSPs, /CRLs, and /VRI as it was) and one stream per new blob not already
// there, and the catalog rewritten to name it. No /VRI is added (§5.4.2.2 makes it optional).
// Returns the bytes to append after the document. Errc::invalid_argument when there is nothing
// new to add, a blob is empty or over 1 MiB, or there are more than 1000 of a kind.
Bytes prepare_dss_update(const PdfDocument& doc, const ValidationData& data);

// The document's /DSS, each stream decoded (Flate too). Errc::invalid_argument when an entry is
// not a stream, decodes to more than limits().max_stream_bytes, or there are more than 1000 of a
// kind. Empty when there is none.
ValidationData read_dss(const PdfDocument& doc);

}  // namespace signet::sign
