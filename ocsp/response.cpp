#include "ocsp/response.hpp"

#include <openssl/ocsp.h>

#include <string>

#include "common/der.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"
#include "ocsp/signing_key.hpp"

namespace signet::ocsp {

namespace {

// AlgorithmIdentifier with NULL parameters, as OpenSSL, Go, Java and NSS write a CertID's (and
// as RFC 6960 §4.1.1's examples do): id-sha1 (1.3.14.3.2.26), id-sha256 (2.16.840.1.101.3.4.2.1).
constexpr std::uint8_t kSha1Algorithm[] = {0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                                           0x03, 0x02, 0x1a, 0x05, 0x00};
constexpr std::uint8_t kSha256Algorithm[] = {0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                             0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00};

OcspCertIdPtr make_cert_id(const CertIdQuery& id) {
    const Bytes der = cert_id_der(id);
    const unsigned char* p = der.data();
    OcspCertIdPtr cert_id(d2i_OCSP_CERTID(nullptr, &p, static_cast<long>(der.size())));
    if (!cert_id)
        throw_openssl_error("cannot make a CertID");
    return cert_id;
}

// RFC 5280 §4.1.2.5.2 (which RFC 6960 times follow): YYYYMMDDHHMMSSZ, no fractional seconds.
Asn1GeneralizedTimePtr generalized_time(Clock::time_point t) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
    Asn1GeneralizedTimePtr time(ASN1_GENERALIZEDTIME_set(nullptr, static_cast<time_t>(seconds)));
    if (!time)
        throw_openssl_error("cannot encode a time");
    return time;
}

int status_code(CertStatus status) {
    switch (status) {
        case CertStatus::good:
            return V_OCSP_CERTSTATUS_GOOD;
        case CertStatus::revoked:
            return V_OCSP_CERTSTATUS_REVOKED;
        case CertStatus::unknown:
            break;
    }
    return V_OCSP_CERTSTATUS_UNKNOWN;
}

void add_single(OCSP_BASICRESP* basic, const SingleStatus& single) {
    const OcspCertIdPtr cert_id = make_cert_id(single.id);
    const auto this_update = generalized_time(single.this_update);
    const auto next_update = generalized_time(single.next_update);
    Asn1GeneralizedTimePtr revoked_at;
    int reason = OCSP_REVOKED_STATUS_NOSTATUS;
    if (single.status == CertStatus::revoked) {
        revoked_at = generalized_time(single.revocation_time);
        // RFC 5280 §5.3.1, as for CRL entries: unspecified is said by leaving the reason out.
        if (single.revocation_reason && *single.revocation_reason != 0)
            reason = *single.revocation_reason;
    }
    if (OCSP_basic_add1_status(basic, cert_id.get(), status_code(single.status), reason,
                               revoked_at.get(), this_update.get(), next_update.get()) == nullptr)
        throw_openssl_error("cannot add a SingleResponse");
}

}  // namespace

Bytes cert_id_der(const CertIdQuery& id) {
    if (id.serial.empty())
        throw Error(Errc::invalid_argument, "a CertID needs a serial");
    Bytes content;
    if (id.hash == CertIdHash::sha1)
        content.assign(std::begin(kSha1Algorithm), std::end(kSha1Algorithm));
    else
        content.assign(std::begin(kSha256Algorithm), std::end(kSha256Algorithm));
    append_der_tlv(content, 0x04, id.issuer_name_hash);
    append_der_tlv(content, 0x04, id.issuer_key_hash);
    append_der_tlv(content, 0x02, id.serial);
    Bytes der;
    append_der_tlv(der, 0x30, content);
    return der;
}

std::string_view to_string(ResponseStatus status) noexcept {
    switch (status) {
        case ResponseStatus::successful:
            return "successful";
        case ResponseStatus::malformed_request:
            return "malformedRequest";
        case ResponseStatus::internal_error:
            return "internalError";
        case ResponseStatus::try_later:
            return "tryLater";
        case ResponseStatus::sig_required:
            return "sigRequired";
        case ResponseStatus::unauthorized:
            return "unauthorized";
    }
    return "unknown";
}

Clock::time_point whole_seconds(Clock::time_point t) noexcept {
    return std::chrono::floor<std::chrono::seconds>(t);
}

Bytes error_response(int ocsp_response_status) {
    switch (ocsp_response_status) {
        case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST:
        case OCSP_RESPONSE_STATUS_INTERNALERROR:
        case OCSP_RESPONSE_STATUS_TRYLATER:
        case OCSP_RESPONSE_STATUS_SIGREQUIRED:
        case OCSP_RESPONSE_STATUS_UNAUTHORIZED:
            break;
        default:
            throw Error(Errc::invalid_argument,
                        "not an OCSP error status: " + std::to_string(ocsp_response_status));
    }
    // RFC 6960 §4.2.1: "If the value of responseStatus is one of the error conditions, the
    // responseBytes field is not set."
    const OcspResponsePtr response(OCSP_response_create(ocsp_response_status, nullptr));
    if (!response)
        throw_openssl_error("cannot make an OCSP error response");
    return to_der(i2d_OCSP_RESPONSE, static_cast<const OCSP_RESPONSE*>(response.get()));
}

Bytes sign_response(const ResponderSigning& signer, std::span<const SingleStatus> responses,
                    Clock::time_point produced_at, const std::optional<Bytes>& nonce) {
    if (signer.certificate == nullptr || signer.key == nullptr)
        throw Error(Errc::invalid_argument, "an OCSP response needs a responder and its key");
    if (responses.empty())
        throw Error(Errc::invalid_argument, "an OCSP response needs a SingleResponse");
    const OcspBasicRespPtr basic(OCSP_BASICRESP_new());
    if (!basic)
        throw_openssl_error("cannot make a BasicOCSPResponse");
    for (const SingleStatus& single : responses)
        add_single(basic.get(), single);
    if (nonce) {
        // RFC 9654 §2.1: the response's nonce is the request's, as an OCTET STRING.
        Bytes value = *nonce;
        if (OCSP_basic_add1_nonce(basic.get(), value.data(), static_cast<int>(value.size())) != 1)
            throw_openssl_error("cannot add the nonce");
    }
    // producedAt from the injected clock (DESIGN.md invariant 4): OCSP_NOTIME keeps
    // OCSP_basic_sign_ctx from reading the system's, so the time is set here, on the object
    // OpenSSL hands out read-only only because it has no setter for it.
    auto* produced = const_cast<ASN1_GENERALIZEDTIME*>(OCSP_resp_get0_produced_at(basic.get()));
    const auto seconds =
        std::chrono::floor<std::chrono::seconds>(produced_at.time_since_epoch()).count();
    if (produced == nullptr ||
        ASN1_GENERALIZEDTIME_set(produced, static_cast<time_t>(seconds)) == nullptr)
        throw_openssl_error("cannot set producedAt");

    const EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, signer.key,
                                      nullptr) != 1)
        throw_openssl_error("cannot start signing the OCSP response");
    // RFC 6960 §4.2.2.3: ResponderID byKey; §4.2.1: the responder certificate in `certs`, so a
    // client can check the delegation (§4.2.2.2) without fetching anything.
    clear_signer_failure();
    if (OCSP_basic_sign_ctx(basic.get(), signer.certificate, ctx.get(), nullptr,
                            OCSP_RESPID_KEY | OCSP_NOTIME) != 1) {
        // The HSM's own error (Errc::unavailable...) when the signer threw; OpenSSL's otherwise.
        try {
            rethrow_signer_failure();
        } catch (...) {
            clear_openssl_errors();
            throw;
        }
        throw_openssl_error("cannot sign the OCSP response");
    }
    const OcspResponsePtr response(
        OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    if (!response)
        throw_openssl_error("cannot make the OCSP response");
    return to_der(i2d_OCSP_RESPONSE, static_cast<const OCSP_RESPONSE*>(response.get()));
}

}  // namespace signet::ocsp
