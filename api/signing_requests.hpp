#pragma once

// The signing routes' decoders (api/signing_routes.hpp), pure functions the fuzz target
// `contract_request` shares.
#include <string>

#include "api/json_body.hpp"
#include "sign/contract_signing.hpp"

namespace signet::api {

// POST /v1/contracts/{id}/signers/{n}/challenge: {"channel": "sms" | "totp"}.
std::string decode_signing_channel(const JsonBody& body);

// POST /v1/contracts/{id}/signers/{n}/sign:
//   {"revision_sha256": 64 lowercase hex, "challenge_id": (an SMS challenge's), "code": "...",
//    "appearance": {"page": n, "left", "bottom", "right", "top": points 0..14400}}
// Errc::invalid_argument naming the member. The code is a secret: decode it from a body read
// with InputEcho::never.
sign::SigningRequest decode_signing_request(const JsonBody& body);

}  // namespace signet::api
