#pragma once

// The certificates the key ceremony issued to Signet's own services ("tsa", "evidence-seal",
// "audit-checkpoint", ...) and the CA chains above any certificate, read from the CA's records
// for those who sign with them (the TSA, the contract signing, the evidence seal, the
// checkpoints). One walk of the CA records, with one bound, for all of them.
#include <string>
#include <string_view>
#include <vector>

#include "common/handle.hpp"
#include "store/certificates.hpp"

namespace signet::ca {

// Whether a chain ends with the root. RFC 3161 tokens carry the TSA's issuing CAs but not the
// root the relying party already trusts; CMS and PAdES validation data go up to the root.
enum class WithRoot { yes, no };

// The certificates of CA `ca_name` and its parents, nearest first, up to the root (included or
// not, as `with_root` says). Errc::failed_precondition when a CA of the chain is not on record or
// the chain is longer than a PKI can be (a loop in the records).
std::vector<X509Ptr> issuer_chain(store::CertificateReader& certificates,
                                  const std::string& ca_name, WithRoot with_root);

struct ServiceCertificate {
    store::CertificateRecord record;
    X509Ptr certificate;
};

// The service's certificate on record for `role`: nullopt when the ceremony made none;
// Errc::failed_precondition when the one on record is not usable for signing (revoked, or a
// reservation with no certificate), naming the role and the serial.
std::optional<ServiceCertificate> service_certificate(store::CertificateReader& certificates,
                                                      std::string_view role);

// The same, for a service that signs with the certificate's HSM key: besides, the record names
// the key's label and the certificate states `purpose` (ca/service_purposes.hpp: what the
// verifiers require of it; one from a ceremony before the purpose existed would sign what never
// verifies), or Errc::failed_precondition naming the role and the serial.
std::optional<ServiceCertificate> signing_service_certificate(
    store::CertificateReader& certificates, std::string_view role, std::string_view purpose);

}  // namespace signet::ca
