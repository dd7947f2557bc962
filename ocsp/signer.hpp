#pragma once

#include "ocsp/types.hpp"
#include "store/certificates.hpp"

namespace signet::ocsp {

// Signs nonce-free single-certificate responses with the responder key of the certificate's CA
// (`ocsp:{issuer_ca}`, in the HSM through the OpenSSL bridge). Used by the responder on a miss and
// by the pre-signing refresher. Thread-safe.
class ResponseSigner {
  public:
    virtual ~ResponseSigner() = default;
    // The response for `certificate` (status 'issued' -> good, 'revoked' -> revoked with its time
    // and reason; anything else is a programming error) in CertID hash `hash`, thisUpdate = `now`,
    // nextUpdate = `now` + ocsp.response_validity. Errc::unavailable when the HSM cannot sign now,
    // Errc::not_found when the CA has no (valid) responder certificate.
    virtual SignedResponse sign(const store::CertificateRecord& certificate, CertIdHash hash,
                                Clock::time_point now) = 0;
};

}  // namespace signet::ocsp
