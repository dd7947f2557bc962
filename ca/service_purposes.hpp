#pragma once

// The key purposes that bind Signet's own service certificates to their one job, so that a
// verifier can tell the platform's evidence seal and the audit log's checkpoint signer from every
// other certificate under the same root (a signer's personal certificate carries the same
// documentSigning + emailProtection pair as the seal; without a purpose of its own, any party
// could seal a forged evidence package with their own key).
//
// Signet has no OID arc of its own (no IANA Private Enterprise Number). These OIDs are under
// 2.25, where ITU-T X.667 | ISO/IEC 9834-8 §6.3 lets anyone form an OID from a UUID they
// generated, without registration and without taking another's arc; each was made once from a
// random (version 4) UUID, named in the comment.
#include <openssl/x509.h>

#include <string_view>

namespace signet::ca {

// UUID ce2dc04b-6b12-4fc6-b47e-b0f68300b3c8: signs evidence packages' manifests and evidence
// certificates (evidence/README.md), beside id-kp-documentSigning and id-kp-emailProtection.
inline constexpr std::string_view kEvidenceSealPurpose =
    "2.25.274058520688219860200065330462467339208";
// UUID 6726beff-f0df-45ff-bccb-259c0fec13d1: signs the audit log's checkpoints
// (audit/checkpoint.hpp), its only extended key usage.
inline constexpr std::string_view kAuditCheckpointPurpose =
    "2.25.137111664782023116689470866453814842321";

// Whether `certificate`'s extendedKeyUsage extension lists `oid` (dotted). False without the
// extension: RFC 5280 §4.2.1.12 reads a missing EKU as "any purpose", but these purposes must be
// stated, or every certificate would hold them.
bool has_key_purpose(const X509* certificate, std::string_view oid);

}  // namespace signet::ca
