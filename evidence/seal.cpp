#include "evidence/seal.hpp"

#include "ca/service_certificates.hpp"
#include "common/error.hpp"

namespace signet::evidence {

std::optional<sign::CmsSigner> load_evidence_seal(store::CertificateReader& certificates,
                                                  hsm::Token& token) {
    auto service = ca::service_certificate(certificates, kEvidenceSealRole);
    if (!service)
        return std::nullopt;
    if (!service->record.key_label)
        throw Error(Errc::failed_precondition,
                    "the evidence seal certificate names no HSM key label");
    sign::CmsSigner seal;
    seal.certificate = std::move(service->certificate);
    seal.key = token.find_key(*service->record.key_label);
    seal.chain = ca::issuer_chain(certificates, service->record.issuer_ca, ca::WithRoot::yes);
    return seal;
}

}  // namespace signet::evidence
