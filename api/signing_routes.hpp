#pragma once

#include "api/router.hpp"
#include "sign/contract_signing.hpp"
#include "sign/signing_links.hpp"

namespace signet::api {

struct SigningServices {
    sign::ContractSigning& signing;
    sign::SigningLinks* links = nullptr;  // nullptr: no /v1/signing/{token}/... routes
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
// The signing link's capability (an e-mailed link, sign/signing_links.hpp), HTTPS, no
// credential but the token, which names one contract and one signer:
//   POST /v1/signing/{token}/challenge   as above, for the link's signer               201
//   POST /v1/signing/{token}/sign        as above; the token is used up with the signature
//                                        (in its transaction): single use
// An unknown, used or expired token is 404, as GET /v1/signing/{token} answers it.
// A code's refusal is its otp-* problem (api/ra_routes.hpp: otp_problem); anything else as
// every route answers it (409 failed_precondition names why the signer cannot sign now, 503
// when the TSA, the HSM or the validation data cannot serve: nothing signed).
void add_signing_routes(Router& router, SigningServices services);

}  // namespace signet::api
