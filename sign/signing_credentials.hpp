#pragma once

// Internal to the contract signing (sign/contract_signing.cpp): the key and certificates one
// signature is made with, read from the CA's records.
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "hsm/token.hpp"
#include "sign/cms_signature.hpp"
#include "store/certificates.hpp"

namespace signet::sign {

struct SigningCredentials {
    store::CertificateRecord record;  // the signer's certificate as the CA recorded it
    CmsSigner signer;                 // its wrapped key's signer, the certificate, CAs to the root
};

// The newest certificate of `subject_id` under `profile` that is issued (not revoked), valid at
// `now` and for a key the CA generated and keeps wrapped ("hsm-wrapped"): the key that signs is
// the HSM's, unwrapped for each signature and destroyed after (hsm::Token::wrapped_signer).
// Errc::failed_precondition naming what is missing: no certificate under the profile, only
// revoked or expired ones, or none whose key Signet holds.
SigningCredentials signing_credentials(store::CertificateReader& certificates, hsm::Token& token,
                                       std::int64_t subject_id, const std::string& profile,
                                       Clock::time_point now);

// The TSA's certificate ("tsa" service) and its CAs to the root.
std::vector<X509Ptr> tsa_chain(store::CertificateReader& certificates);

// The certificate's subject commonName, for a visible signature ("" when it has none).
std::string common_name(const X509* certificate);

}  // namespace signet::sign
