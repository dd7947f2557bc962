#pragma once

#include <optional>

#include "hsm/token.hpp"
#include "sign/cms_signature.hpp"
#include "store/certificates.hpp"

namespace signet::evidence {

// The service role of the platform's e-seal (ca/ceremony.hpp, the ceremony's evidence_seal).
inline constexpr const char* kEvidenceSealRole = "evidence-seal";

// The platform's e-seal as the key ceremony left it: the certificate recorded under the role
// "evidence-seal", its key in the HSM under the label its record names, and the CAs above it
// up to the root, nearest first, the root included (sign::SigningParties wants the whole chain:
// the /DSS stops at the root). nullopt when the ceremony made none. Errc::failed_precondition
// when the certificate is not 'issued' (a revoked seal attests nothing more) or its chain is
// longer than any ceremony makes.
std::optional<sign::CmsSigner> load_evidence_seal(store::CertificateReader& certificates,
                                                  hsm::Token& token);

}  // namespace signet::evidence
