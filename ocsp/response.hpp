#pragma once

#include <openssl/types.h>

#include <optional>
#include <span>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "ocsp/request.hpp"

// Building OCSPResponses (RFC 6960 §4.2): the unsigned error answers and the signed
// BasicOCSPResponse. No HSM or database here: the key is any EVP_PKEY (in production a bridge key,
// so the signature is made in the HSM).
namespace signet::ocsp {

// OCSPResponseStatus (RFC 6960 §4.2.1). 4 is not used.
enum class ResponseStatus : int {
    successful = 0,
    malformed_request = 1,
    internal_error = 2,
    try_later = 3,
    sig_required = 5,
    unauthorized = 6,
};

// RFC 6960's names: "successful", "malformedRequest", ...
std::string_view to_string(ResponseStatus status) noexcept;

// An OCSPResponse with an error status and no responseBytes (RFC 6960 §2.3: these messages are
// not signed). `ocsp_response_status` is one of the ResponseStatus values other than successful;
// anything else is Errc::invalid_argument.
Bytes error_response(int ocsp_response_status);
inline Bytes error_response(ResponseStatus status) {
    return error_response(static_cast<int>(status));
}

enum class CertStatus { good, revoked, unknown };

// One SingleResponse (RFC 6960 §4.2.1).
struct SingleStatus {
    CertIdQuery id;  // answered in its own hash algorithm, with its hashes and serial
    CertStatus status = CertStatus::unknown;
    Clock::time_point revocation_time{};    // revoked only
    std::optional<int> revocation_reason;   // RFC 5280 CRLReason; unspecified (0) is left out
    Clock::time_point this_update{};
    Clock::time_point next_update{};        // always written (RFC 5019 §2.2.4)
};

// Who signs: the delegated responder's certificate (RFC 6960 §4.2.2.2: issued by the CA, with
// id-kp-OCSPSigning) and its private key.
struct ResponderSigning {
    X509* certificate = nullptr;
    EVP_PKEY* key = nullptr;
};

// A successful OCSPResponse holding a BasicOCSPResponse: ResponderID byKey (RFC 6960 §4.2.2.3,
// the SHA-1 of the responder's public key), producedAt, the SingleResponses in order, the
// responder certificate in `certs`, the nonce echoed as a responseExtension when given (RFC 9654
// §2.1), signed over SHA-256 with `signer.key` (ECDSA or RSA PKCS#1 v1.5; a P-384 key is still
// asked for SHA-256: what every OCSP client accepts). Every time is a GeneralizedTime of whole
// seconds (RFC 5280 §4.1.2.5.2: no fractional seconds), truncated. When the key is a
// responder_bridge_key (ocsp/signing_key.hpp) whose signer throws, that exception is rethrown as
// it was (Errc::unavailable from a token whose HSM is away); Errc::crypto when OpenSSL itself
// cannot build or sign the response.
Bytes sign_response(const ResponderSigning& signer, std::span<const SingleStatus> responses,
                    Clock::time_point produced_at, const std::optional<Bytes>& nonce);

// The DER of `id` as a response names it (RFC 6960 §4.1.1): the request's own hash algorithm,
// with NULL parameters (as OpenSSL, Go, Java and NSS write them), its hashes and its serial.
Bytes cert_id_der(const CertIdQuery& id);

// `t` truncated to the whole second (what a GeneralizedTime in a response says).
Clock::time_point whole_seconds(Clock::time_point t) noexcept;

}  // namespace signet::ocsp
