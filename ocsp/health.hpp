#pragma once

#include <string>

#include "common/clock.hpp"
#include "policy/config.hpp"
#include "store/certificates.hpp"

namespace signet::ocsp {

// What /healthz says of the OCSP responder (api/ maps it).
struct HealthVerdict {
    bool ok = true;      // false: degraded
    std::string detail;  // why degraded (every CA concerned, "; "-separated), or a summary
};

// Degraded when an issuing CA has no OCSP responder certificate (role ocsp:{ca}), or it is
// revoked, expired, or expires within ocsp.responder_renew_before_days: renewal
// (ca/renew_ocsp_responders) runs before that window begins to matter, so a certificate still
// in it has not been renewed. A store that cannot answer is degraded too. Never throws.
HealthVerdict assess_health(store::CertificateReader& certificates, const Clock& clock,
                            const policy::OcspSettings& settings) noexcept;

}  // namespace signet::ocsp
