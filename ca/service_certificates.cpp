#include "ca/service_certificates.hpp"

#include "ca/service_purposes.hpp"
#include "ca/x509.hpp"
#include "common/error.hpp"

namespace signet::ca {

namespace {

// A ceremony makes a root and one issuing level; a few more leave room, a loop in the records
// does not (DESIGN.md invariant 7: everything is bounded).
constexpr std::size_t kMaxChain = 8;

}  // namespace

std::vector<X509Ptr> issuer_chain(store::CertificateReader& certificates,
                                  const std::string& ca_name, WithRoot with_root) {
    std::vector<X509Ptr> chain;
    std::optional<std::string> next = ca_name;
    for (std::size_t walked = 0; next; ++walked) {
        if (walked == kMaxChain)
            throw Error(Errc::failed_precondition,
                        "the CA chain above '" + ca_name + "' is longer than " +
                            std::to_string(kMaxChain) + " (a loop in the CA records?)");
        const auto ca = certificates.find_ca(*next);
        if (!ca)
            throw Error(Errc::failed_precondition, "the CA '" + *next + "' is not on record");
        if (ca->role == "root" && with_root == WithRoot::no)
            break;
        chain.push_back(certificate_from_der(ca->certificate));
        next = ca->parent;
    }
    return chain;
}

std::optional<ServiceCertificate> service_certificate(store::CertificateReader& certificates,
                                                      std::string_view role) {
    auto record = certificates.find_service(role);
    if (!record)
        return std::nullopt;
    const std::string what = "the " + std::string(role) + " certificate " + to_hex(record->serial);
    if (record->status != "issued")
        throw Error(Errc::failed_precondition, what + " is " + record->status);
    if (!record->der)
        throw Error(Errc::failed_precondition, what + " has no certificate on record");
    ServiceCertificate service{.record = std::move(*record), .certificate = nullptr};
    service.certificate = certificate_from_der(*service.record.der);
    return service;
}

std::optional<ServiceCertificate> signing_service_certificate(
    store::CertificateReader& certificates, std::string_view role, std::string_view purpose) {
    auto service = service_certificate(certificates, role);
    if (!service)
        return std::nullopt;
    const std::string what =
        "the " + std::string(role) + " certificate " + to_hex(service->record.serial);
    if (!service->record.key_label)
        throw Error(Errc::failed_precondition, what + " names no HSM key label");
    if (!has_key_purpose(service->certificate.get(), purpose))
        throw Error(Errc::failed_precondition, what + " lacks its key purpose (" +
                                                   std::string(purpose) +
                                                   "); a key ceremony must issue a new one");
    return service;
}

}  // namespace signet::ca
