#include "tsa/identity.hpp"

#include "ca/service_certificates.hpp"
#include "hsm/bridge.hpp"

namespace signet::tsa {

std::optional<SigningIdentity> load_signing_identity(store::CertificateReader& certificates,
                                                     hsm::Token& token,
                                                     const std::string& default_key_label) {
    auto service = ca::service_certificate(certificates, "tsa");
    if (!service)
        return std::nullopt;
    SigningIdentity identity;
    identity.certificate = std::move(service->certificate);
    identity.key =
        hsm::bridge_key(token.find_key(service->record.key_label.value_or(default_key_label)));
    identity.chain = ca::issuer_chain(certificates, service->record.issuer_ca, ca::WithRoot::no);
    return identity;
}

}  // namespace signet::tsa
