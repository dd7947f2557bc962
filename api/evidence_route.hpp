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

// Package builds at once in one node, by default. Each is a thread of its own, a vault reader,
// an HSM signature and two time-stamps, and up to kPackageQueueBytes queued: unbounded, a burst
// of requests would take the pool's connections and the HSM from the TSA, OCSP and signing
// routes. Packages are rare (one per contract, on demand), so two at a time is plenty.
inline constexpr std::size_t kDefaultConcurrentPackageBuilds = 2;
// The Retry-After (RFC 9110 §10.2.3, delay-seconds) of the 503 answered when all are busy: about
// what a package of a few signers takes to build.
inline constexpr int kPackageBuildRetryAfterSeconds = 5;

struct EvidenceServices {
    // Empty when the node cannot make packages; the route then answers 503 with `unavailable`
    // (what is missing: the evidence seal, the checkpoint key, the TSA).
    PackageWriter write_package;
    std::string unavailable;
    // At least 1 (Errc::invalid_argument otherwise, from add_evidence_route).
    std::size_t max_concurrent_builds = kDefaultConcurrentPackageBuilds;
};

// GET /v1/contracts/{id}/evidence (issue 14, docs/evidence.md "Evidence packages"): HTTPS,
// scope `contracts`, only the calling client's contracts (another's is 404). application/zip,
// `Content-Disposition: attachment; filename="contract-ID-evidence.zip"`, streamed: the builder
// runs on a thread of its own and the response pulls its pieces (at most kPackageQueueBytes
// waiting). A refusal (400 malformed id, 404, 410 document-shredded as the document download
// answers it, 503) is problem+json before the first byte; a failure after it closes the
// connection mid-body (no terminating chunk), so a client never takes a short ZIP for a whole
// one. At most `max_concurrent_builds` packages are built at once (a build holds its slot until
// its body ends or its client goes); past that the route answers 503 problem+json with
// Retry-After at once, before any work, instead of queueing threads.
void add_evidence_route(Router& router, EvidenceServices services);

inline constexpr std::size_t kPackageQueueBytes = 256 * 1024;

}  // namespace signet::api
