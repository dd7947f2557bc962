#include "sign/validation_source.hpp"

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <algorithm>

#include "ca/x509.hpp"
#include "common/der.hpp"
#include "common/error.hpp"
#include "ocsp/responder.hpp"
#include "store/certificates.hpp"

namespace signet::sign {

namespace {

// What the in-process requests are recorded as (the responder's per-client limit on live
// signing keys on this name; pre-signed answers never touch it).
constexpr std::string_view kRequester = "signet-signing";

void add_once(std::vector<Bytes>& items, Bytes item) {
    if (std::find(items.begin(), items.end(), item) == items.end())
        items.push_back(std::move(item));
}

Bytes ocsp_request_for(const X509* certificate, const X509* issuer) {
    OcspRequestPtr request(OCSP_REQUEST_new());
    // RFC 5019 §2.1.1: SHA-1 CertIDs, which every pre-signed response is kept for.
    OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), certificate, issuer);
    if (!request || id == nullptr || OCSP_request_add0_id(request.get(), id) == nullptr) {
        OCSP_CERTID_free(id);
        throw_openssl_error("cannot build an OCSP request");
    }
    return to_der(i2d_OCSP_REQUEST, request.get());
}

// A successful response that states `good` or `revoked` for the certificate asked about.
bool states_status(ByteView der, const X509* certificate, const X509* issuer) {
    const unsigned char* cursor = der.data();
    OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
    if (!response || OCSP_response_status(response.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
        return false;
    OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
    OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), certificate, issuer));
    if (!basic || !id)
        return false;
    int status = V_OCSP_CERTSTATUS_UNKNOWN;
    if (OCSP_resp_find_status(basic.get(), id.get(), &status, nullptr, nullptr, nullptr,
                              nullptr) != 1)
        return false;
    return status == V_OCSP_CERTSTATUS_GOOD || status == V_OCSP_CERTSTATUS_REVOKED;
}

class SignetValidationSource final : public ValidationSource {
  public:
    SignetValidationSource(std::shared_ptr<ocsp::Responder> responder,
                           store::CertificateReader& certificates, const Clock& clock)
        : responder_(std::move(responder)), certificates_(certificates), clock_(clock) {}

    ValidationData status_of(const X509* certificate, const X509* issuer) override {
        ValidationData data;
        if (responder_) {
            const ocsp::Answer answer = responder_->answer(ocsp_request_for(certificate, issuer),
                                                           kRequester);
            if (states_status(answer.der, certificate, issuer)) {
                data.ocsp_responses.push_back(answer.der);
                return data;
            }
        }
        if (auto crl = current_crl_of(issuer)) {
            data.crls.push_back(std::move(*crl));
            return data;
        }
        throw Error(Errc::unavailable,
                    "no OCSP response and no current CRL states the status of a certificate of "
                    "the chain (issued by '" + name_of(issuer) + "')");
    }

  private:
    std::optional<Bytes> current_crl_of(const X509* issuer) {
        const Bytes issuer_der = ca::certificate_der(issuer);
        for (const store::CaRecord& ca : certificates_.list_cas()) {
            if (ca.certificate != issuer_der)
                continue;
            const auto crl = certificates_.latest_crl(ca.name);
            if (crl && crl->next_update > clock_.now())
                return crl->der;
            return std::nullopt;
        }
        return std::nullopt;
    }

    static std::string name_of(const X509* certificate) {
        char text[256];
        X509_NAME_oneline(X509_get_subject_name(certificate), text, sizeof text);
        return text;
    }

    std::shared_ptr<ocsp::Responder> responder_;
    store::CertificateReader& certificates_;
    const Clock& clock_;
};

}  // namespace

std::unique_ptr<ValidationSource> signet_validation_source(
    std::shared_ptr<ocsp::Responder> responder, store::CertificateReader& certificates,
    const Clock& clock) {
    return std::make_unique<SignetValidationSource>(std::move(responder), certificates, clock);
}

ValidationData collect_validation_data(ValidationSource& source,
                                       const std::vector<std::vector<const X509*>>& chains) {
    ValidationData all;
    for (const auto& chain : chains) {
        if (chain.empty())
            throw Error(Errc::invalid_argument, "an empty certificate chain");
        for (std::size_t i = 0; i < chain.size(); ++i) {
            add_once(all.certificates, ca::certificate_der(chain[i]));
            if (i + 1 == chain.size())
                break;  // the root: a relying party trusts it, nothing states its status
            if (X509_check_issued(const_cast<X509*>(chain[i + 1]), const_cast<X509*>(chain[i])) !=
                X509_V_OK)
                throw Error(Errc::invalid_argument,
                            "a certificate chain does not chain: certificate " +
                                std::to_string(i + 2) + " did not issue certificate " +
                                std::to_string(i + 1));
            ValidationData status = source.status_of(chain[i], chain[i + 1]);
            for (Bytes& item : status.ocsp_responses)
                add_once(all.ocsp_responses, std::move(item));
            for (Bytes& item : status.crls)
                add_once(all.crls, std::move(item));
        }
    }
    return all;
}

}  // namespace signet::sign
