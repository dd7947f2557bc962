#pragma once

// The contract routes' decoders and answers (api/contract_routes.hpp), pure functions the
// fuzz target `contract_request` shares.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/http.hpp"
#include "api/json_body.hpp"
#include "api/multipart.hpp"
#include "sign/contracts.hpp"

namespace signet::api {

// The JSON part of POST /v1/contracts:
//   {"title": "...", "format": "pdf" | "bytes", "metadata": {...}, "contract_type": "loan",
//    "amount": {"minor_units": 1200000, "currency": "CNY"}, "expires_at": RFC 3339,
//    "signers": [{"kind": "person", "subject_id": 7},
//                {"kind": "seal", "subject_id": 9, "agent_id": 12}]}
// title, format and signers required. The service checks the values (sign/contracts.hpp);
// this checks the shape, naming the member ('signers[1].agent_id').
sign::ContractDraft decode_contract_draft(const JsonBody& body);

// POST /v1/contracts's multipart/form-data body: the parts "contract" (application/json) and
// "document" (application/pdf for format pdf, application/octet-stream for bytes), nothing else.
struct ContractSubmission {
    sign::ContractDraft draft;
    std::string_view document;  // a view into the request's body
};
ContractSubmission decode_contract_submission(std::string_view content_type, std::string_view body);

// POST /v1/contracts/{id}/approvals: {"position": n, "approver_id": id}.
struct ApprovalRequest {
    int position = 0;
    std::int64_t approver_id = 0;
};
ApprovalRequest decode_approval(const JsonBody& body);

// The API client of a scoped contract route as the service's caller ("client:NAME", its own
// contracts only). Errc::internal on a route without an authenticated client.
sign::ContractCaller contract_caller(const Request& request);

// A contract id in a path: 32 lowercase hex digits, else Errc::not_found (no such contract).
std::string contract_id(std::string_view segment);

// A contract as GET /v1/contracts/{id} shows it: the record, its signers, its revisions with
// their SHA-256, approvals, and events with their canonical bytes, SHA-256, token (base64) and
// the token's genTime.
nlohmann::json contract_json(const sign::Contract& contract);
// A list entry: the record alone.
nlohmann::json contract_summary_json(const store::ContractRecord& record);

}  // namespace signet::api
