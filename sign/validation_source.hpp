#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/handle.hpp"
#include "sign/validation_data.hpp"

namespace signet::ocsp {
class Responder;
}
namespace signet::store {
class CertificateReader;
}

// Where the revocation data of long-term validation comes from (B-LT: ETSI EN 319 142-1 §5.4,
// EN 319 122-1 §5.5.3): for each certificate of the signer's and the TSA's chains but the root,
// something signed by its issuer that states its status now.
namespace signet::sign {

class ValidationSource {
  public:
    virtual ~ValidationSource() = default;
    // An OCSP response or a CRL (in `ocsp_responses` / `crls`) proving the status of
    // `certificate`, issued by `issuer`, at this time. Errc::unavailable when none can be had:
    // a signature is then not made, since B-LT is what the contract promises.
    virtual ValidationData status_of(const X509* certificate, const X509* issuer) = 0;
};

// Signet's own sources: an OCSP request for the certificate (RFC 6960, SHA-1 CertID as RFC 5019
// profiles it) answered in process by `responder` (the pre-signed responses of the delegated
// responders, DESIGN.md: OCSP); when it cannot answer for that issuer (a CA certificate: the
// root has no responder), the issuer's latest CRL from the store, if it is current (nextUpdate
// after now).
std::unique_ptr<ValidationSource> signet_validation_source(std::shared_ptr<ocsp::Responder> responder,
                                                           store::CertificateReader& certificates,
                                                           const Clock& clock);

// Everything a verifier needs for `chains` (each leaf first, then its issuers up to a
// self-signed root): every certificate, and the status of each but the roots from `source`,
// each item once. Errc::invalid_argument for an empty chain or one that does not chain by
// issuer name; the source's errors pass through.
ValidationData collect_validation_data(ValidationSource& source,
                                       const std::vector<std::vector<const X509*>>& chains);

}  // namespace signet::sign
