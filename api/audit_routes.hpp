#pragma once

#include "api/router.hpp"
#include "audit/checkpoint.hpp"
#include "audit/log.hpp"

namespace signet::api {

// The tamper-evident log's read routes (docs/evidence.md), scope `audit`, HTTPS:
//   GET /v1/audit/checkpoints/latest            the latest signed checkpoint (404 when none)
//   GET /v1/audit/checkpoints/{size}            the checkpoint of that size (404 when none)
//   GET /v1/audit/proof/inclusion?seq=&size=    {seq, size, leaf_hash, path}
//   GET /v1/audit/proof/consistency?first=&second=   {first, second, path}
// Hashes in standard base64; a checkpoint as audit/checkpoint_json.hpp. A bad or missing
// parameter is a 400 problem naming it. `checkpoints` and `events` (the leaf hashes) must outlive
// the router.
void add_audit_routes(Router& router, audit::CheckpointReader& checkpoints,
                      audit::AuditReader& events);

}  // namespace signet::api
