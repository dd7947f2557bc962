#pragma once

#include <optional>
#include <string>

#include "hsm/token.hpp"
#include "store/certificates.hpp"
#include "tsa/responder.hpp"

namespace signet::tsa {

// The TSA's signing identity as the key ceremony left it: the certificate recorded under the
// role 'tsa', its key in the HSM under the label the certificate's record names (else
// `default_key_label`, tsa.key_label), and the issuing CAs above it, nearest first; the
// self-signed root is left out (RFC 3161 §2.4.1 lets certReq ask for the chain; a relying party
// has the root as its trust anchor). nullopt when there is no TSA certificate yet.
// Errc::failed_precondition when the certificate is not 'issued' (a revoked TSA certificate signs
// nothing more: its tokens could not be relied on) or the CA chain above it is longer than any a
// ceremony makes (a loop in the records).
std::optional<SigningIdentity> load_signing_identity(store::CertificateReader& certificates,
                                                     hsm::Token& token,
                                                     const std::string& default_key_label);

}  // namespace signet::tsa
