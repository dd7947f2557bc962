#include "evidence/seal.hpp"

#include "ca/service_certificates.hpp"
#include "ca/service_purposes.hpp"
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
    // What the evidence verifier requires of a seal; a certificate from before the purpose
    // existed would seal packages that never verify.
    if (!ca::has_key_purpose(service->certificate.get(), ca::kEvidenceSealPurpose))
        throw Error(Errc::failed_precondition, "the evidence seal certificate " +
                                                   to_hex(service->record.serial) +
                                                   " lacks the evidence-seal key purpose (" +
                                                   std::string(ca::kEvidenceSealPurpose) +
                                                   "); a key ceremony must issue a new one");
    sign::CmsSigner seal;
    seal.certificate = std::move(service->certificate);
    seal.key = token.find_key(*service->record.key_label);
    seal.chain = ca::issuer_chain(certificates, service->record.issuer_ca, ca::WithRoot::yes);
    return seal;
}

}  // namespace signet::evidence
