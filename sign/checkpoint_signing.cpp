#include "sign/checkpoint_signing.hpp"

#include "ca/service_certificates.hpp"
#include "ca/service_purposes.hpp"
#include "common/error.hpp"
#include "sign/tsa_time_stamper.hpp"

namespace signet::sign {

std::optional<audit::CheckpointSigning> checkpoint_signing(store::CertificateReader& certificates,
                                                           hsm::Token& token, tsa::Responder& tsa,
                                                           std::string origin,
                                                           std::string made_by) {
    const auto service = ca::signing_service_certificate(
        certificates, audit::kCheckpointServiceRole, ca::kAuditCheckpointPurpose);
    if (!service)
        return std::nullopt;
    audit::CheckpointSigning signing;
    signing.origin = std::move(origin);
    signing.key = token.find_key(*service->record.key_label);
    signing.certificate_der = *service->record.der;
    TimeStamper stamper = tsa_time_stamper(tsa, {std::string("audit-checkpoint"), "in-process"});
    signing.time_stamper = [stamper](const audit::Hash& digest) {
        return stamper(Digest::sha256, digest);
    };
    signing.made_by = std::move(made_by);
    return signing;
}

}  // namespace signet::sign
