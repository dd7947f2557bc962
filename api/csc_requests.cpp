// The CSC API's request decoders (api/csc_requests.hpp). The error descriptions are the
// specification's (CSC API v2.0.0.2 §8.4.4 and §11's tables) wherever it words one.
#include "api/csc_requests.hpp"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/text.hpp"

namespace signet::api {

namespace {

using csc::CscError;
using csc::CscFailure;
using nlohmann::json;

// Bounds on what the service stores or compares: a credential ID is a certificate serial in hex
// (at most 20 octets, RFC 5280 §4.1.2.2), a SAD or token 43 base64url characters; the margins
// only keep a hostile body from being carried further.
constexpr std::size_t kMaxIdLength = 128;
constexpr std::size_t kMaxTokenLength = 512;
constexpr std::size_t kMaxHashes = 1000;        // csc.multisign's bound
constexpr std::size_t kMaxDescription = 500;    // §11.6 "max 500 chars"
constexpr std::size_t kMaxCodeLength = 64;
constexpr std::size_t kMaxNonceHexDigits = 64;  // a 256-bit nonce (RFC 3161 §2.4.1: large random)
constexpr std::size_t kMaxFormParameters = 64;

[[noreturn]] void invalid(const std::string& description) {
    throw CscError(CscFailure::invalid_request, description);
}

bool iequals_ascii(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::ranges::equal(a, b, [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string missing(std::string_view type, std::string_view name) {
    return "Missing (or invalid type) " + std::string(type) + " parameter " + std::string(name);
}

std::string invalid_parameter(std::string_view name) {
    return "Invalid parameter " + std::string(name);
}

// JsonBody::only, its refusal as a CSC error ("unknown member 'x'").
void only(const JsonBody& body, std::initializer_list<std::string_view> allowed) {
    try {
        body.only(allowed);
    } catch (const CscError&) {
        throw;
    } catch (const Error& e) {
        invalid(std::string("Unknown parameter: ") + e.what());
    }
}

std::optional<std::string> optional_string(const JsonBody& body, std::string_view name) {
    const json* value = body.raw(name);
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_string())
        invalid(missing("string", name));
    return value->get<std::string>();
}

std::string required_string(const JsonBody& body, std::string_view name,
                            std::size_t max_length = kMaxIdLength) {
    auto value = optional_string(body, name);
    if (!value)
        invalid(missing("string", name));
    if (value->empty() || value->size() > max_length)
        invalid(invalid_parameter(name));
    return std::move(*value);
}

bool optional_boolean(const JsonBody& body, std::string_view name, bool fallback) {
    const json* value = body.raw(name);
    if (value == nullptr)
        return fallback;
    if (!value->is_boolean())
        invalid(missing("boolean", name));
    return value->get<bool>();
}

// A JSON integer (no fraction or exponent, RFC 8259 §6), any value a long holds.
std::optional<std::int64_t> optional_integer(const JsonBody& body, std::string_view name) {
    const json* value = body.raw(name);
    if (value == nullptr)
        return std::nullopt;
    if (value->is_number_integer() &&
        (!value->is_number_unsigned() ||
         value->get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)))
        return value->get<std::int64_t>();
    invalid(missing("integer", name));
}

// clientData and lang: optional strings the service does not use (§7.4), type-checked only.
void ignored_strings(const JsonBody& body, std::initializer_list<std::string_view> names) {
    for (std::string_view name : names)
        (void)optional_string(body, name);
}

std::optional<Digest> optional_hash_algorithm(const JsonBody& body, std::string_view name) {
    const auto oid = optional_string(body, name);
    if (!oid)
        return std::nullopt;
    const auto digest = digest_of_oid(*oid);
    if (!digest)
        invalid(invalid_parameter(name));
    return digest;
}

// "hashes": an array of base64 strings, each a digest of `digest`. Absent: nullopt.
std::optional<std::vector<Bytes>> optional_hashes(const JsonBody& body,
                                                  std::optional<Digest> digest,
                                                  std::size_t max_count) {
    const json* value = body.raw("hashes");
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_array() ||
        !std::ranges::all_of(*value, [](const json& v) { return v.is_string(); }))
        invalid(missing("array", "hashes"));
    if (value->empty())
        invalid("Empty hash array");
    if (value->size() > max_count)
        invalid(invalid_parameter("hashes") + ": more than " + std::to_string(max_count) +
                " hashes");
    // §11.10: hashes always come with their algorithm (§14.1 "Hash algorithm required").
    if (!digest)
        invalid(missing("string", "hashAlgorithmOID"));
    std::vector<Bytes> hashes;
    hashes.reserve(value->size());
    for (const json& hash : *value)
        hashes.push_back(decode_hash(hash.get_ref<const std::string&>(), *digest));
    return hashes;
}

CertificatesWanted certificates_wanted(const JsonBody& body) {
    const auto value = optional_string(body, "certificates");
    if (!value || *value == "single")
        return CertificatesWanted::single;
    if (*value == "none")
        return CertificatesWanted::none;
    if (*value == "chain")
        return CertificatesWanted::chain;
    invalid(invalid_parameter("certificates"));
}

JsonBody parse_or_empty(std::string_view body, InputEcho echo) {
    const bool blank = std::ranges::all_of(
        body, [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
    return JsonBody::parse(blank ? std::string_view("{}") : body, echo);
}

// --- RSASSA-PSS-params (RFC 8017 A.2.3) ---

struct PssParamsFree {
    void operator()(RSA_PSS_PARAMS* p) const noexcept { RSA_PSS_PARAMS_free(p); }
};
struct AlgorFree {
    void operator()(X509_ALGOR* p) const noexcept { X509_ALGOR_free(p); }
};

int nid_of(Digest digest) {
    switch (digest) {
        case Digest::sha256:
            return NID_sha256;
        case Digest::sha384:
            return NID_sha384;
        case Digest::sha512:
            return NID_sha512;
    }
    return NID_undef;
}

std::optional<Digest> digest_of_nid(int nid) {
    for (Digest d : {Digest::sha256, Digest::sha384, Digest::sha512})
        if (nid_of(d) == nid)
            return d;
    return std::nullopt;
}

// RFC 4055 §2.1 / RFC 5754 §2: a SHA-2 AlgorithmIdentifier's parameters are absent or NULL.
std::optional<Digest> sha2_of(const X509_ALGOR* algorithm) {
    if (algorithm == nullptr)
        return std::nullopt;  // absent means SHA-1 (RFC 8017 A.2.3): not taken
    const ASN1_OBJECT* oid = nullptr;
    int parameter_type = V_ASN1_UNDEF;
    X509_ALGOR_get0(&oid, &parameter_type, nullptr, algorithm);
    if (parameter_type != V_ASN1_UNDEF && parameter_type != V_ASN1_NULL)
        return std::nullopt;
    return digest_of_nid(OBJ_obj2nid(oid));
}

// The digest the parameters name, when they are exactly what hsm::Padding::pss signs with:
// hashAlgorithm a SHA-2, maskGenAlgorithm MGF1 with the same hash, saltLength the hash's
// length, trailerField 1 (trailerFieldBC, RFC 8017 A.2.3) — given in DER (X.690 §11.5: a
// DEFAULT value is omitted, so re-encoding yields the same bytes).
std::optional<Digest> pss_digest(ByteView der) {
    const unsigned char* p = der.data();
    std::unique_ptr<RSA_PSS_PARAMS, PssParamsFree> params(
        d2i_RSA_PSS_PARAMS(nullptr, &p, static_cast<long>(der.size())));
    if (!params || p != der.data() + der.size()) {
        clear_openssl_errors();
        return std::nullopt;
    }
    unsigned char* again = nullptr;
    const int length = i2d_RSA_PSS_PARAMS(params.get(), &again);
    const bool canonical = length == static_cast<int>(der.size()) &&
                           std::equal(der.begin(), der.end(), again);
    OPENSSL_free(again);
    if (!canonical) {
        clear_openssl_errors();
        return std::nullopt;
    }
    const auto digest = sha2_of(params->hashAlgorithm);
    if (!digest || params->maskGenAlgorithm == nullptr)
        return std::nullopt;
    const ASN1_OBJECT* mgf = nullptr;
    int mgf_type = V_ASN1_UNDEF;
    const void* mgf_value = nullptr;
    X509_ALGOR_get0(&mgf, &mgf_type, &mgf_value, params->maskGenAlgorithm);
    if (OBJ_obj2nid(mgf) != NID_mgf1 || mgf_type != V_ASN1_SEQUENCE)
        return std::nullopt;
    const auto* sequence = static_cast<const ASN1_STRING*>(mgf_value);
    const unsigned char* q = ASN1_STRING_get0_data(sequence);
    std::unique_ptr<X509_ALGOR, AlgorFree> mgf_hash(
        d2i_X509_ALGOR(nullptr, &q, ASN1_STRING_length(sequence)));
    if (!mgf_hash) {
        clear_openssl_errors();
        return std::nullopt;
    }
    if (sha2_of(mgf_hash.get()) != digest)
        return std::nullopt;
    // saltLength absent is 20 (A.2.3's DEFAULT), which no SHA-2 here is.
    if (params->saltLength == nullptr ||
        ASN1_INTEGER_get(params->saltLength) != static_cast<long>(digest_size(*digest)))
        return std::nullopt;
    if (params->trailerField != nullptr && ASN1_INTEGER_get(params->trailerField) != 1)
        return std::nullopt;
    return digest;
}

// --- forms ---

std::optional<std::string> form_value(const std::map<std::string, std::string>& form,
                                      const std::string& name) {
    const auto it = form.find(name);
    if (it == form.end())
        return std::nullopt;
    return it->second;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c == '%') {
            const int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
            const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
            if (high < 0 || low < 0)
                invalid("Malformed form parameter: a '%' not followed by two hex digits");
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

// The OAuth request's client: HTTP Basic or the body's client_id/client_secret (RFC 6749
// §2.3.1), never both (§2.3: "MUST NOT use more than one authentication method").
ClientCredentials oauth_client(const std::map<std::string, std::string>& form,
                               std::string_view authorization) {
    auto client_id = form_value(form, "client_id");
    auto client_secret = form_value(form, "client_secret");
    if (!authorization.empty()) {
        ClientCredentials basic = decode_basic(authorization, true);
        if (client_secret)
            invalid("Client authentication in the body and in the Authorization header");
        if (client_id && *client_id != basic.client_id)
            invalid(invalid_parameter("client_id"));
        return basic;
    }
    if (!client_id)
        invalid("Missing parameter client_id");
    if (client_id->size() > kMaxIdLength)
        invalid(invalid_parameter("client_id"));
    if (client_secret && client_secret->size() > kMaxTokenLength)
        invalid(invalid_parameter("client_secret"));
    return {std::move(*client_id), std::move(client_secret)};
}

}  // namespace

// --- OIDs ---

std::optional<Digest> digest_of_oid(std::string_view oid) {
    if (oid == kOidSha256)
        return Digest::sha256;
    if (oid == kOidSha384)
        return Digest::sha384;
    if (oid == kOidSha512)
        return Digest::sha512;
    return std::nullopt;
}

std::string_view oid_of(Digest digest) noexcept {
    switch (digest) {
        case Digest::sha256:
            return kOidSha256;
        case Digest::sha384:
            return kOidSha384;
        case Digest::sha512:
            return kOidSha512;
    }
    return kOidSha256;
}

namespace {

// The signAlgo OIDs that name their hash (RFC 5758 §3.2, RFC 4055 §5).
struct ImpliedHash {
    std::string_view oid;
    Digest digest;
    hsm::Padding padding;
};
constexpr ImpliedHash kImplied[] = {
    {"1.2.840.10045.4.3.2", Digest::sha256, hsm::Padding::ecdsa},
    {"1.2.840.10045.4.3.3", Digest::sha384, hsm::Padding::ecdsa},
    {"1.2.840.10045.4.3.4", Digest::sha512, hsm::Padding::ecdsa},
    {"1.2.840.113549.1.1.11", Digest::sha256, hsm::Padding::pkcs1},
    {"1.2.840.113549.1.1.12", Digest::sha384, hsm::Padding::pkcs1},
    {"1.2.840.113549.1.1.13", Digest::sha512, hsm::Padding::pkcs1},
};

}  // namespace

std::vector<std::string> sign_algorithms_of(KeyType type) {
    std::vector<std::string> out;
    const hsm::Padding family = is_ec(type) ? hsm::Padding::ecdsa : hsm::Padding::pkcs1;
    out.emplace_back(is_ec(type) ? kOidEcPublicKey : kOidRsaEncryption);
    for (const ImpliedHash& i : kImplied)
        if (i.padding == family)
            out.emplace_back(i.oid);
    if (!is_ec(type))
        out.emplace_back(kOidRsaPss);
    return out;
}

std::vector<std::string> all_sign_algorithms() {
    std::vector<std::string> out = sign_algorithms_of(KeyType::ec_p256);
    for (std::string& oid : sign_algorithms_of(KeyType::rsa_2048))
        out.push_back(std::move(oid));
    return out;
}

SignAlgorithm resolve_sign_algorithm(std::string_view sign_algo,
                                     const std::optional<std::string>& hash_algorithm_oid,
                                     const std::optional<std::string>& sign_algo_params) {
    std::optional<Digest> named;
    if (hash_algorithm_oid) {
        named = digest_of_oid(*hash_algorithm_oid);
        if (!named)
            invalid(invalid_parameter("hashAlgorithmOID"));
    }
    if (sign_algo == kOidRsaPss) {
        if (!sign_algo_params)
            invalid(missing("string", "signAlgoParams"));
        Bytes der;
        try {
            der = from_base64(*sign_algo_params);
        } catch (const Error&) {
            invalid(invalid_parameter("signAlgoParams"));
        }
        const auto digest = pss_digest(der);
        if (!digest)
            invalid(invalid_parameter("signAlgoParams") +
                    ": Signet signs RSASSA-PSS with MGF1 over the same SHA-2 hash, a salt as long "
                    "as the hash and trailerField 1 (RFC 8017 A.2.3), given in DER");
        if (named && *named != *digest)
            invalid("String parameter hashAlgorithmOID contradicts with signAlgo parameter");
        return {*digest, hsm::Padding::pss};
    }
    // RFC 5758 §3.2, RFC 4055 §5: these algorithms take no parameters.
    if (sign_algo_params)
        invalid(invalid_parameter("signAlgoParams"));
    if (sign_algo == kOidEcPublicKey || sign_algo == kOidRsaEncryption) {
        if (!named)
            invalid(missing("string", "hashAlgorithmOID"));
        return {*named, sign_algo == kOidEcPublicKey ? hsm::Padding::ecdsa : hsm::Padding::pkcs1};
    }
    for (const ImpliedHash& i : kImplied) {
        if (sign_algo != i.oid)
            continue;
        if (named && *named != i.digest)
            invalid("String parameter hashAlgorithmOID contradicts with signAlgo parameter");
        return {i.digest, i.padding};
    }
    invalid(invalid_parameter("signAlgo"));
}

Bytes decode_hash(std::string_view base64, Digest digest) {
    Bytes hash;
    try {
        hash = from_base64(base64);
    } catch (const Error&) {
        invalid("Invalid Base64 hash string parameter");
    }
    if (hash.size() != digest_size(digest))
        invalid("Invalid digest value length");
    return hash;
}

// --- JSON bodies ---

void decode_info_request(std::string_view body) {
    const JsonBody json = parse_or_empty(body, InputEcho::excerpt);
    only(json, {"lang"});
    ignored_strings(json, {"lang"});
}

LoginRequest decode_login(std::string_view body) {
    const JsonBody json = parse_or_empty(body, InputEcho::never);
    only(json, {"refresh_token", "rememberMe", "clientData"});
    ignored_strings(json, {"clientData"});
    LoginRequest out;
    const auto refresh = optional_string(json, "refresh_token");
    if (refresh) {
        // §11.2: "Invalid string parameter: refresh_token" for one of the wrong form.
        if (refresh->empty() || refresh->size() > kMaxTokenLength)
            invalid("Invalid string parameter: refresh_token");
        out.refresh_token = *refresh;
    }
    out.remember_me = optional_boolean(json, "rememberMe", false);
    return out;
}

RevokeRequest decode_revoke(const JsonBody& body) {
    only(body, {"token", "token_type_hint", "clientData"});
    ignored_strings(body, {"clientData"});
    RevokeRequest out{required_string(body, "token", kMaxTokenLength)};
    const auto hint = optional_string(body, "token_type_hint");
    if (hint && *hint != "access_token" && *hint != "refresh_token")
        invalid(invalid_parameter("token_type_hint"));
    return out;
}

ListRequest decode_list(const JsonBody& body) {
    only(body, {"userID", "credentialInfo", "certificates", "certInfo", "authInfo", "onlyValid",
                "lang", "clientData"});
    ignored_strings(body, {"lang", "clientData"});
    ListRequest out;
    if (const auto user = optional_string(body, "userID")) {
        // The platform's subject ids are decimal (GET /v1/subjects/{id}).
        const bool digits = !user->empty() && user->size() <= 18 && (*user)[0] != '0' &&
                            std::ranges::all_of(*user, [](char c) { return c >= '0' && c <= '9'; });
        if (!digits)
            invalid(invalid_parameter("userID"));
        out.user_id = std::stoll(*user);
    }
    out.credential_info = optional_boolean(body, "credentialInfo", false);
    out.certificates = certificates_wanted(body);
    out.cert_info = optional_boolean(body, "certInfo", false);
    out.auth_info = optional_boolean(body, "authInfo", false);
    out.only_valid = optional_boolean(body, "onlyValid", false);
    return out;
}

InfoRequest decode_credential_info(const JsonBody& body) {
    only(body, {"credentialID", "certificates", "certInfo", "authInfo", "lang", "clientData"});
    ignored_strings(body, {"lang", "clientData"});
    InfoRequest out;
    out.credential_id = required_string(body, "credentialID");
    out.certificates = certificates_wanted(body);
    out.cert_info = optional_boolean(body, "certInfo", false);
    out.auth_info = optional_boolean(body, "authInfo", false);
    return out;
}

ChallengeRequest decode_get_challenge(const JsonBody& body) {
    only(body, {"credentialID", "authObjectID", "clientData"});
    ignored_strings(body, {"clientData"});
    ChallengeRequest out;
    out.credential_id = required_string(body, "credentialID");
    out.auth_object_id = required_string(body, "authObjectID");
    return out;
}

csc::AuthorizeRequest decode_authorize(const JsonBody& body, int multisign) {
    only(body, {"credentialID", "numSignatures", "hashes", "hashAlgorithmOID", "authData",
                "description", "clientData"});
    ignored_strings(body, {"clientData"});
    csc::AuthorizeRequest out;
    out.credential_id = required_string(body, "credentialID");
    const auto count = optional_integer(body, "numSignatures");
    if (!count)
        invalid(missing("integer", "numSignatures"));
    if (*count < 1)
        invalid("Invalid value for parameter numSignatures");
    if (*count > multisign)
        invalid("Numbers of signatures is too high");  // §11.6's wording
    out.num_signatures = static_cast<int>(*count);
    const auto digest = optional_hash_algorithm(body, "hashAlgorithmOID");
    // SCAL2 (§8.2): the SAD is bound to the hashes, so they are required.
    auto hashes = optional_hashes(body, digest, static_cast<std::size_t>(out.num_signatures));
    if (!hashes)
        invalid(missing("array", "hashes"));
    out.hash_algorithm = *digest;
    out.hashes = std::move(*hashes);
    if (const auto description = optional_string(body, "description")) {
        const auto characters = utf8_length(*description);
        if (!characters || *characters > kMaxDescription)
            invalid(invalid_parameter("description"));
        out.description = *description;
    }
    // authData: one authentication object, {"id": "OTP" | "TOTP", "value": the code}
    // (§8.3.1.2: a Password type; credentials/info lists which the credential offers).
    const json* auth = body.raw("authData");
    if (auth == nullptr || !auth->is_array())
        invalid(missing("array", "authData"));
    const auto bad_auth = [] {
        return CscError(CscFailure::invalid_authentication_data,
                        "The authentication data is invalid: authData takes one object "
                        "{\"id\": \"OTP\" or \"TOTP\", \"value\": the code}");
    };
    if (auth->size() != 1 || !(*auth)[0].is_object())
        throw bad_auth();
    const json& object = (*auth)[0];
    const auto id = object.find("id");
    const auto value = object.find("value");
    const bool shaped = object.size() == 2 && id != object.end() && id->is_string() &&
                        value != object.end() && value->is_string();
    if (!shaped)
        throw bad_auth();
    out.auth_object = id->get<std::string>();
    out.code = value->get<std::string>();
    if ((out.auth_object != "OTP" && out.auth_object != "TOTP") || out.code.empty() ||
        out.code.size() > kMaxCodeLength)
        throw bad_auth();
    return out;
}

csc::ExtendRequest decode_extend(const JsonBody& body) {
    only(body, {"credentialID", "hashes", "hashAlgorithmOID", "SAD", "clientData"});
    ignored_strings(body, {"clientData"});
    csc::ExtendRequest out;
    out.credential_id = required_string(body, "credentialID");
    out.sad = required_string(body, "SAD", kMaxTokenLength);
    out.hash_algorithm = optional_hash_algorithm(body, "hashAlgorithmOID");
    if (auto hashes = optional_hashes(body, out.hash_algorithm, kMaxHashes))
        out.hashes = std::move(*hashes);
    return out;
}

SignHashBody decode_sign_hash(const JsonBody& body) {
    only(body, {"credentialID", "SAD", "hashes", "hashAlgorithmOID", "signAlgo", "signAlgoParams",
                "operationMode", "validity_period", "response_uri", "clientData"});
    ignored_strings(body, {"clientData"});
    SignHashBody out;
    out.request.credential_id = required_string(body, "credentialID");
    out.request.sad = required_string(body, "SAD", kMaxTokenLength);
    // Signet signs while the request waits (§11.10 operationMode "S"); the asynchronous mode and
    // its parameters are refused rather than silently answered synchronously.
    if (const auto mode = optional_string(body, "operationMode"); mode && *mode != "S")
        invalid(invalid_parameter("operationMode"));
    if (body.has("validity_period"))
        invalid(invalid_parameter("validity_period") + ": only with operationMode \"A\"");
    if (body.has("response_uri"))
        invalid(invalid_parameter("response_uri") + ": only with operationMode \"A\"");
    out.sign_algo = required_string(body, "signAlgo");
    const SignAlgorithm algorithm =
        resolve_sign_algorithm(out.sign_algo, optional_string(body, "hashAlgorithmOID"),
                               optional_string(body, "signAlgoParams"));
    out.request.hash_algorithm = algorithm.digest;
    out.request.padding = algorithm.padding;
    auto hashes = optional_hashes(body, algorithm.digest, kMaxHashes);
    if (!hashes)
        invalid(missing("array", "hashes"));
    out.request.hashes = std::move(*hashes);
    return out;
}

SignDocBody decode_sign_doc(const JsonBody& body) {
    only(body, {"credentialID", "signatureQualifier", "SAD", "documentDigests", "documents",
                "operationMode", "validity_period", "response_uri", "clientData",
                "returnValidationInfo"});
    ignored_strings(body, {"clientData"});
    SignDocBody out;
    // §11.11 allows signatureQualifier instead of credentialID when OAuth chose the
    // credential; Signet's credentials are named, so credentialID is required.
    if (!body.has("credentialID") && body.has("signatureQualifier"))
        invalid(invalid_parameter("signatureQualifier") + ": Signet needs the credentialID");
    (void)optional_string(body, "signatureQualifier");
    out.request.credential_id = required_string(body, "credentialID");
    out.request.sad = required_string(body, "SAD", kMaxTokenLength);
    if (const auto mode = optional_string(body, "operationMode"); mode && *mode != "S")
        invalid(invalid_parameter("operationMode"));
    if (body.has("validity_period"))
        invalid(invalid_parameter("validity_period") + ": only with operationMode \"A\"");
    if (body.has("response_uri"))
        invalid(invalid_parameter("response_uri") + ": only with operationMode \"A\"");
    if (optional_boolean(body, "returnValidationInfo", false))
        invalid(invalid_parameter("returnValidationInfo") +
                ": the CAdES B-T signature carries no validation data");
    const bool has_digests = body.has("documentDigests");
    if (body.has("documents"))
        invalid(has_digests ? "Both documentDigests and documents parameters passed"
                            : "Invalid array parameter documents: Signet signs document "
                              "digests (documentDigests) only");
    if (!has_digests)
        invalid("Empty documentDigests and documents objects");
    std::vector<JsonBody> entries;
    try {
        entries = body.object_array("documentDigests", kMaxHashes);
    } catch (const CscError&) {
        throw;
    } catch (const Error&) {
        invalid("Invalid object parameter documentDigests");
    }
    std::optional<SignAlgorithm> shared;
    for (const JsonBody& entry : entries) {
        only(entry, {"hashes", "hashAlgorithmOID", "signature_format", "conformance_level",
                     "signAlgo", "signAlgoParams", "signed_props", "signed_envelope_property"});
        const auto format = optional_string(entry, "signature_format");
        if (!format)
            invalid(missing("string", "signature_format"));
        if (*format != "C")
            invalid(invalid_parameter("signature_format") + ": Signet makes CAdES (\"C\") only");
        // The signature is time-stamped: baseline B-T (which a B-B request is satisfied by).
        if (const auto level = optional_string(entry, "conformance_level")) {
            std::string lower = *level;
            std::ranges::transform(lower, lower.begin(), [](unsigned char c) {
                return static_cast<char>(std::tolower(c));
            });
            if (lower != "ades-b-b" && lower != "ades-b-t" && lower != "ades-b" &&
                lower != "ades-t")
                invalid(invalid_parameter("conformance_level"));
        }
        if (const auto envelope = optional_string(entry, "signed_envelope_property");
            envelope && *envelope != "Detached")
            invalid(invalid_parameter("signed_envelope_property") + ": CAdES is Detached here");
        if (const json* props = entry.raw("signed_props");
            props != nullptr && !(props->is_array() && props->empty()))
            invalid(invalid_parameter("signed_props"));
        const SignAlgorithm algorithm =
            resolve_sign_algorithm(required_string(entry, "signAlgo"),
                                   optional_string(entry, "hashAlgorithmOID"),
                                   optional_string(entry, "signAlgoParams"));
        const std::string sign_algo = *optional_string(entry, "signAlgo");
        if (shared && (shared->digest != algorithm.digest || shared->padding != algorithm.padding ||
                       sign_algo != out.sign_algo))
            invalid("Invalid object parameter documentDigests: every entry takes the same "
                    "signAlgo and hash algorithm (one authorization)");
        shared = algorithm;
        out.sign_algo = sign_algo;
        // §11.11's table says an array; its own sample sends one string: both are taken.
        const json* hashes = entry.raw("hashes");
        if (hashes == nullptr)
            invalid(missing("array", "hashes"));
        if (hashes->is_string()) {
            out.request.document_digests.push_back(
                decode_hash(hashes->get_ref<const std::string&>(), algorithm.digest));
        } else {
            auto decoded = optional_hashes(entry, algorithm.digest, kMaxHashes);
            for (Bytes& h : *decoded)
                out.request.document_digests.push_back(std::move(h));
        }
        if (out.request.document_digests.size() > kMaxHashes)
            invalid(invalid_parameter("documentDigests") + ": more than " +
                    std::to_string(kMaxHashes) + " digests");
    }
    out.request.hash_algorithm = shared->digest;
    out.request.padding = shared->padding;
    return out;
}

TimestampRequest decode_timestamp(const JsonBody& body) {
    only(body, {"hash", "hashAlgo", "nonce", "clientData"});
    ignored_strings(body, {"clientData"});
    const auto hash = optional_string(body, "hash");
    if (!hash)
        invalid(missing("string", "hash"));
    if (hash->empty())
        invalid("Empty hash parameter");
    const auto algorithm = optional_string(body, "hashAlgo");
    if (!algorithm)
        invalid(missing("string", "hashAlgo"));
    const auto digest = digest_of_oid(*algorithm);
    if (!digest)
        invalid(invalid_parameter("hashAlgo"));
    TimestampRequest out{*digest, decode_hash(*hash, *digest), std::nullopt};
    if (const auto nonce = optional_string(body, "nonce")) {
        const bool hex = !nonce->empty() && nonce->size() <= kMaxNonceHexDigits &&
                         std::ranges::all_of(*nonce, [](char c) { return hex_value(c) >= 0; });
        if (!hex)
            invalid(invalid_parameter("nonce"));
        out.nonce = from_hex(nonce->size() % 2 == 0 ? *nonce : "0" + *nonce);
    }
    return out;
}

// --- forms ---

std::map<std::string, std::string> parse_form(std::string_view body) {
    std::map<std::string, std::string> out;
    std::size_t count = 0;
    std::size_t start = 0;
    while (start <= body.size()) {
        const std::size_t end = std::min(body.find('&', start), body.size());
        const std::string_view pair = body.substr(start, end - start);
        start = end + 1;
        if (pair.empty())
            continue;
        if (++count > kMaxFormParameters)
            invalid("Malformed form: more than " + std::to_string(kMaxFormParameters) +
                    " parameters");
        const std::size_t equals = pair.find('=');
        std::string name = percent_decode(pair.substr(0, equals), true);
        std::string value = equals == std::string_view::npos
                                ? std::string()
                                : percent_decode(pair.substr(equals + 1), true);
        // RFC 6749 §3.2: "parameters MUST NOT be included more than once"; §3.1: one sent
        // without a value is treated as omitted.
        if (out.contains(name))
            invalid("Parameter " + quote_input(name, 32) + " repeated");
        if (!value.empty())
            out.emplace(std::move(name), std::move(value));
        else
            out.emplace(std::move(name), std::string());
    }
    std::erase_if(out, [](const auto& entry) { return entry.second.empty(); });
    return out;
}

ClientCredentials decode_basic(std::string_view authorization, bool form_encoded) {
    // RFC 7617 §2: "Basic" (case-insensitive, RFC 9110 §11.1) SP token68.
    const auto malformed = [] { return "Malformed authentication parameter"; };
    if (authorization.size() < 6 || !iequals_ascii(authorization.substr(0, 6), "basic "))
        invalid(malformed());
    std::string_view encoded = authorization.substr(6);
    while (!encoded.empty() && encoded.front() == ' ')
        encoded.remove_prefix(1);
    while (!encoded.empty() && encoded.back() == ' ')
        encoded.remove_suffix(1);
    if (encoded.size() > 2 * kMaxTokenLength)
        invalid(malformed());
    Bytes decoded;
    try {
        decoded = from_base64(encoded);
    } catch (const Error&) {
        invalid(malformed());
    }
    const std::string pair(decoded.begin(), decoded.end());
    const std::size_t colon = pair.find(':');
    if (colon == std::string::npos || colon == 0)
        invalid("Malformed username-password");
    ClientCredentials out;
    out.client_id = pair.substr(0, colon);
    out.client_secret = pair.substr(colon + 1);
    if (form_encoded) {
        out.client_id = percent_decode(out.client_id, true);
        out.client_secret = percent_decode(*out.client_secret, true);
    }
    if (out.client_id.empty() || out.client_id.size() > kMaxIdLength)
        invalid("Malformed username-password");
    return out;
}

ClientCredentials decode_token_form(const std::map<std::string, std::string>& form,
                                    std::string_view authorization) {
    const auto grant = form_value(form, "grant_type");
    if (!grant)
        invalid("Missing parameter grant_type");
    if (*grant == "authorization_code" || *grant == "refresh_token" || *grant == "password")
        throw CscError(CscFailure::unsupported_grant_type,
                       "Signet's oauth2/token serves the client_credentials grant only");
    if (*grant != "client_credentials")
        invalid(invalid_parameter("grant_type"));
    // §8.4.4: client credentials give service authorization only.
    if (const auto scope = form_value(form, "scope"); scope && *scope != "service")
        invalid(invalid_parameter("scope"));
    return oauth_client(form, authorization);
}

FormRevokeRequest decode_revoke_form(const std::map<std::string, std::string>& form,
                                     std::string_view authorization) {
    const auto token = form_value(form, "token");
    if (!token)
        invalid("Missing parameter token");
    if (token->size() > kMaxTokenLength)
        invalid(invalid_parameter("token"));
    const auto hint = form_value(form, "token_type_hint");
    if (hint && *hint != "access_token" && *hint != "refresh_token")
        invalid(invalid_parameter("token_type_hint"));
    return {*token, oauth_client(form, authorization)};
}

}  // namespace signet::api
