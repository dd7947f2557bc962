#include "ra/evidence.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <cerrno>
#include <string>

#include "common/digest.hpp"
#include "common/handle.hpp"
#include "ra/evidence_claims.hpp"
#include "ra/jws_compact.hpp"

// Why the order of verify() is safe with libjwt 1.10.2 (its libjwt/jwt.c and jwt-openssl.c at
// tag v1.10.2, which Debian 12 ships):
// - jwt_decode(&jwt, token, key, len) takes the algorithm from the token's own header
//   (jwt_verify_head: jwt->alg = jwt_str_alg(header "alg")) and then verifies with whatever key
//   it was given: HS256 runs HMAC with the key bytes as the secret (jwt_verify_sha_hmac), so
//   handing it an RSA provider's PEM would let anyone who knows that public PEM forge HS256
//   tokens (the classic alg confusion); "none" skips the signature entirely (a key is refused
//   there, but that is the only guard). The caller cannot tell jwt_decode which alg it expects.
// - jwt_str_alg compares with strcasecmp, while RFC 7515 §4.1.1 makes "alg" case-sensitive:
//   libjwt would take "es256" or "None".
// - jwt_decode with a NULL key verifies nothing (jwt_verify_head calls jwt_scrub_key, which sets
//   jwt->alg to NONE, so the signature is skipped) and then reports jwt_get_alg() == NONE: the
//   token's alg survives only as the "alg" header. We do not use that unverified read: its base64
//   decoder (jwt_Base64decode, Apache's) stops at the first character outside the alphabet and
//   ignores the rest, a fourth '.'-part is taken as part of the signature, and a token whose alg
//   libjwt does not know fails as a whole (EINVAL), so the refusal could not say why. The strict
//   syntax check and first look are preview_jws's (ra/jws_compact.cpp: OpenSSL's base64 decoder
//   via common/bytes, nlohmann::json), and libjwt's own view is checked against it afterwards.
// Hence: (1) the preview refuses anything but exactly "ES256" or "RS256" and picks the provider
// by `iss`/`kid`; (2) the alg must be the one the provider's key type takes (an EC P-256 key only
// ES256, an RSA key only RS256), so jwt_decode can only ever run ECDSA or RSA PKCS#1 v1.5 with the
// provider's public key (jwt_verify_sha_pem also checks that the PEM's key type is the alg's,
// and for ES256 that the signature is R||S of 2*32 bytes, RFC 7518 §3.4); (3) after jwt_decode,
// libjwt's own view (jwt_get_alg, its "alg", "kid" and "crit" headers) must agree with what was
// checked, so a token its JSON parser reads differently (duplicate keys...) is still refused;
// (4) the claims are read from libjwt's verified grants, never from the preview.

namespace signet::ra {
namespace {

constexpr std::string_view kEs256 = "ES256";
constexpr std::string_view kRs256 = "RS256";
constexpr int kMinRsaBits = 2048;
constexpr std::size_t kMaxTokenBytes = 64 * 1024;

[[noreturn]] void refuse(EvidenceRefusal refusal, const std::string& what) {
    throw EvidenceError(refusal, what);
}

std::string provider_name(std::size_t index, const EvidenceProvider& provider) {
    return "evidence provider #" + std::to_string(index + 1) + " ('" + provider.issuer + "')";
}

// The key's algorithm: "ES256" for an EC key on P-256, "RS256" for an RSA key of at least 2048
// bits (RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used"); anything else refused.
std::string algorithm_for(const EVP_PKEY* key, const std::string& who) {
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[64] = {};
        std::size_t length = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           &length) != 1 ||
            std::string_view(group, length) != "prime256v1") {
            clear_openssl_errors();
            throw Error(Errc::invalid_argument,
                        who + ": 'public_key_pem' is an EC key not on P-256 (ES256 needs P-256)");
        }
        return std::string(kEs256);
    }
    if (EVP_PKEY_is_a(key, "RSA")) {
        if (EVP_PKEY_get_bits(key) < kMinRsaBits)
            throw Error(Errc::invalid_argument,
                        who + ": 'public_key_pem' is an RSA key under 2048 bits");
        return std::string(kRs256);
    }
    throw Error(Errc::invalid_argument,
                who + ": 'public_key_pem' is neither an EC P-256 nor an RSA key");
}

// The key as libjwt will read it: re-encoded from the key we checked, so libjwt's
// PEM_read_bio_PUBKEY cannot find anything else in the configured text.
std::string canonical_pem(EVP_PKEY* key) {
    BioPtr out(BIO_new(BIO_s_mem()));
    if (!out || PEM_write_bio_PUBKEY(out.get(), key) != 1)
        throw_openssl_error("encoding an evidence provider's public key");
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

// A header value libjwt parsed, as a string, or nullopt when absent.
std::optional<std::string> jwt_header(jwt_t* jwt, const char* name) {
    const char* value = jwt_get_header(jwt, name);
    if (value == nullptr)
        return std::nullopt;
    return std::string(value);
}

const std::string* header_string(const nlohmann::json& header, const char* name) {
    const auto it = header.find(name);
    if (it == header.end())
        return nullptr;
    if (!it->is_string())
        refuse(EvidenceRefusal::malformed, std::string("header '") + name + "' is not a string");
    return it->get_ptr<const std::string*>();
}

// The JOSE header rules that do not depend on the provider; returns the alg.
std::string check_header(const nlohmann::json& header) {
    const std::string* alg = header_string(header, "alg");
    if (alg == nullptr)
        refuse(EvidenceRefusal::malformed, "header 'alg' is missing (RFC 7515 §4.1.1)");
    // RFC 7518 §3.1: only these two of the registered algorithms; "none" (§3.6) and HS* never.
    if (*alg != kEs256 && *alg != kRs256)
        refuse(EvidenceRefusal::algorithm_not_allowed, "header 'alg' is not ES256 or RS256");
    // RFC 7515 §4.1.11: a recipient that does not understand a listed extension MUST reject.
    if (header.contains("crit"))
        refuse(EvidenceRefusal::critical_header,
               "header 'crit' is present; no extension is supported");
    // RFC 7519 §5.1: "JWT" when present (libjwt 1.10 refuses any other typ too).
    if (const std::string* typ = header_string(header, "typ"); typ != nullptr && *typ != "JWT")
        refuse(EvidenceRefusal::malformed, "header 'typ' is not JWT");
    (void)header_string(header, "kid");  // a non-string kid is malformed
    return *alg;
}

}  // namespace

struct EvidenceVerifier::LoadedProvider {
    EvidenceProvider config;
    std::string algorithm;  // "ES256" or "RS256"
    jwt_alg_t jwt_algorithm = JWT_ALG_INVAL;
    std::string pem;  // canonical_pem of the checked key
};

EvidenceVerifier::EvidenceVerifier(EvidencePolicy policy, const Clock& clock,
                                   EvidenceReplayGuard& replay)
    : EvidenceVerifier(std::move(policy), clock) {
    replay_ = &replay;
}

EvidenceVerifier::EvidenceVerifier(EvidencePolicy policy, const Clock& clock)
    : policy_(std::move(policy)), clock_(clock), replay_(nullptr) {
    if (policy_.max_age <= std::chrono::seconds::zero() ||
        policy_.clock_skew < std::chrono::seconds::zero())
        throw Error(Errc::invalid_argument,
                    "evidence policy: 'max_age' must be positive and 'clock_skew' not negative");
    // libjwt 1.10 copies each part onto the stack (alloca in jwt_b64_decode): keep it small.
    if (policy_.max_token_bytes == 0 || policy_.max_token_bytes > kMaxTokenBytes)
        throw Error(Errc::invalid_argument, "evidence policy: 'max_token_bytes' must be 1..65536");
    for (std::size_t i = 0; i < policy_.providers.size(); ++i) {
        const EvidenceProvider& config = policy_.providers[i];
        const std::string who = provider_name(i, config);
        if (config.issuer.empty())
            throw Error(Errc::invalid_argument, who + ": 'issuer' is empty");
        for (const auto& other : providers_)
            if (other->config.issuer == config.issuer &&
                (other->config.key_id == config.key_id || other->config.key_id.empty() ||
                 config.key_id.empty()))
                throw Error(
                    Errc::invalid_argument,
                    who + ": another provider has the same issuer and no distinct 'key_id'");
        BioPtr in(BIO_new_mem_buf(config.public_key_pem.data(),
                                  static_cast<int>(config.public_key_pem.size())));
        EvpPkeyPtr key(in ? PEM_read_bio_PUBKEY(in.get(), nullptr, nullptr, nullptr) : nullptr);
        if (!key) {
            clear_openssl_errors();
            throw Error(Errc::invalid_argument,
                        who + ": 'public_key_pem' is not a PEM public key (SubjectPublicKeyInfo)");
        }
        auto loaded = std::make_unique<LoadedProvider>();
        loaded->config = config;
        loaded->algorithm = algorithm_for(key.get(), who);
        loaded->jwt_algorithm = loaded->algorithm == kEs256 ? JWT_ALG_ES256 : JWT_ALG_RS256;
        loaded->pem = canonical_pem(key.get());
        providers_.push_back(std::move(loaded));
    }
}

EvidenceVerifier::~EvidenceVerifier() = default;

EvidenceRecord EvidenceVerifier::verify(const EvidenceRequest& request) const {
    if (replay_ == nullptr)
        throw Error(Errc::internal, "this evidence verifier has no replay guard of its own");
    return verify(request, *replay_);
}

EvidenceRecord EvidenceVerifier::verify(const EvidenceRequest& request,
                                        EvidenceReplayGuard& replay) const {
    const std::string_view token = request.token;
    if (token.size() > policy_.max_token_bytes)
        refuse(EvidenceRefusal::oversized, "the statement is longer than " +
                                               std::to_string(policy_.max_token_bytes) + " bytes");
    // The preview also keeps every byte in base64url or '.': no NUL can cut libjwt's C string.
    const JwsPreview preview = preview_jws(token);
    const std::string alg = check_header(preview.header);

    // The provider, chosen by the unverified iss and kid; the verified iss is checked again below.
    const auto iss = preview.payload.find("iss");
    if (iss == preview.payload.end())
        refuse(EvidenceRefusal::missing_claim, "claim 'iss' is missing");
    if (!iss->is_string())
        refuse(EvidenceRefusal::malformed, "claim 'iss' is not a string");
    const std::string* kid = header_string(preview.header, "kid");
    std::vector<const LoadedProvider*> candidates;
    for (const auto& provider : providers_)
        if (provider->config.issuer == iss->get_ref<const std::string&>())
            candidates.push_back(provider.get());
    if (candidates.empty())
        refuse(EvidenceRefusal::unknown_issuer, "claim 'iss' names no trusted provider");
    const LoadedProvider* provider = nullptr;
    for (const LoadedProvider* candidate : candidates)
        if (kid != nullptr ? candidate->config.key_id == *kid : candidates.size() == 1)
            provider = candidate;
    if (provider == nullptr)
        refuse(EvidenceRefusal::unknown_key_id,
               kid != nullptr ? "header 'kid' is not the provider's key id"
                              : "header 'kid' is missing and the provider has several keys");
    if (alg != provider->algorithm)
        refuse(EvidenceRefusal::algorithm_not_allowed,
               "header 'alg' is not " + provider->algorithm + ", the provider's key's algorithm");
    if (preview.signature_bytes == 0)
        refuse(EvidenceRefusal::bad_signature, "the signature is empty");

    // Only now does libjwt compute anything, with an alg fixed to the provider's key type.
    const std::string text(token);
    jwt_t* decoded = nullptr;
    const int rc = jwt_decode(&decoded, text.c_str(),
                              reinterpret_cast<const unsigned char*>(provider->pem.data()),
                              static_cast<int>(provider->pem.size()));
    JwtPtr jwt(decoded);
    clear_openssl_errors();  // libjwt leaves OpenSSL's queue to its caller
    if (rc != 0 || !jwt)
        refuse(EvidenceRefusal::bad_signature, "the provider's key does not verify the signature");
    if (jwt_get_alg(jwt.get()) != provider->jwt_algorithm ||
        jwt_header(jwt.get(), "alg") != provider->algorithm)
        refuse(EvidenceRefusal::algorithm_not_allowed, "header 'alg' is ambiguous");
    if (jwt_header(jwt.get(), "kid") != (kid ? std::optional<std::string>(*kid) : std::nullopt))
        refuse(EvidenceRefusal::unknown_key_id, "header 'kid' is ambiguous");
    if (JwtStringPtr crit(jwt_get_headers_json(jwt.get(), "crit")); crit)
        refuse(EvidenceRefusal::critical_header, "header 'crit' is present");

    const JwtStringPtr grants(jwt_get_grants_json(jwt.get(), nullptr));
    nlohmann::json claims =
        grants ? nlohmann::json::parse(grants.get(), nullptr, false) : nlohmann::json();
    if (!claims.is_object())
        refuse(EvidenceRefusal::malformed, "the payload is not a JSON object");
    const ClaimRules rules{provider->config.issuer, clock_.now(), policy_, request};
    CheckedClaims checked = check_claims(claims, rules);

    EvidenceRecord record;
    record.issuer = provider->config.issuer;
    record.jti = std::move(checked.jti);
    record.key_id = kid ? *kid : std::string();
    record.algorithm = provider->algorithm;
    record.issued_at = checked.issued_at;
    record.methods = std::move(checked.methods);
    record.face_match_score = checked.face_match_score;
    record.liveness_score = checked.liveness_score;
    record.assurance_level = std::move(checked.assurance_level);
    record.statement_sha256 = sha256_of(token);

    // Last: a statement refused for any other reason must not use up its jti.
    if (!replay.accept_once(record.issuer, record.jti, checked.issued_at + policy_.max_age))
        refuse(EvidenceRefusal::replayed, "claim 'jti' was accepted before from this provider");
    return record;
}

bool InMemoryEvidenceReplayGuard::accept_once(const std::string& issuer, const std::string& jti,
                                              Clock::time_point keep_until) {
    const Clock::time_point now = clock_.now();
    std::lock_guard lock(mutex_);
    std::erase_if(seen_, [now](const auto& entry) { return entry.second < now; });
    return seen_.try_emplace({issuer, jti}, keep_until).second;
}

std::size_t InMemoryEvidenceReplayGuard::size() const {
    std::lock_guard lock(mutex_);
    return seen_.size();
}

}  // namespace signet::ra
