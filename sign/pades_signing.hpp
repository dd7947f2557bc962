#pragma once

#include <cstddef>
#include <vector>

#include "common/bytes.hpp"
#include "sign/cms_signature.hpp"
#include "sign/pdf_signature.hpp"
#include "sign/validation_source.hpp"

// A party's whole signature, as the contract service makes it: PAdES (ETSI EN 319 142-1) for a
// PDF, CAdES (EN 319 122-1) for any other bytes, each with its signature time-stamp (B-T) and
// the validation data of the signer's and the TSA's chains (B-LT); a PDF's last signer also
// seals the document with a document time-stamp (B-LTA).
namespace signet::sign {

// Who signs and who time-stamps. `signer.chain` holds the CA certificates above the signer's up
// to the root (nearest first, the root included: the DSS and the CMS carry the whole chain, and
// the root is where the validation data stops). `tsa_chain` is the TSA's certificate and its
// CAs up to the root.
struct SigningParties {
    const CmsSigner& signer;
    const TimeStamper& time_stamper;
    ValidationSource& validation;
    std::vector<const X509*> tsa_chain;
};

struct PadesOptions {
    SignatureRequest signature;        // the field, /M, the /Contents reserved, visible or not
    bool document_timestamp = false;   // add a /DocTimeStamp revision after the DSS (B-LTA)
    CmsSignOptions cms{};
};

// What sign_pades appended, as offsets into the document (each a revision's end, after its
// %%EOF line): the signature, the DSS, the document time-stamp (0 when not asked).
struct PadesRevisions {
    std::size_t original_size = 0;
    std::size_t signature_end = 0;
    std::size_t dss_end = 0;
    std::size_t document_timestamp_end = 0;
};

// Appends to `pdf` three incremental updates (two without a document time-stamp), never
// touching its bytes before the original end (ISO 32000-1 §7.5.6):
//   1. the signature revision (pdf_signature.hpp) whose /Contents is a detached CMS from
//      sign_detached over the ByteRange's SHA-256: B-T, its time-stamp from `time_stamper`;
//   2. a /DSS revision (pdf_dss.hpp) with the certificates and the revocation data of the
//      signer's chain and the TSA's, collected from `validation` just after signing (B-LT,
//      EN 319 142-1 §5.4.2);
//   3. when asked, a /DocTimeStamp (ETSI.RFC3161) over everything before it (B-LTA, §5.5).
// `pdf` grows in place: reserve its capacity (size + kPadesReserve) first and no copy of the
// document is ever made (issue 13: peak memory under twice the document). On any error `pdf` is
// cut back to its original size and the error goes on: the PDF's (Errc::invalid_argument /
// failed_precondition), the HSM's, the TSA's or the validation source's (Errc::unavailable).
PadesRevisions sign_pades(Bytes& pdf, const SigningParties& parties, const PadesOptions& options);

// Room the three revisions need beyond the document, with the default /Contents sizes (two
// hex-encoded contents and the DSS's certificates, responses and CRLs).
inline constexpr std::size_t kPadesReserve = 512 * 1024;

// A detached CAdES signature of `content` at B-LT: sign_detached (B-T) and then the
// certificates and revocation data of both chains in SignedData (validation_data.hpp).
Bytes sign_cades(const ContentDigest& content, const SigningParties& parties,
                 const CmsSignOptions& options = {});

}  // namespace signet::sign
