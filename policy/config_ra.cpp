// The registration authority's sections of signet.yaml (policy/config_sections.hpp): identity
// (the HSM key hashing document numbers, the trusted identity-verification providers and what each
// assurance level asks of their statements) and otp (challenge codes, their limits, TOTP, the SMS
// gateway). The rules are ra/'s (ra::validate, ra::check_sms_gateway_settings, ra::
// EvidenceVerifier), checked here again so that a mistake is reported at its line.
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "policy/config_sections.hpp"

namespace signet::policy::sections {

using namespace yaml;

namespace {

// A PEM public key is a few hundred bytes (RSA 4096: about 800).
constexpr std::size_t kMaxPublicKeyBytes = 64 * 1024;
// An SMS body is a few hundred bytes: a template beyond this is a mistake.
constexpr std::size_t kMaxBodyTemplateBytes = 4096;

// Why `pem` cannot verify a provider's statements, or "" when it can: ES256 needs P-256 (RFC 7518
// §3.4); RS256 an RSA key of 2048 bits at least (RFC 7518 §3.3). The same rule as
// ra::EvidenceVerifier's, which checks it again when signetd starts.
std::string public_key_problem(const std::string& pem) {
    BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    EvpPkeyPtr key(in ? PEM_read_bio_PUBKEY(in.get(), nullptr, nullptr, nullptr) : nullptr);
    std::string problem;
    if (!key) {
        problem = "is not a PEM public key (SubjectPublicKeyInfo)";
    } else if (EVP_PKEY_is_a(key.get(), "EC")) {
        char group[64] = {};
        std::size_t length = 0;
        if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                           sizeof group, &length) != 1 ||
            std::string_view(group, length) != "prime256v1")
            problem = "is an EC key not on P-256 (ES256 needs P-256)";
    } else if (!EVP_PKEY_is_a(key.get(), "RSA")) {
        problem = "is neither an EC P-256 nor an RSA key";
    } else if (EVP_PKEY_get_bits(key.get()) < 2048) {
        problem = "is an RSA key under 2048 bits";
    }
    clear_openssl_errors();
    return problem;
}

void read_provider(Map& map, const fs::path& base, EvidenceProviderSettings& out) {
    if (!read_nonempty_string(map, "issuer", out.issuer) && !present(map.take("issuer")))
        map.missing("issuer");
    read_nonempty_string(map, "key_id", out.key_id);
    if (!read_path(map, "public_key", base, out.public_key, true, true))
        return;
    try {
        out.public_key_pem =
            read_bounded_file(out.public_key, kMaxPublicKeyBytes, "public key file");
    } catch (const Error& e) {
        map.add("public_key", e.what());
        return;
    }
    if (const std::string problem = public_key_problem(out.public_key_pem); !problem.empty())
        map.add("public_key", "file " + out.public_key.string() + " " + problem);
}

void read_providers(Map& evidence, const fs::path& base,
                    std::vector<EvidenceProviderSettings>& out) {
    YAML::Node list = evidence.take("providers");
    if (!present(list))
        return;
    if (!list.IsSequence()) {
        evidence.add("providers", "expected a list");
        return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = element_path(evidence.key_path("providers"), i);
        Map entry(list[i], path, evidence.problems(), list[i].Mark());
        if (entry.wrong_type())
            continue;
        EvidenceProviderSettings provider;
        read_provider(entry, base, provider);
        entry.finish();
        // A statement picks its provider by (iss, kid): two that one statement could name would
        // make the key that verifies it depend on this list's order.
        for (const auto& other : out)
            if (other.issuer == provider.issuer &&
                (other.key_id == provider.key_id || other.key_id.empty() ||
                 provider.key_id.empty()))
                entry.add("key_id", "another provider has the issuer '" + provider.issuer +
                                        "' and no distinct key_id");
        out.push_back(std::move(provider));
    }
}

bool is_method_name(const std::string& name) {
    return !name.empty() && name.size() <= 32 && std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

void read_level(Map& map, AssuranceLevelSettings& out) {
    if (read_string_list(map, "methods", out.methods)) {
        if (out.methods.empty())
            map.add("methods", "must name at least one method (e.g. id_registry, face_match)");
        std::set<std::string> seen;
        for (std::size_t i = 0; i < out.methods.size(); ++i)
            if (!is_method_name(out.methods[i]) || !seen.insert(out.methods[i]).second)
                add_element_problem(map, "methods", i,
                                    "is not a method name ([a-z0-9_], 1-32) or is listed twice");
    } else if (!present(map.take("methods"))) {
        map.missing("methods");
    }
    double score = 0;
    if (read_fraction(map, "min_face_match_score", score))
        out.min_face_match_score = score;
    if (read_fraction(map, "min_liveness_score", score))
        out.min_liveness_score = score;
}

// Whether `higher` asks at least what `lower` does: the verifier names the highest level a
// statement meets, which is only meaningful when meeting a level means meeting those below.
bool asks_at_least(const AssuranceLevelSettings& higher, const AssuranceLevelSettings& lower) {
    auto at_least = [](const std::optional<double>& high, const std::optional<double>& low) {
        return !low || (high && *high >= *low);
    };
    return std::ranges::all_of(lower.methods,
                               [&](const std::string& m) {
                                   return std::ranges::find(higher.methods, m) !=
                                          higher.methods.end();
                               }) &&
           at_least(higher.min_face_match_score, lower.min_face_match_score) &&
           at_least(higher.min_liveness_score, lower.min_liveness_score);
}

void read_levels(Map& evidence, unsigned max_level,
                 std::map<unsigned, AssuranceLevelSettings>& out) {
    auto read = [&](const std::string& key, Map& level) {
        AssuranceLevelSettings requirement;
        read_level(level, requirement);
        const bool digits = !key.empty() && key.size() <= 2 &&
                            key.find_first_not_of("0123456789") == std::string::npos;
        const unsigned number = digits ? static_cast<unsigned>(std::stoul(key)) : 0;
        auto problem = [&](const std::string& what) {
            level.problems().add(level.mark(), level.path(), what);
        };
        if (number < 1 || number > max_level) {
            problem("is not an assurance level (1-" + std::to_string(max_level) +
                    ", identity.max_assurance_level)");
            return;
        }
        if (out.contains(number))
            return;  // given twice: report_odd_keys said so
        // Its neighbours so far: with each level checked against both, the whole order holds.
        const auto above = out.lower_bound(number);
        if (above != out.begin() && !asks_at_least(requirement, std::prev(above)->second))
            problem("asks less than level " + std::to_string(std::prev(above)->first) +
                    " (its methods and minimum scores at least)");
        if (above != out.end() && !asks_at_least(above->second, requirement))
            problem("asks more than level " + std::to_string(above->first) +
                    " (a higher level asks at least what a lower does)");
        out.emplace(number, std::move(requirement));
    };
    read_named_mappings(evidence, "levels",
                        "expected a mapping of levels (1, 2, ...) to requirements", read);
}

void read_totp(Map& map, TotpSettings& out) {
    // RFC 6238 §4 (6-8 digits) and §5.2 (30 s recommended; a window of a step or two).
    read_unsigned(map, "digits", out.digits, 6, 8, "a digit count");
    unsigned long long period = 0;
    if (read_unsigned(map, "period_seconds", period, 30, 60, "a period in seconds")) {
        if (period != 30 && period != 60)
            map.add("period_seconds", "is not 30 or 60 (RFC 6238 §5.2 recommends 30)");
        else
            out.period = std::chrono::seconds(period);
    }
    read_unsigned(map, "window", out.window, 0, 2, "a number of periods");
    if (read_string(map, "issuer", out.issuer) &&
        (out.issuer.empty() || out.issuer.size() > 64 || out.issuer.find(':') != std::string::npos))
        map.add("issuer", "is not 1-64 bytes without ':' (the otpauth label's separator)");
}

// Whether some string value in `json` holds the placeholder {{message}} (ra/sms_gateway.cpp's
// rule). Recursive: the template's size bounds the depth.
bool holds_message(const nlohmann::json& json) {
    if (json.is_string())
        return json.get_ref<const std::string&>().find("{{message}}") != std::string::npos;
    return json.is_structured() && std::ranges::any_of(json, [](const nlohmann::json& item) {
               return holds_message(item);
           });
}

// Why the SMS body template will not do, or "".
std::string body_template_problem(const std::string& text) {
    if (text.size() > kMaxBodyTemplateBytes)
        return "is longer than " + std::to_string(kMaxBodyTemplateBytes) + " bytes";
    const auto body = nlohmann::json::parse(text, nullptr, false);
    if (body.is_discarded())
        return "is not JSON";
    if (!holds_message(body))
        return "has no string value with the placeholder {{message}}";
    return "";
}

bool is_header_name(const std::string& name) {
    // RFC 9110 §5.6.2's token characters.
    return !name.empty() && std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

void read_sms_gateway(Map& map, const fs::path& base, SmsGatewayConfig& out) {
    // The URL may carry the gateway's key in its query: never repeated.
    if (read_string(map, "url", out.url, true) &&
        ((!out.url.starts_with("http://") && !out.url.starts_with("https://")) ||
         out.url.find_first_of(" \t\r\n") != std::string::npos))
        map.add("url", "is not an http:// or https:// URL (the value is not shown)");
    if (read_string(map, "body_template", out.body_template, true))
        if (const std::string problem = body_template_problem(out.body_template); !problem.empty())
            map.add("body_template", problem);
    Map headers = map.section("headers");
    YAML::Node node = map.take("headers");
    if (headers.present()) {
        for (const auto& entry : node) {
            if (!entry.first.IsScalar())
                continue;
            const std::string name = entry.first.as<std::string>();
            if (!is_header_name(name) || lowercase(name) == "content-type") {
                headers.problems().add(entry.first.Mark(), headers.key_path(name),
                                       "is not a header name one may set (RFC 9110 token "
                                       "characters; not Content-Type, which is JSON's)");
            }
            SecretSource source;
            if (read_secret_source(headers, name, base, "a header value", source))
                out.headers.emplace_back(name, std::move(source));
        }
    }
    read_duration(map, "connect_timeout_ms", out.connect_timeout, 1, 600'000);
    read_duration(map, "timeout_ms", out.timeout, 1, 600'000);
    read_unsigned(map, "retries", out.retries, 0, 5, "a number of retries");
    read_duration(map, "backoff_ms", out.backoff, 0, 10'000);
}

}  // namespace

void read_identity(Map& map, const fs::path& base, IdentitySettings& out) {
    read_unsigned(map, "max_assurance_level", out.max_assurance_level, 1, 10, "an assurance level");
    read_nonempty_string(map, "hmac_key_label", out.hmac_key_label);
    Map evidence = map.section("evidence");
    EvidenceSettings& e = out.evidence;
    read_string(evidence, "audience", e.audience);
    read_duration(evidence, "max_age_seconds", e.max_age, 30, 86'400);
    read_duration(evidence, "clock_skew_seconds", e.clock_skew, 0, 600);
    // libjwt copies each part of a token onto the stack: ra/evidence.cpp's 64 KiB bound.
    read_unsigned(evidence, "max_token_bytes", e.max_token_bytes, 1024, 65'536, "a size in bytes");
    read_providers(evidence, base, e.providers);
    read_levels(evidence, out.max_assurance_level, e.levels);
    if (!e.providers.empty() && e.levels.empty() && !evidence.wrong_type())
        evidence.add("levels", "defines no level: no provider's statement could reach one");
    evidence.finish();
}

void read_otp(Map& map, const fs::path& base, const std::string& default_seed_kek,
              OtpSettings& out) {
    // RFC 4226 §5.3: 6 digits at least; a phone shows 8 at most well.
    read_unsigned(map, "digits", out.digits, 6, 8, "a digit count");
    read_duration(map, "lifetime_seconds", out.lifetime, 30, 3600);
    read_unsigned(map, "max_attempts", out.max_attempts, 1, 20, "a number of attempts");
    read_unsigned(map, "max_failures", out.max_failures, 2, 100, "a number of failures");
    read_duration(map, "failure_window_seconds", out.failure_window, 60, 7 * 86'400);
    read_duration(map, "lockout_seconds", out.lockout, 60, 30 * 86'400);
    read_duration(map, "min_send_interval_seconds", out.min_send_interval, 0, 3600);
    read_unsigned(map, "max_sends_per_hour", out.max_sends_per_hour, 1, 1000, "a number of sends");
    read_unsigned(map, "max_client_sends_per_minute", out.max_client_sends_per_minute, 1, 100'000,
                  "a number of sends");
    // ra::validate's rule: the code is in the message once, and the message fits a few SMS.
    if (read_string(map, "message", out.message)) {
        const auto code = out.message.find("{code}");
        if (code == std::string::npos ||
            out.message.find("{code}", code + 1) != std::string::npos || out.message.size() > 300)
            map.add("message", "is not at most 300 bytes holding {code} exactly once");
    }
    read_nonempty_string(map, "hmac_key_label", out.hmac_key_label);
    out.seed_kek_label = default_seed_kek;
    read_nonempty_string(map, "seed_kek_label", out.seed_kek_label);
    {
        Map totp = map.section("totp");
        read_totp(totp, out.totp);
        totp.finish();
    }
    Map gateway = map.section("sms_gateway");
    if (gateway.present()) {
        SmsGatewayConfig settings;
        read_sms_gateway(gateway, base, settings);
        out.sms_gateway = std::move(settings);
    }
    gateway.finish();
}

}  // namespace signet::policy::sections
