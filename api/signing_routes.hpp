#pragma once

#include "api/router.hpp"
#include "sign/contract_signing.hpp"

namespace signet::api {

struct SigningServices {
    sign::ContractSigning& signing;
};

// Sole control over HTTP (issue 13, sign/contract_signing.hpp): the front end asks for the due
// signer's code and passes on what the signer typed. HTTPS only, scope `contracts`, the
// client's own contracts:
//   POST /v1/contracts/{id}/signers/{n}/challenge  {"channel": "sms" | "totp"}           201
//        -> {"channel", "challenge_id" (sms), "expires_at" (sms), "revision",
//            "revision_sha256" (hex), "fingerprint"}
//   POST /v1/contracts/{id}/signers/{n}/sign
//        {"revision_sha256": hex, "challenge_id": (sms), "code": "123456",
//         "appearance": {"page", "left", "bottom", "right", "top"} (optional, PDF, points)}
//        -> the contract (200), the new revision current
// A code's refusal is its otp-* problem (api/ra_routes.hpp: otp_problem); anything else as
// every route answers it (409 failed_precondition names why the signer cannot sign now, 503
// when the TSA, the HSM or the validation data cannot serve: nothing signed).
void add_signing_routes(Router& router, SigningServices services);

}  // namespace signet::api
