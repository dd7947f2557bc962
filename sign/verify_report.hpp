#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sign/verify_document.hpp"

// The renderings of a DocumentReport: JSON, the one shape `POST /v1/verify` answers and
// `signetctl verify --json` prints; text, for people at the command line.
namespace signet::sign {

// {
//   "format": "pdf" | "cms", "valid": bool, "problems": [string],
//   "signatures": [{
//     "kind": "signature" | "document_timestamp",
//     "field": string, "sub_filter": string, "claimed_time": string | null   (a PDF's only)
//     "valid": bool, "intact": bool,
//     "level": "none" | "B-B" | "B-T" | "B-LT" | "B-LTA"                    (signatures only)
//     "time": RFC 3339 | null        the proved time (signature or document time-stamp)
//     "signer": certificate | null   the signer's (a document time-stamp's: the TSA's)
//     "chain": chain                  the signer's (a document time-stamp's: the TSA's)
//     "cms": {"digest_algorithm", "signature_valid", "digest_matches",
//             "signing_certificate_matches", "has_signing_time", "validation_time"}
//                                                                            (signatures only)
//     "time_stamp": {"present", "signature_valid", "imprint_matches", "time", "policy",
//                    "tsa": chain, "problem"}   the signature time-stamp, or the token itself
//     "coverage": {"byte_range": [4 integers], "revision_end", "covers_revision", "problem",
//                  "covers_whole_file", "later_changes_permitted", "later_changes": [string]}
//                                                                            (a PDF's only)
//     "problems": [string] }] }
// certificate: {"subject", "issuer", "serial" (hex), "not_before", "not_after"}
// chain: {"certificates": [certificate + "revocation": {"status": "good" | "revoked" |
//         "unknown" | "missing" | "not_checked", "source": "ocsp" | "crl" | "",
//         "this_update", "next_update", "revoked_at" (RFC 3339 or null), "reason" (RFC 5280
//         CRLReason or null), "problem"}], "complete", "trusted", "problem"}
nlohmann::json report_json(const DocumentReport& report);

// `text` as it is rendered: a PDF's field names, /M and the changes found come from the file, so
// bytes that are not UTF-8 become U+FFFD (JSON must be UTF-8, RFC 8259 §8.1) and so do control
// characters (a terminal would act on them).
std::string printable(std::string_view text);

// A few lines per signature: kind, field, verdict and level, signer, proved time, coverage,
// the chain with each certificate's revocation status, problems; the verdict first.
std::string report_text(const DocumentReport& report);

}  // namespace signet::sign
