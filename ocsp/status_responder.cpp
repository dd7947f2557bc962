#include "ocsp/status_responder.hpp"

#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "ocsp/hsm_signer.hpp"
#include "store/database.hpp"

namespace signet::ocsp {

namespace {

// An answer decided before anything is signed (an unsigned error status).
struct Refusal {
    ResponseStatus status;
};

// The status a failure of the store, the HSM or the code is answered with (RFC 6960 §2.3):
// tryLater for "temporarily unable to respond" (the database or the HSM away, a responder
// certificate being renewed), internalError for "an internal inconsistency" (a bug).
ResponseStatus status_for(const std::exception& e) noexcept {
    if (dynamic_cast<const store::DatabaseError*>(&e) != nullptr)
        return ResponseStatus::try_later;
    if (const auto* error = dynamic_cast<const Error*>(&e)) {
        switch (error->code()) {
            case Errc::crypto:
            case Errc::internal:
            case Errc::invalid_argument:
                return ResponseStatus::internal_error;
            default:
                return ResponseStatus::try_later;
        }
    }
    return ResponseStatus::internal_error;
}

}  // namespace

StatusResponder::StatusResponder(Dependencies dependencies)
    : deps_(std::move(dependencies)),
      limiter_(deps_.settings.live_per_client_per_second, deps_.settings.live_burst) {}

void StatusResponder::register_metrics(MetricsRegistry& metrics) {
    auto& responses = metrics.counter("signet_ocsp_responses_total",
                                      "OCSP responses sent, by responseStatus and by source "
                                      "(cache: pre-signed; live: signed for the request, or "
                                      "unsigned errors)",
                                      {"status", "source"});
    for (std::size_t i = 0; i < kStatuses.size(); ++i) {
        responses_[i][0] = &responses.with({to_string(kStatuses[i]), "live"});
        responses_[i][1] = &responses.with({to_string(kStatuses[i]), "cache"});
    }
    limited_ = &metrics
                    .counter("signet_ocsp_live_limited_total",
                             "OCSP requests answered tryLater because their client had used up "
                             "its live signatures (ocsp.live_signing)")
                    .with({});
}

Answer StatusResponder::count(Answer answer, ResponseStatus status, bool from_cache) noexcept {
    for (std::size_t i = 0; i < kStatuses.size(); ++i) {
        if (kStatuses[i] == status && responses_[i][from_cache ? 1 : 0] != nullptr)
            responses_[i][from_cache ? 1 : 0]->inc();
    }
    return answer;
}

Answer StatusResponder::answer(ByteView request_der, std::string_view client) {
    ResponseStatus refused = ResponseStatus::internal_error;
    try {
        // The HTTP layer bounds the size already (413); a caller that did not gets the answer
        // to any request that is not one this responder takes.
        if (request_der.size() > deps_.settings.max_request_bytes)
            throw Refusal{ResponseStatus::malformed_request};
        DecodedRequest request;
        try {
            request = decode_request(request_der, deps_.settings.max_certificates_per_request);
        } catch (const Error& e) {
            if (e.code() != Errc::invalid_argument)
                throw;
            throw Refusal{ResponseStatus::malformed_request};
        }
        bool from_cache = false;
        Answer answer = answer_decoded(request, client, deps_.clock.now(), from_cache);
        return count(std::move(answer), ResponseStatus::successful, from_cache);
    } catch (const Refusal& refusal) {
        refused = refusal.status;
    } catch (const std::exception& e) {
        refused = status_for(e);
    } catch (...) {
        refused = ResponseStatus::internal_error;
    }
    // RFC 6960 §2.3: error messages are not signed. Never cacheable (Answer's default).
    Answer answer;
    try {
        answer.der = error_response(refused);
    } catch (...) {
        // Encoding three fixed bytes cannot fail short of memory; the HTTP layer answers 500 to
        // an empty body.
    }
    return count(std::move(answer), refused, false);
}

std::optional<Answer> StatusResponder::answer_from_memory(ByteView request_der) noexcept {
    try {
        if (request_der.size() > deps_.settings.max_request_bytes)
            return std::nullopt;
        const DecodedRequest request =
            decode_request(request_der, deps_.settings.max_certificates_per_request);
        if (request.ids.size() != 1 || (request.nonce && deps_.settings.live_nonce))
            return std::nullopt;
        const Clock::time_point now = deps_.clock.now();
        if (!deps_.keys.find_loaded(request.ids.front(), now))
            return std::nullopt;
        auto answer = cached(request.ids.front(), now);
        if (answer)
            count({}, ResponseStatus::successful, true);
        return answer;
    } catch (...) {
        // Whatever went wrong, answer() decides it (and says why) on a worker.
        return std::nullopt;
    }
}

std::optional<Answer> StatusResponder::cached(const CertIdQuery& id, Clock::time_point now) {
    // The cache is keyed by serial (unique across Signet's CAs); the hit must also name the
    // CA this CertID names, or a request pairing one CA's hashes with another's serial would get
    // the other CA's answer instead of `unknown`. The CertID is in the response's DER as is.
    auto hit = deps_.cache.find(ResponseKey{id.serial, id.hash}, now);
    if (!hit)
        return std::nullopt;
    const Bytes cert_id = cert_id_der(id);
    if (std::ranges::search(hit->der, cert_id).begin() == hit->der.end())
        return std::nullopt;
    return Answer{std::move(hit->der), true, hit->this_update, hit->next_update, hit->der_sha256};
}

Answer StatusResponder::answer_decoded(const DecodedRequest& request, std::string_view client,
                                       Clock::time_point now, bool& from_cache) {
    // Every CertID's issuer must be a CA served here, and all the same one: one response has one
    // signer, and a delegated responder speaks for its own CA only (RFC 6960 §4.2.2.2).
    std::shared_ptr<const ResponderKeys::Identity> identity;
    for (const CertIdQuery& id : request.ids) {
        auto found = deps_.keys.find(id);
        if (!found || (identity && found != identity))
            throw Refusal{ResponseStatus::unauthorized};
        identity = std::move(found);
    }
    switch (responder_state(*identity, now)) {
        case ResponderState::ready:
            break;
        case ResponderState::missing:
            throw Refusal{ResponseStatus::unauthorized};
        case ResponderState::not_valid_now:
            throw Refusal{ResponseStatus::try_later};
    }
    const bool nonce = request.nonce.has_value() && deps_.settings.live_nonce;
    if (request.ids.size() == 1 && !nonce)
        return answer_one(request.ids.front(), *identity, client, now, from_cache);
    return answer_live(request, *identity, client, now);
}

Answer StatusResponder::answer_one(const CertIdQuery& id, const ResponderKeys::Identity& identity,
                                   std::string_view client, Clock::time_point now,
                                   bool& from_cache) {
    const ResponseKey key{id.serial, id.hash};
    if (auto hit = cached(id, now)) {
        from_cache = true;
        return std::move(*hit);
    }
    if (!take_live_token(client, now))
        throw Refusal{ResponseStatus::try_later};
    const auto row = deps_.certificates.find_status(id.serial);
    if (row && row->issuer_ca == identity.ca &&
        (row->status == "issued" || row->status == "revoked")) {
        SignedResponse response = deps_.signer.sign(*row, id.hash, now);
        deps_.cache.offer(key, response);
        return {std::move(response.der), true, response.this_update, response.next_update};
    }
    const SingleStatus single = status_of(id, identity, row, now);
    return {sign_with(identity, {&single, 1}, now, std::nullopt), false, {}, {}};
}

Answer StatusResponder::answer_live(const DecodedRequest& request,
                                    const ResponderKeys::Identity& identity,
                                    std::string_view client, Clock::time_point now) {
    if (!take_live_token(client, now))
        throw Refusal{ResponseStatus::try_later};
    std::vector<SingleStatus> singles;
    singles.reserve(request.ids.size());
    for (const CertIdQuery& id : request.ids)
        singles.push_back(status_of(id, identity, deps_.certificates.find_status(id.serial), now));
    const std::optional<Bytes> nonce =
        deps_.settings.live_nonce ? request.nonce : std::optional<Bytes>{};
    return {sign_with(identity, singles, now, nonce), false, {}, {}};
}

SingleStatus StatusResponder::status_of(const CertIdQuery& id,
                                        const ResponderKeys::Identity& identity,
                                        const std::optional<store::CertificateRecord>& row,
                                        Clock::time_point now) const {
    SingleStatus single;
    if (row && row->issuer_ca == identity.ca &&
        (row->status == "issued" || row->status == "revoked")) {
        single = single_status(identity, *row, id.hash, now, deps_.settings.response_validity);
    } else {
        // RFC 6960 §2.2: "unknown" - the responder does not know of the certificate: no row, a
        // row of another CA, or a reserved or abandoned one (never signed: no certificate).
        single.status = CertStatus::unknown;
        single.this_update = whole_seconds(now);
        single.next_update =
            next_update_for(identity, single.this_update, deps_.settings.response_validity);
    }
    single.id = id;  // the CertID exactly as asked
    return single;
}

bool StatusResponder::take_live_token(std::string_view client, Clock::time_point now) {
    if (limiter_.try_acquire(client, now))
        return true;
    if (limited_ != nullptr)
        limited_->inc();
    return false;
}

}  // namespace signet::ocsp
