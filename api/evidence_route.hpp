#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "api/router.hpp"
#include "evidence/zip.hpp"
#include "sign/contracts.hpp"

namespace signet::api {

// Writes the evidence package of a contract to a sink (evidence::PackageBuilder::build): every
// refusal before the first byte, a failure after it with the archive cut short.
using PackageWriter = std::function<void(std::string_view contract_id,
                                         const sign::ContractCaller& caller,
                                         const evidence::ZipSink& sink)>;

struct EvidenceServices {
    // Empty when the node cannot make packages; the route then answers 503 with `unavailable`
    // (what is missing: the evidence seal, the checkpoint key, the TSA).
    PackageWriter write_package;
    std::string unavailable;
};

// GET /v1/contracts/{id}/evidence (issue 14, docs/evidence.md "Evidence packages"): HTTPS,
// scope `contracts`, only the calling client's contracts (another's is 404). application/zip,
// `Content-Disposition: attachment; filename="contract-ID-evidence.zip"`, streamed: the builder
// runs on a thread of its own and the response pulls its pieces (at most kPackageQueueBytes
// waiting). A refusal (400 malformed id, 404, 503) is problem+json before the first byte; a
// failure after it closes the connection mid-body (no terminating chunk), so a client never
// takes a short ZIP for a whole one.
void add_evidence_route(Router& router, EvidenceServices services);

inline constexpr std::size_t kPackageQueueBytes = 256 * 1024;

}  // namespace signet::api
