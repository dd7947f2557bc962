#pragma once

#include <memory>
#include <string>

#include "api/health.hpp"
#include "api/router.hpp"
#include "common/clock.hpp"
#include "tsa/responder.hpp"

namespace signet::api {

// The TSA's route, RFC 3161 §3.4 (time-stamp protocol via HTTP), on both listeners and
// anonymous (a time-stamp needs no identity; an authenticated caller is recorded by name):
//   POST /tsa   Content-Type: application/timestamp-query  ->  200 application/timestamp-reply
// Every answer to a well-formed HTTP request is a TimeStampResp with HTTP 200, a refusal
// included (its status and failInfo say why). The HTTP errors are the shell's: 405 for another
// method (the router), 415 for another content type, 413 for a body over
// tsa::kMaxRequestBytes (the server, before reading it).
//
// `responder` may be null — no TSA certificate yet (no key ceremony): then every request is
// answered systemFailure, with `unavailable_reason` as the statusString.
void add_tsa_routes(Router& router, std::shared_ptr<tsa::Responder> responder,
                    std::string unavailable_reason = "the TSA has no certificate");

// /healthz's "tsa" check: tsa::assess_health at the clock's now, ok or degraded (the node
// serves the rest), with its detail.
HealthCheck tsa_health_check(std::shared_ptr<const tsa::Responder> responder, const Clock& clock,
                             std::string unavailable_reason = "the TSA has no certificate");

}  // namespace signet::api
