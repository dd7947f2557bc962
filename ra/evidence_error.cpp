#include "ra/evidence_error.hpp"

namespace signet::ra {

std::string_view to_string(EvidenceRefusal refusal) noexcept {
    switch (refusal) {
    case EvidenceRefusal::oversized: return "evidence_oversized";
    case EvidenceRefusal::malformed: return "evidence_malformed";
    case EvidenceRefusal::algorithm_not_allowed: return "evidence_algorithm_not_allowed";
    case EvidenceRefusal::critical_header: return "evidence_critical_header";
    case EvidenceRefusal::unknown_issuer: return "evidence_unknown_issuer";
    case EvidenceRefusal::unknown_key_id: return "evidence_unknown_key_id";
    case EvidenceRefusal::bad_signature: return "evidence_bad_signature";
    case EvidenceRefusal::missing_claim: return "evidence_missing_claim";
    case EvidenceRefusal::not_yet_valid: return "evidence_not_yet_valid";
    case EvidenceRefusal::stale: return "evidence_stale";
    case EvidenceRefusal::expired: return "evidence_expired";
    case EvidenceRefusal::wrong_audience: return "evidence_wrong_audience";
    case EvidenceRefusal::wrong_subject: return "evidence_wrong_subject";
    case EvidenceRefusal::too_weak: return "evidence_too_weak";
    case EvidenceRefusal::replayed: return "evidence_replayed";
    }
    return "evidence_refused";
}

Errc errc_of(EvidenceRefusal refusal) noexcept {
    switch (refusal) {
    case EvidenceRefusal::unknown_issuer:
    case EvidenceRefusal::unknown_key_id:
    case EvidenceRefusal::bad_signature:
    case EvidenceRefusal::wrong_audience:
    case EvidenceRefusal::wrong_subject:
    case EvidenceRefusal::too_weak:
        return Errc::permission_denied;
    case EvidenceRefusal::replayed:
        return Errc::already_exists;
    default:
        return Errc::invalid_argument;
    }
}

EvidenceError::EvidenceError(EvidenceRefusal refusal, const std::string& message)
    : Error(errc_of(refusal), "identity evidence refused (" + std::string(to_string(refusal)) +
                                  "): " + message),
      refusal_(refusal) {}

}  // namespace signet::ra
