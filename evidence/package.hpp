#pragma once

// An evidence package (issue 14, docs/evidence.md "Evidence packages"): one ZIP a third party
// verifies offline — the signed document, each signature's validation data, each party's
// identity evidence (minimized), the contract's audit events with their inclusion proofs against
// one signed checkpoint, the contract events' time-stamps, the certificates every chain needs,
// the evidence certificate (a sealed page for people) and manifest.json sealed by manifest.p7s.
#include <string_view>

#include "audit/checkpoint.hpp"
#include "audit/log.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "evidence/zip.hpp"
#include "sign/contracts.hpp"
#include "sign/pades_signing.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "store/subjects.hpp"

namespace signet::evidence {

struct PackageDependencies {
    sign::Contracts& contracts;  // the contract, its caller's only, and its documents
    store::Database& database;   // identity evidence; audit events by object
    store::CertificateReader& certificates;
    store::SubjectReader& subjects;
    audit::AuditLog& audit_log;  // drained first, so the latest events are in the tree
    audit::AuditReader& audit_reader;
    audit::CheckpointReader& checkpoints;
    audit::Checkpointer& checkpointer;  // when the latest checkpoint does not cover the events
    // The platform's e-seal (load_evidence_seal), our TSA, the validation data of both chains
    // and the TSA's chain: the evidence certificate and manifest.p7s are signed with them.
    sign::SigningParties seal;
    const Clock& clock;
};

// The builder's bound on the bytes a PDF's signers appended (kept in memory to read their
// validation data); 50 signers of Signet's PAdES revisions take a fraction of it.
inline constexpr std::size_t kMaxSignatureRevisionBytes = 32u * 1024 * 1024;

// A contract whose documents were crypto-shredded after their retention period
// (sign/contracts.hpp Contracts::shred): no package can hold them, so build() refuses it before
// anything else (no checkpoint made, nothing sealed, no byte written). A signet::Error of code
// Errc::failed_precondition, a type of its own so the route can answer 410 document-shredded
// as the document download does.
class ContractShredded : public Error {
  public:
    ContractShredded(const std::string& contract_id, Clock::time_point shredded_at);
    Clock::time_point shredded_at() const noexcept { return shredded_at_; }

  private:
    Clock::time_point shredded_at_;
};

class PackageBuilder {
  public:
    explicit PackageBuilder(PackageDependencies dependencies);

    // Writes the package of contract `id` to `sink` as one ZIP, streamed: the document goes
    // from the vault through the ZIP's deflate to the sink a chunk at a time (never all in
    // memory, never in a file). Everything that can be refused is done before the first byte
    // reaches the sink: Errc::not_found (no such contract, or another client's),
    // ContractShredded (its documents crypto-shredded: checked first), the checkpoint (Checkpointer's errors), the evidence certificate (the HSM's, the TSA's:
    // Errc::unavailable). After that, a failure (the vault, the TSA for manifest.p7s, the sink)
    // throws with the archive cut short: the caller must not present what it got as a package.
    void build(std::string_view contract_id, const sign::ContractCaller& caller,
               const ZipSink& sink);

  private:
    PackageDependencies deps_;
};

}  // namespace signet::evidence
