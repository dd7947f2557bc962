#include "evidence/seal.hpp"

#include "ca/service_certificates.hpp"
#include "ca/service_purposes.hpp"
#include "common/error.hpp"

namespace signet::evidence {

std::optional<sign::CmsSigner> load_evidence_seal(store::CertificateReader& certificates,
                                                  hsm::Token& token) {
    auto service =
        ca::signing_service_certificate(certificates, kEvidenceSealRole, ca::kEvidenceSealPurpose);
    if (!service)
        return std::nullopt;
    sign::CmsSigner seal;
    seal.certificate = std::move(service->certificate);
    seal.key = token.find_key(*service->record.key_label);
    seal.chain = ca::issuer_chain(certificates, service->record.issuer_ca, ca::WithRoot::yes);
    return seal;
}

}  // namespace signet::evidence
