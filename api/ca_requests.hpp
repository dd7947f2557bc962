#pragma once

#include <optional>

#include "api/json_body.hpp"
#include "ca/authority.hpp"
#include "ca/crl.hpp"
#include "common/clock.hpp"

namespace signet::api {

// The JSON bodies of the CA's /v1 routes, decoded through the one strict reader
// (api/json_body.hpp). Shared by the routes and the fuzz target (fuzz/json_body_fuzz.cpp).
// Errc::invalid_argument naming the member for anything the reader or these decoders refuse.

// POST /v1/certificates: {"subject_id": 7, "profile": "personal", "csr": "<PEM or base64 DER>"}
// or {"subject_id": 7, "profile": "e-seal", "key_type": "ec-p384"}. The actor is left empty.
ca::IssueRequest decode_issue_request(const JsonBody& body);

// POST /v1/certificates/{serial}/revoke: {"reason": "keyCompromise", "invalidity_date":
// "2026-11-20T08:00:00Z"}, both optional (reason unspecified).
struct RevokeRequest {
    ca::RevocationReason reason = ca::RevocationReason::unspecified;
    std::optional<Clock::time_point> invalidity_date;
};
RevokeRequest decode_revoke_request(const JsonBody& body);

}  // namespace signet::api
