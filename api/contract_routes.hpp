#pragma once

#include <cstddef>

#include "api/router.hpp"
#include "sign/contracts.hpp"

namespace signet::api {

struct ContractServices {
    sign::Contracts& contracts;
    // signing.max_document_bytes: POST /v1/contracts takes that plus kContractFormOverhead.
    std::size_t max_document_bytes = 100 * 1024 * 1024;
};

// What a form carries besides the document: the contract's JSON (metadata up to 8 KiB, 50
// signers) and the parts' headers and boundaries.
inline constexpr std::size_t kContractFormOverhead = 64 * 1024;

// The contract routes (issue 13, sign/contracts.hpp). The shell only: decode
// (api/contract_requests.hpp), call the service as "client:NAME" for that client's contracts,
// answer JSON. HTTPS only, scope `contracts`:
//   POST /v1/contracts                      create a draft (multipart/form-data: the parts
//                                           "contract", JSON, and "document")       201
//   GET  /v1/contracts?state=&party=&title=&metadata.KEY=&created_after=&created_before=
//        &cursor=&limit=                    search the client's contracts, newest first
//                                           (api/contract_search.hpp): {items, next_cursor}
//   GET  /v1/contracts/{id}                 one, with signers, revisions, events
//   GET  /v1/contracts/{id}/document?revision=N   a revision's bytes (0: the original;
//                                           default: the current one), streamed; 410 once shredded
//   POST /v1/contracts/{id}/send            draft -> sent
//   POST /v1/contracts/{id}/approvals       {"position", "approver_id"}: a seal's approval
//   POST /v1/contracts/{id}/cancel          -> cancelled
//   POST /v1/contracts/{id}/shred           scope contracts-admin: crypto-shred the documents
//                                           after signing.retention_years
// Another client's contract is 404, as one that does not exist. The service outlives the router.
void add_contract_routes(Router& router, ContractServices services);

}  // namespace signet::api
