#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "ra/evidence.hpp"

namespace signet::ra {

// The claim rules of an identity statement (ra/evidence.hpp), applied to the claims libjwt has
// verified. Internal to ra/evidence.cpp; a header of its own so the file stays readable.
struct ClaimRules {
    const std::string& issuer;  // the provider whose key verified the statement
    Clock::time_point now;
    const EvidencePolicy& policy;
    const EvidenceRequest& request;
};

struct CheckedClaims {
    std::string jti;
    Clock::time_point issued_at;
    std::vector<std::string> methods;
    std::optional<double> face_match_score;
    std::optional<double> liveness_score;
    std::string assurance_level;
};

// Throws EvidenceError with the first rule the claims break.
CheckedClaims check_claims(const nlohmann::json& claims, const ClaimRules& rules);

}  // namespace signet::ra
