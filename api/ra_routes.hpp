#pragma once

#include "api/router.hpp"
#include "ra/otp.hpp"
#include "ra/otp_limits.hpp"
#include "ra/registry.hpp"
#include "ra/sms_gateway.hpp"
#include "ra/totp.hpp"

namespace signet::api {

// What the registration authority's routes call.
struct RaServices {
    ra::Registry& registry;
    ra::OtpChallenges& challenges;
    ra::Totp& totp;
    ra::OtpLockouts& lockouts;
    ra::SmsGateway*
        sms;  // nullptr: no gateway configured -> SMS challenges 409 failed_precondition
};

// The registration authority's routes (issue 12). The shell only: parse the body
// (api/ra_requests.hpp), call the registry or an OTP service as "client:NAME", map the result.
// All HTTPS only; scopes in parentheses.
//   POST  /v1/subjects                                  create              (subjects:write)
//   GET   /v1/subjects?kind=&status=&min_level=&after=&limit=   list       (subjects:read)
//   POST  /v1/subjects/search                           find by document    (subjects:read)
//   GET   /v1/subjects/{id}                             one                 (subjects:read)
//   PATCH /v1/subjects/{id}                             update              (subjects:write)
//   POST  /v1/subjects/{id}/evidence                    provider statement  (subjects:write)
//   POST  /v1/subjects/{id}/verification                officer's decision  (ra:officer)
//   POST  /v1/subjects/{id}/deactivate                  deactivate          (subjects:write)
//   POST  /v1/subjects/{id}/otp/totp                    enrol TOTP          (otp)
//   PUT   /v1/subjects/{id}/otp/totp                    replace the seed    (subjects:write)
//   PUT   /v1/subjects/{id}/otp/sms                     set the SMS number  (subjects:write)
//   POST  /v1/subjects/{id}/otp/challenges              send a code         (otp)
//   POST  /v1/subjects/{id}/otp/verify                  verify a code       (otp)
//   POST  /v1/subjects/{id}/otp/unlock                  lift a lockout      (ra:officer)
//   GET   /v1/organizations/{id}/agents?include_inactive=true           (subjects:read)
//   POST  /v1/organizations/{id}/agents                 grant               (subjects:write)
//   POST  /v1/organizations/{id}/agents/{agent_id}/revoke                 (subjects:write)
// Refusals: ra::EvidenceError -> 422 evidence-refused {"reason"}; ra::OtpError -> its own
// otp-* type ({"attempts_left"}, {"locked_until"}, 429 with Retry-After and {"retry_after"});
// the SMS gateway failing -> 502 sms-gateway-failed. The services outlive the router.
void add_ra_routes(Router& router, RaServices services);

// ra::OtpError as its otp-* problem, with its extension members and Retry-After (the RA's
// routes and the contract signing routes answer a code's refusal alike).
Response otp_problem(const ra::OtpError& error, std::string_view request_id);

}  // namespace signet::api
