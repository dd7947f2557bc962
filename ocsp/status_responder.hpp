#pragma once

#include <array>
#include <string_view>

#include "common/metrics.hpp"
#include "ocsp/client_limiter.hpp"
#include "ocsp/request.hpp"
#include "ocsp/responder.hpp"
#include "ocsp/responder_keys.hpp"
#include "ocsp/response.hpp"
#include "ocsp/response_cache.hpp"
#include "ocsp/signer.hpp"
#include "policy/config.hpp"
#include "store/certificates.hpp"

namespace signet::ocsp {

// The OCSP responder (RFC 6960, RFC 5019): every rule of what a request is answered with, over
// the response cache, the certificate store and the signer. Thread-safe.
//
//  - Over ocsp.max_request_bytes, or not one DER OCSPRequest within the policy's CertID limit
//    -> malformedRequest (unsigned).
//  - A CertID whose issuer is not an issuing CA of this store, whose CA has no responder
//    certificate, or CertIDs of two CAs in one request -> unauthorized (RFC 6960 §2.3: "not
//    capable of responding authoritatively").
//  - The CA's responder certificate outside its validity -> tryLater (a renewal is due).
//  - One CertID, no nonce (or a nonce with ocsp.live_nonce false, answered without it):
//    the cache's response (cacheable); on a miss the store's row: 'issued' or 'revoked' signed by
//    the ResponseSigner, offered to the cache and served (cacheable); no row, a row of another CA,
//    or a 'reserved' or 'abandoned' row (not a certificate) -> `unknown`, signed live, not
//    cacheable.
//  - Several CertIDs, or a nonce with ocsp.live_nonce -> one response signed live with every
//    SingleResponse (and the nonce echoed, RFC 9654 §2.1), not cacheable.
//  - Every signature not served from the cache takes a token from the client's bucket
//    (ocsp.live_signing); none left -> tryLater.
//  - The store or the HSM failing -> tryLater; a bug (OpenSSL failing to encode) -> internalError.
class StatusResponder final : public Responder {
  public:
    struct Dependencies {
        store::CertificateReader& certificates;
        ResponseCache& cache;
        ResponderKeys& keys;
        ResponseSigner& signer;
        const Clock& clock;
        policy::OcspSettings settings;
    };
    explicit StatusResponder(Dependencies dependencies);

    Answer answer(ByteView request_der, std::string_view client) override;
    // A pre-signed hit for a request of one CertID without a nonce (or with one when
    // ocsp.live_nonce is off), its CA's responder loaded and valid; nullopt for anything else.
    std::optional<Answer> answer_from_memory(ByteView request_der) noexcept override;

    // signet_ocsp_responses_total{status, source}: status is the responseStatus sent
    // (successful, malformedRequest, internalError, tryLater, unauthorized), source "cache" for
    // a response served from the cache, "live" for everything else; and
    // signet_ocsp_live_limited_total, the requests refused by the per-client limit.
    void register_metrics(MetricsRegistry& metrics);

  private:
    Answer answer_decoded(const DecodedRequest& request, std::string_view client,
                          Clock::time_point now, bool& from_cache);
    // The cache's response for `id` if it holds one about this very CertID (see answer_one).
    std::optional<Answer> cached(const CertIdQuery& id, Clock::time_point now);
    Answer answer_one(const CertIdQuery& id, const ResponderKeys::Identity& identity,
                      std::string_view client, Clock::time_point now, bool& from_cache);
    Answer answer_live(const DecodedRequest& request, const ResponderKeys::Identity& identity,
                       std::string_view client, Clock::time_point now);
    SingleStatus status_of(const CertIdQuery& id, const ResponderKeys::Identity& identity,
                           const std::optional<store::CertificateRecord>& row,
                           Clock::time_point now) const;
    bool take_live_token(std::string_view client, Clock::time_point now);
    Answer count(Answer answer, ResponseStatus status, bool from_cache) noexcept;

    Dependencies deps_;
    ClientLimiter limiter_;
    // Counters by [status][source], looked up once in register_metrics (null before).
    static constexpr std::array<ResponseStatus, 5> kStatuses{
        ResponseStatus::successful, ResponseStatus::malformed_request,
        ResponseStatus::internal_error, ResponseStatus::try_later, ResponseStatus::unauthorized};
    std::array<std::array<Counter*, 2>, kStatuses.size()> responses_{};
    Counter* limited_ = nullptr;
};

}  // namespace signet::ocsp
