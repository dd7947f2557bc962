#pragma once

#include <chrono>

#include "ocsp/responder_keys.hpp"
#include "ocsp/response.hpp"
#include "ocsp/signer.hpp"

namespace signet::ocsp {

// The ResponseSigner of signetd: the certificate's CA's delegated responder key (ResponderKeys),
// in the HSM through the OpenSSL bridge; the response built by sign_response (ocsp/response.hpp).
// Thread-safe.
class HsmResponseSigner final : public ResponseSigner {
  public:
    HsmResponseSigner(ResponderKeys& keys, std::chrono::seconds response_validity);

    // See ResponseSigner::sign. The CertID carries the CA's hashes in `hash` and the record's
    // serial. Errc::not_found when the CA has no responder, or its certificate is not valid at
    // `now`; Errc::unavailable when the HSM cannot sign (a PKCS#11 failure included);
    // Errc::internal for a record that is neither issued nor revoked.
    SignedResponse sign(const store::CertificateRecord& certificate, CertIdHash hash,
                        Clock::time_point now) override;

  private:
    ResponderKeys& keys_;
    std::chrono::seconds validity_;
};

// The SingleResponse that `certificate` (issued or revoked) gets from `identity`'s responder:
// thisUpdate `now` and nextUpdate `now + validity`, both whole seconds. Errc::internal for any
// other status.
// nextUpdate of a response signed now by `identity`'s responder: `validity` after thisUpdate, but
// never past the responder certificate's notAfter (a client rejects a response its signer's
// certificate no longer covers, RFC 6960 §4.2.2.2 and RFC 5280 §6.1.3: so would a cache).
Clock::time_point next_update_for(const ResponderKeys::Identity& identity,
                                  Clock::time_point this_update, std::chrono::seconds validity);

SingleStatus single_status(const ResponderKeys::Identity& identity,
                           const store::CertificateRecord& certificate, CertIdHash hash,
                           Clock::time_point now, std::chrono::seconds validity);

// Signs `responses` with `identity`'s responder, mapping an HSM failure (Errc::hsm, or the
// token's Errc::unavailable) to Errc::unavailable.
Bytes sign_with(const ResponderKeys::Identity& identity, std::span<const SingleStatus> responses,
                Clock::time_point produced_at, const std::optional<Bytes>& nonce);

}  // namespace signet::ocsp
