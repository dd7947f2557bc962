#pragma once

// The offline verifier of an evidence package (`signetctl evidence verify`): from the ZIP's
// bytes and the root certificates alone — no database, no server, no network.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/handle.hpp"
#include "evidence/zip.hpp"

namespace signet::evidence {

// One thing checked. `subject` names it exactly: a file of the package ("audit/events/17.json",
// "document/signer-2.p7s"), or "checkpoint".
struct PackageCheck {
    std::string subject;
    bool ok = false;
    std::string detail;  // what was found; for a failure, what is wrong
};

struct PackageReport {
    std::string contract_id;  // from manifest.json
    std::vector<PackageCheck> checks;
    // Every check passed (and there were the checks a package must have).
    bool valid() const noexcept;
    std::vector<const PackageCheck*> failures() const;
};

struct PackageVerifyOptions {
    // The trust anchors: the roots of the CA and of the TSA (their chains end there). Required.
    std::vector<X509Ptr> roots;
    // The validation time of anything without a usable time-stamp (the clock's now).
    Clock::time_point now;
    ZipLimits limits{};
};

// Checks, each a PackageCheck:
//   manifest.json: its format; every file of the package listed, each listed file present with
//     that size and SHA-256;
//   manifest.p7s: a CAdES signature over manifest.json, valid, B-T, its chain trusted to a root;
//   evidence-certificate.pdf and the document (document/contract.pdf, or each
//     document/signer-N.p7s over document/data.bin): sign::verify_document valid with the roots;
//   checkpoint: the body parses, its signature verifies with the key of
//     audit/checkpoint/certificate.der, that certificate chains to a root at the checkpoint's
//     time, its time-stamp token is over SHA-256(body), verifies and its TSA chains to a root;
//   audit/events/SEQ.json: its leaf hash recomputed from the canonical text, its seq the file's,
//     and audit/proofs/SEQ.json proving it is leaf SEQ-1 of the checkpoint's tree (RFC 9162
//     §2.1.3.2); at least one event about the contract;
//   contract-events/N-TYPE.tst: an RFC 3161 token over SHA-256 of N-TYPE.json, verifying, its
//     TSA chaining to a root, and the event naming the package's contract.
// Errc::invalid_argument for an archive read_zip refuses (too many entries, too big, paths with
// "..", duplicates, a compression bomb) and for no roots; everything else is a failed check.
PackageReport verify_package(ByteView zip, const PackageVerifyOptions& options);

// One line per check ("ok   SUBJECT: DETAIL" / "FAIL SUBJECT: DETAIL"), then the verdict.
std::string report_text(const PackageReport& report);
// {"valid":bool,"contract":"...","checks":[{"subject":..,"ok":..,"detail":..}],
//  "failures":[subject,...]}
nlohmann::json report_json(const PackageReport& report);

}  // namespace signet::evidence
