#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace signet::ra {

// Why a signed identity statement (ra/evidence.hpp) was refused. Each reason has a stable code
// (to_string) that the API maps to a problem+json type; the message names the field, never its
// value (a statement may carry personal data, and its values are the sender's to choose).
enum class EvidenceRefusal {
    oversized,              // longer than EvidencePolicy::max_token_bytes: not parsed at all
    malformed,              // not a JWS compact serialization of two JSON objects; bad claim type
    algorithm_not_allowed,  // `alg` other than ES256/RS256, or not the one the provider's key takes
    critical_header,        // `crit` present: we understand no extension (RFC 7515 §4.1.11)
    unknown_issuer,         // `iss` names no trusted provider
    unknown_key_id,         // `kid` is not the provider's configured key id
    bad_signature,          // the provider's key does not verify the signature
    missing_claim,          // a claim we require (iat, jti, subject_binding, method) is absent
    not_yet_valid,          // `iat` (or `nbf`) is in the future beyond the allowed clock skew
    stale,                  // `iat` is older than the policy's window (EvidencePolicy::max_age)
    expired,                // `exp` has passed
    wrong_audience,         // `aud` present and not naming us (RFC 7519 §4.1.3: MUST reject)
    wrong_subject,          // `subject_binding` (or `document_kind`) is not the subject's
    too_weak,               // the methods or scores do not reach the required assurance level
    replayed,               // this (iss, jti) was accepted before
};

// The stable reason code, e.g. "evidence_bad_signature".
std::string_view to_string(EvidenceRefusal refusal) noexcept;

// The refusal's Errc: invalid_argument for a statement that is not well formed or not fresh,
// permission_denied for one that is well formed but not trusted, not the subject's or too weak,
// already_exists for a replay.
Errc errc_of(EvidenceRefusal refusal) noexcept;

// The one exception a refused statement raises: a signet::Error (so the edge maps its Errc like
// any other) that also carries the specific reason.
class EvidenceError : public Error {
  public:
    EvidenceError(EvidenceRefusal refusal, const std::string& message);
    EvidenceRefusal refusal() const noexcept { return refusal_; }

  private:
    EvidenceRefusal refusal_;
};

}  // namespace signet::ra
