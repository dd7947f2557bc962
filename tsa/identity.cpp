#include "tsa/identity.hpp"

#include "common/error.hpp"
#include "hsm/bridge.hpp"

namespace signet::tsa {

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

std::optional<SigningIdentity> load_signing_identity(store::CertificateReader& certificates,
                                                     hsm::Token& token,
                                                     const std::string& default_key_label) {
    const auto record = certificates.find_service("tsa");
    if (!record || !record->der)
        return std::nullopt;
    if (record->status != "issued") {
        throw Error(Errc::failed_precondition,
                    "the TSA certificate " + to_hex(record->serial) + " is " + record->status);
    }
    SigningIdentity identity;
    identity.certificate = certificate_from_der(*record->der, "the TSA certificate");
    identity.key = hsm::bridge_key(token.find_key(record->key_label.value_or(default_key_label)));
    auto ca = certificates.find_ca(record->issuer_ca);
    for (int depth = 0; ca && ca->role != "root"; ++depth) {
        if (depth == kMaxChainLength) {
            throw Error(Errc::failed_precondition,
                        "the CA chain above the TSA certificate is longer than " +
                            std::to_string(kMaxChainLength) + " (a loop in the CA records?)");
        }
        identity.chain.push_back(certificate_from_der(ca->certificate, "CA " + ca->name));
        ca = ca->parent ? certificates.find_ca(*ca->parent) : std::nullopt;
    }
    return identity;
}

}  // namespace signet::tsa
