#pragma once

#include <optional>
#include <string_view>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/digest.hpp"

namespace signet::ocsp {

// What the HTTP layer sends back for one OCSP request: the DER OCSPResponse, and whether and until
// when a cache may keep it (RFC 5019 §6.2: Last-Modified = thisUpdate, Expires = nextUpdate).
struct Answer {
    Bytes der;  // OCSPResponse (RFC 6960 §4.2.1), signed or (an error status) not
    // A successful response without a nonce. Error responses (malformedRequest, unauthorized,
    // tryLater, internalError) and nonce-bearing ones are never cacheable.
    bool cacheable = false;
    Clock::time_point this_update{};           // meaningful when cacheable
    Clock::time_point next_update{};           // meaningful when cacheable
    std::optional<Sha256Digest> der_sha256{};  // of `der`, when known already (a cache hit)
};

// The OCSP responder as the HTTP layer sees it (api/ocsp_routes.cpp is a shell over it; every
// rule lives behind this interface, DESIGN.md). Thread-safe.
class Responder {
  public:
    virtual ~Responder() = default;
    // `request_der`: the OCSPRequest as received (the HTTP layer has already undone GET's base64
    // and percent-encoding, and bounded the size). `client`: who asks (the peer's address), for
    // the limit on live signing. Never throws for anything a client sends: bad input gets an
    // unsigned malformedRequest, an issuer Signet does not serve unauthorized, a store or HSM that
    // cannot answer tryLater (RFC 6960 §2.3). Throws only on a programming error.
    virtual Answer answer(ByteView request_der, std::string_view client) = 0;
    // The answer if it can be given from memory alone (a pre-signed response held for the one
    // CertID asked, without a nonce to echo); nullopt otherwise — then answer() is called, on a
    // thread that may wait. Never blocks (no store, no HSM, no lock held long), so the HTTP layer
    // calls it on its I/O thread and saves the hand-off to a worker and back for the common case
    // (RFC 5019 §2.1.1: clients send one CertID and no nonce). Never throws.
    virtual std::optional<Answer> answer_from_memory(ByteView request_der) noexcept {
        (void)request_der;
        return std::nullopt;
    }
};

}  // namespace signet::ocsp
