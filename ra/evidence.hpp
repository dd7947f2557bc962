#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "ra/evidence_error.hpp"

namespace signet::ra {

// Identity evidence (issue 12): a statement that an identity-verification provider (ID-registry
// check, face match, liveness) signs as a JWS in compact serialization (RFC 7515) and the signing
// platform passes on. EvidenceVerifier accepts it or refuses it with one EvidenceRefusal; the
// rules are in ra/README.md.

// A trusted provider: its `iss`, its key id (the JWS `kid`; empty: the provider sends none) and
// its public key (PEM SubjectPublicKeyInfo): EC P-256 (then ES256 only) or RSA of at least 2048
// bits (then RS256 only).
struct EvidenceProvider {
    std::string issuer;
    std::string key_id;
    std::string public_key_pem;
};

// One assurance level: the methods a statement must list and the minimum scores (0..1) it must
// carry. A minimum that is set requires the score to be present.
struct AssuranceRequirement {
    std::string level;                 // e.g. "substantial"; what the record reports as reached
    std::vector<std::string> methods;  // e.g. {"id_registry", "face_match", "liveness"}
    std::optional<double> min_face_match_score;
    std::optional<double> min_liveness_score;
};

struct EvidencePolicy {
    std::vector<EvidenceProvider> providers;
    std::chrono::seconds max_age{600};    // `iat` at most this old
    std::chrono::seconds clock_skew{60};  // `iat`/`nbf` at most this far ahead; `exp` this late
    std::size_t max_token_bytes = 16 * 1024;  // longer tokens are refused before parsing (<= 64 KiB)
    // Our name in an `aud` claim. A statement without `aud` is accepted; one with an `aud` that
    // does not list this value (or any `aud` when this is empty) is refused.
    std::string audience;
    // The levels the policy defines, lowest first: the record names the highest one a statement
    // meets (the requirement passed to verify() must be met in any case).
    std::vector<AssuranceRequirement> levels;
};

// What the lead stores for an accepted statement: enough to audit and to refuse a replay, and
// nothing personal (not the statement, not the binding, not the document kind).
struct EvidenceRecord {
    std::string issuer;
    std::string jti;
    std::string key_id;     // the JWS `kid`, empty when the provider sent none
    std::string algorithm;  // "ES256" or "RS256"
    Clock::time_point issued_at;
    std::vector<std::string> methods;  // as the statement listed them
    std::optional<double> face_match_score;
    std::optional<double> liveness_score;
    std::string assurance_level;  // the highest policy level met (at least the required one)
    std::array<std::uint8_t, 32> statement_sha256{};  // SHA-256 of the compact JWS's bytes
};

// Remembers every accepted (iss, jti) until `keep_until` (after which the statement is refused as
// stale anyway). In signetd: ra::TransactionReplayGuard (ra/evidence_replay.hpp), a row of
// evidence_replay written in the transaction that stores the evidence.
class EvidenceReplayGuard {
  public:
    virtual ~EvidenceReplayGuard() = default;
    // True the first time (the pair is now recorded), false for a pair already recorded.
    virtual bool accept_once(const std::string& issuer, const std::string& jti,
                             Clock::time_point keep_until) = 0;
};

// For tests and single-process use: a map, pruned of expired pairs as it goes.
class InMemoryEvidenceReplayGuard final : public EvidenceReplayGuard {
  public:
    explicit InMemoryEvidenceReplayGuard(const Clock& clock) : clock_(clock) {}
    bool accept_once(const std::string& issuer, const std::string& jti,
                     Clock::time_point keep_until) override;
    std::size_t size() const;

  private:
    const Clock& clock_;
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, Clock::time_point> seen_;
};

// What the caller expects of the statement.
struct EvidenceRequest {
    std::string_view token;        // the compact JWS as received
    std::string expected_binding;  // ra::subject_binding_hash(name, kind, number) of the subject
    // The subject's document kind: when set and the statement names one, they must agree.
    std::optional<std::string> document_kind;
    AssuranceRequirement required;  // what the requested certificate profile needs
};

class EvidenceVerifier {
  public:
    // Loads and checks every provider's key once; Errc::invalid_argument naming the provider
    // (by its position and issuer) for an unreadable key, a key of another type or size, an empty
    // issuer or a duplicate (issuer, key id).
    EvidenceVerifier(EvidencePolicy policy, const Clock& clock, EvidenceReplayGuard& replay);
    // Without a guard of its own: every verify() is given one (the registry's, which records
    // the statement in the transaction that stores its evidence).
    EvidenceVerifier(EvidencePolicy policy, const Clock& clock);
    ~EvidenceVerifier();
    EvidenceVerifier(const EvidenceVerifier&) = delete;
    EvidenceVerifier& operator=(const EvidenceVerifier&) = delete;

    // Accepts the statement once, or throws EvidenceError with the first rule it breaks. Every
    // rule is checked before the replay guard records the (iss, jti): a refused statement
    // consumes nothing.
    // With the guard given at construction (Errc::internal when there was none).
    EvidenceRecord verify(const EvidenceRequest& request) const;
    // The same with `replay` as the guard.
    EvidenceRecord verify(const EvidenceRequest& request, EvidenceReplayGuard& replay) const;

    const EvidencePolicy& policy() const noexcept { return policy_; }

    struct LoadedProvider;

  private:
    EvidencePolicy policy_;
    const Clock& clock_;
    EvidenceReplayGuard* replay_;  // may be null
    std::vector<std::unique_ptr<LoadedProvider>> providers_;
};

}  // namespace signet::ra
