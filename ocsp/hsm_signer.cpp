#include "ocsp/hsm_signer.hpp"

#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "ocsp/response.hpp"

namespace signet::ocsp {

Clock::time_point next_update_for(const ResponderKeys::Identity& identity,
                                  Clock::time_point this_update, std::chrono::seconds validity) {
    const Clock::time_point next = this_update + validity;
    if (identity.responder_not_after)
        return std::min(next, whole_seconds(*identity.responder_not_after));
    return next;
}

SingleStatus single_status(const ResponderKeys::Identity& identity,
                           const store::CertificateRecord& certificate, CertIdHash hash,
                           Clock::time_point now, std::chrono::seconds validity) {
    SingleStatus single;
    single.id = {hash, issuer_name_hash(identity, hash), issuer_key_hash(identity, hash),
                 certificate.serial};
    if (certificate.status == "issued") {
        single.status = CertStatus::good;
    } else if (certificate.status == "revoked" && certificate.revoked_at) {
        single.status = CertStatus::revoked;
        single.revocation_time = *certificate.revoked_at;
        single.revocation_reason = certificate.revocation_reason;
    } else {
        throw Error(Errc::internal, "a certificate with status '" + certificate.status +
                                        "' has no OCSP status to sign");
    }
    // RFC 5019 §2.2.4: thisUpdate and nextUpdate both present; whole seconds, since that is
    // what the GeneralizedTime carries and what the cache must advertise (Last-Modified).
    single.this_update = whole_seconds(now);
    single.next_update = next_update_for(identity, single.this_update, validity);
    return single;
}

Bytes sign_with(const ResponderKeys::Identity& identity, std::span<const SingleStatus> responses,
                Clock::time_point produced_at, const std::optional<Bytes>& nonce) {
    try {
        return sign_response({identity.responder_certificate.get(), identity.key.get()},
                             responses, produced_at, nonce);
    } catch (const Error& e) {
        // A PKCS#11 failure while signing (the token gone mid-call, a device error) is the HSM
        // not signing now: the client is asked to come back (tryLater), not told of a bug.
        if (e.code() == Errc::hsm || e.code() == Errc::unavailable)
            throw Error(Errc::unavailable, std::string("the HSM cannot sign the OCSP response: ") +
                                               e.what());
        throw;
    }
}

HsmResponseSigner::HsmResponseSigner(ResponderKeys& keys, std::chrono::seconds response_validity)
    : keys_(keys), validity_(response_validity) {}

SignedResponse HsmResponseSigner::sign(const store::CertificateRecord& certificate,
                                       CertIdHash hash, Clock::time_point now) {
    const auto identity = keys_.for_ca(certificate.issuer_ca);
    if (!identity || responder_state(*identity, now) != ResponderState::ready) {
        throw Error(Errc::not_found,
                    "CA '" + certificate.issuer_ca + "' has no OCSP responder certificate valid now");
    }
    const SingleStatus single = single_status(*identity, certificate, hash, now, validity_);
    SignedResponse signed_response;
    signed_response.der = sign_with(*identity, {&single, 1}, now, std::nullopt);
    signed_response.this_update = single.this_update;
    signed_response.next_update = single.next_update;
    signed_response.produced_at = whole_seconds(now);
    return signed_response;
}

}  // namespace signet::ocsp
