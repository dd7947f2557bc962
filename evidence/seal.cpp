#include "evidence/seal.hpp"

#include "common/error.hpp"

namespace signet::evidence {

namespace {

// A root and its issuing CAs: a ceremony makes two levels; a few more leave room, a loop does not.
constexpr int kMaxChainLength = 8;

X509Ptr certificate_from_der(const Bytes& der, const std::string& what) {
    const unsigned char* p = der.data();
    X509Ptr certificate(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!certificate || p != der.data() + der.size())
        throw_openssl_error("cannot decode " + what);
    return certificate;
}

}  // namespace

std::optional<sign::CmsSigner> load_evidence_seal(store::CertificateReader& certificates,
                                                  hsm::Token& token) {
    const auto record = certificates.find_service(kEvidenceSealRole);
    if (!record || !record->der)
        return std::nullopt;
    if (record->status != "issued")
        throw Error(
            Errc::failed_precondition,
            "the evidence seal certificate " + to_hex(record->serial) + " is " + record->status);
    if (!record->key_label)
        throw Error(Errc::failed_precondition,
                    "the evidence seal certificate names no HSM key label");
    sign::CmsSigner seal;
    seal.certificate = certificate_from_der(*record->der, "the evidence seal certificate");
    seal.key = token.find_key(*record->key_label);
    auto ca = certificates.find_ca(record->issuer_ca);
    for (int depth = 0; ca; ++depth) {
        if (depth == kMaxChainLength)
            throw Error(Errc::failed_precondition,
                        "the CA chain above the evidence seal is longer than " +
                            std::to_string(kMaxChainLength) + " (a loop in the CA records?)");
        seal.chain.push_back(certificate_from_der(ca->certificate, "CA " + ca->name));
        ca = ca->parent ? certificates.find_ca(*ca->parent) : std::nullopt;
    }
    return seal;
}

}  // namespace signet::evidence
