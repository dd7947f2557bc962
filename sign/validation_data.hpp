#pragma once

#include <cstddef>
#include <vector>

#include "common/bytes.hpp"

// Long-term validation data for a CAdES signature: baseline level B-LT (ETSI EN 319 122-1).
namespace signet::sign {

// The most items of each kind one call adds, and a CMS holds for the verifier.
inline constexpr std::size_t kMaxValidationItems = 64;

// What a relying party needs to validate the signature later without asking anyone: the
// certificates of the signer's and the TSA's chains and their revocation data, DER.
struct ValidationData {
    std::vector<Bytes> certificates;    // X.509 certificates
    std::vector<Bytes> crls;            // CertificateLists (RFC 5280 §5)
    std::vector<Bytes> ocsp_responses;  // OCSPResponses (RFC 6960 §4.2.1), status successful
};

// The CMS `cms_der` (a DER ContentInfo of SignedData, such as sign_detached makes) with `data`
// added where EN 319 122-1 puts it for B-LT:
//   §5.5.3: "If none of ATSv2 attributes ..., or an earlier form of archive time-stamp as defined
//   in ETSI TS 101 733 or long-term-validation attributes is already present in any SignerInfo
//   of the root SignedData, then the new validation material shall be included within the root
//   SignedData.certificates, or SignedData.crls as applicable";
//   §6.3, Table 1: at B-LT the certificate-values and revocation-values attributes are not used
//   (cardinality 0).
// So: certificates into SignedData.certificates; CRLs into SignedData.crls as
// RevocationInfoChoice crl; OCSP responses into SignedData.crls as OtherRevocationInfoFormat
// { id-ri-ocsp-response, OCSPResponse } (RFC 5940), which makes the SignedData version 5
// (RFC 5652 §5.1). An item already present (the same bytes) is not added twice; the sets are
// written in DER order (X.690 §11.6).
//
// Nothing else changes: the digestAlgorithms, encapContentInfo and signerInfos are copied byte
// for byte, so every signature and time-stamp stays as it was. Errc::invalid_argument, naming
// what is wrong, for a CMS that is not a SignedData in DER (only DER can be copied so), over
// kMaxCmsBytes, an item that does not decode as its kind (DER, nothing after it), an OCSP
// response whose status is not successful, or more than kMaxValidationItems of a kind.
Bytes add_validation_data(ByteView cms_der, const ValidationData& data);

}  // namespace signet::sign
