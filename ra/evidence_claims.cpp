#include "ra/evidence_claims.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace signet::ra {
namespace {

constexpr std::size_t kMaxJtiLength = 128;
constexpr std::size_t kMaxMethods = 16;
constexpr std::size_t kMaxMethodLength = 32;

[[noreturn]] void refuse(EvidenceRefusal refusal, const std::string& what) {
    throw EvidenceError(refusal, what);
}

const nlohmann::json* find(const nlohmann::json& claims, const char* name) {
    const auto it = claims.find(name);
    return it == claims.end() ? nullptr : &*it;
}

const nlohmann::json& require(const nlohmann::json& claims, const char* name) {
    const nlohmann::json* value = find(claims, name);
    if (value == nullptr)
        refuse(EvidenceRefusal::missing_claim, std::string("claim '") + name + "' is missing");
    return *value;
}

const std::string& require_string(const nlohmann::json& claims, const char* name) {
    const nlohmann::json& value = require(claims, name);
    if (!value.is_string())
        refuse(EvidenceRefusal::malformed, std::string("claim '") + name + "' is not a string");
    return value.get_ref<const std::string&>();
}

// A NumericDate (RFC 7519 §2: seconds since the epoch, possibly non-integer), to the second.
Clock::time_point numeric_date(const nlohmann::json& value, const char* name) {
    std::optional<Clock::time_point> t;
    if (value.is_number_integer())
        t = from_unix_seconds(value.get<std::int64_t>());
    else if (value.is_number_float() && std::abs(value.get<double>()) < 1e15)
        t = from_unix_seconds(static_cast<std::int64_t>(std::floor(value.get<double>())));
    if (!t || *t < Clock::time_point{})
        refuse(EvidenceRefusal::malformed, std::string("claim '") + name + "' is not a NumericDate");
    return *t;
}

// A score in 0..1, or nullopt when absent.
std::optional<double> score(const nlohmann::json& claims, const char* name) {
    const nlohmann::json* value = find(claims, name);
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_number() || !(value->get<double>() >= 0.0 && value->get<double>() <= 1.0))
        refuse(EvidenceRefusal::malformed, std::string("claim '") + name + "' is not a number in 0..1");
    return value->get<double>();
}

bool printable_ascii(const std::string& text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::vector<std::string> methods_of(const nlohmann::json& claims) {
    const nlohmann::json& value = require(claims, "method");
    if (!value.is_array() || value.empty() || value.size() > kMaxMethods)
        refuse(EvidenceRefusal::malformed, "claim 'method' is not a list of 1 to 16 method names");
    std::vector<std::string> methods;
    for (const auto& item : value) {
        const bool name = item.is_string() && !item.get_ref<const std::string&>().empty() &&
                          item.get_ref<const std::string&>().size() <= kMaxMethodLength &&
                          std::all_of(item.get_ref<const std::string&>().begin(),
                                      item.get_ref<const std::string&>().end(), [](char c) {
                                          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                                 c == '_';
                                      });
        if (!name)
            refuse(EvidenceRefusal::malformed, "claim 'method' holds something not a method name");
        if (std::find(methods.begin(), methods.end(), item.get_ref<const std::string&>()) !=
            methods.end())
            refuse(EvidenceRefusal::malformed, "claim 'method' lists a method twice");
        methods.push_back(item.get<std::string>());
    }
    return methods;
}

// Why `claims` do not meet `level`, or empty when they do. Names only our own policy's terms.
std::string shortfall(const CheckedClaims& claims, const AssuranceRequirement& level) {
    for (const std::string& method : level.methods)
        if (std::find(claims.methods.begin(), claims.methods.end(), method) == claims.methods.end())
            return "claim 'method' lacks '" + method + "'";
    if (level.min_face_match_score &&
        !(claims.face_match_score && *claims.face_match_score >= *level.min_face_match_score))
        return "claim 'face_match_score' is missing or below the minimum";
    if (level.min_liveness_score &&
        !(claims.liveness_score && *claims.liveness_score >= *level.min_liveness_score))
        return "claim 'liveness_score' is missing or below the minimum";
    return {};
}

}  // namespace

CheckedClaims check_claims(const nlohmann::json& claims, const ClaimRules& rules) {
    const EvidencePolicy& policy = rules.policy;
    CheckedClaims out;
    // RFC 7519 §4.1.1: the verified issuer must be the provider whose key verified it.
    if (require_string(claims, "iss") != rules.issuer)
        refuse(EvidenceRefusal::unknown_issuer, "claim 'iss' is not the verifying provider's");

    // RFC 7519 §4.1.7: the jti is what makes the statement single-use.
    out.jti = require_string(claims, "jti");
    if (out.jti.empty() || out.jti.size() > kMaxJtiLength || !printable_ascii(out.jti))
        refuse(EvidenceRefusal::malformed, "claim 'jti' is not 1 to 128 printable ASCII characters");

    // Freshness: iat (RFC 7519 §4.1.6) within the window, nbf (§4.1.5) and exp (§4.1.4) with
    // the allowed skew ("implementers MAY provide for some small leeway").
    out.issued_at = numeric_date(require(claims, "iat"), "iat");
    if (out.issued_at > rules.now + policy.clock_skew)
        refuse(EvidenceRefusal::not_yet_valid, "claim 'iat' is in the future");
    if (rules.now - out.issued_at > policy.max_age)
        refuse(EvidenceRefusal::stale, "claim 'iat' is older than the policy allows");
    if (const nlohmann::json* nbf = find(claims, "nbf");
        nbf && numeric_date(*nbf, "nbf") > rules.now + policy.clock_skew)
        refuse(EvidenceRefusal::not_yet_valid, "claim 'nbf' is in the future");
    if (const nlohmann::json* exp = find(claims, "exp");
        exp && numeric_date(*exp, "exp") + policy.clock_skew <= rules.now)
        refuse(EvidenceRefusal::expired, "claim 'exp' has passed");

    // RFC 7519 §4.1.3: a recipient not identified by a present `aud` MUST reject the JWT.
    if (const nlohmann::json* aud = find(claims, "aud"); aud) {
        bool named = false;
        if (aud->is_string())
            named = !policy.audience.empty() && *aud == policy.audience;
        else if (aud->is_array())
            for (const auto& item : *aud)
                named = named || (!policy.audience.empty() && item == policy.audience);
        else
            refuse(EvidenceRefusal::malformed, "claim 'aud' is not a string or a list");
        if (!named)
            refuse(EvidenceRefusal::wrong_audience, "claim 'aud' does not name this RA");
    }

    // Binding: the statement is about this subject (name, document kind and number), by the hash
    // Signet computes; neither value is ever echoed.
    const std::string& binding = require_string(claims, "subject_binding");
    const std::string& expected = rules.request.expected_binding;
    if (expected.empty() || binding.size() != expected.size() ||
        CRYPTO_memcmp(binding.data(), expected.data(), expected.size()) != 0)
        refuse(EvidenceRefusal::wrong_subject, "claim 'subject_binding' is not the subject's");
    if (const nlohmann::json* kind = find(claims, "document_kind"); kind) {
        if (!kind->is_string())
            refuse(EvidenceRefusal::malformed, "claim 'document_kind' is not a string");
        if (rules.request.document_kind && *rules.request.document_kind != kind->get<std::string>())
            refuse(EvidenceRefusal::wrong_subject, "claim 'document_kind' is not the subject's");
    }

    // Method and strength.
    out.methods = methods_of(claims);
    out.face_match_score = score(claims, "face_match_score");
    out.liveness_score = score(claims, "liveness_score");
    if (const std::string why = shortfall(out, rules.request.required); !why.empty())
        refuse(EvidenceRefusal::too_weak, why + " (level '" + rules.request.required.level + "')");
    out.assurance_level = rules.request.required.level;
    // The highest policy level met above the required one, when the policy lists the levels.
    const auto& levels = policy.levels;
    const auto required = std::find_if(levels.begin(), levels.end(), [&](const auto& level) {
        return level.level == rules.request.required.level;
    });
    if (required != levels.end())
        for (auto it = required + 1; it != levels.end(); ++it)
            if (shortfall(out, *it).empty())
                out.assurance_level = it->level;
    return out;
}

}  // namespace signet::ra
