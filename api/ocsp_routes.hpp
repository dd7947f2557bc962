#pragma once

#include <cstddef>
#include <memory>

#include "api/router.hpp"
#include "common/clock.hpp"
#include "ocsp/responder.hpp"

namespace signet::api {

// The OCSP responder's routes, RFC 6960 Appendix A.1 and RFC 5019 §5, on both listeners and
// anonymous (relying parties fetch status over plain HTTP, and need no identity):
//   POST /ocsp (and /ocsp/)   Content-Type: application/ocsp-request
//   GET  /ocsp/{url-encoding of the base64 of the OCSPRequest DER}      (api/ocsp_get.hpp)
// answered 200 application/ocsp-response with ocsp::Responder::answer's DER, whatever its
// responseStatus: a request that does not decode (broken percent-escape, not base64, the
// URL-safe alphabet, nothing at all) gets an unsigned malformedRequest, as the responder gives
// one for bad DER. The HTTP errors are the shell's: 415 for another content type, 413 for a POST
// body (the server, before reading it) or a GET's decoded request over `max_request_bytes`.
//
// Caching (RFC 5019 §6.2): a GET whose Answer is cacheable carries Last-Modified (thisUpdate),
// a strong ETag (the SHA-256 of the response DER, hex), Expires (nextUpdate) and Cache-Control
// "max-age=N, public, no-transform, must-revalidate", N the whole seconds from `clock`'s now to
// nextUpdate (never negative); If-None-Match naming that tag (or "*") gets 304 with those fields
// and no body. POST answers and non-cacheable ones (errors, nonces) say "Cache-Control:
// no-store" and carry no ETag.
//
// The Responder is told the peer's address (peer_address) as the client, for its limit on live
// signing. `responder` must not be null; `clock` must outlive the server.
void add_ocsp_routes(Router& router, std::shared_ptr<ocsp::Responder> responder,
                     std::size_t max_request_bytes, const Clock& clock);

}  // namespace signet::api
