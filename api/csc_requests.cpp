// The CSC API's request decoders (api/csc_requests.hpp). The error descriptions are the
// specification's (CSC API v2.0.0.2 §8.4.4 and §11's tables) wherever it words one.
// The algorithm identifiers are in csc_algorithms.cpp, the OAuth forms in csc_forms.cpp.
#include "api/csc_requests.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string>

#include "api/csc_request_errors.hpp"
#include "common/text.hpp"

namespace signet::api {

using namespace csc_detail;

namespace {

using csc::CscError;
using csc::CscFailure;
using nlohmann::json;

constexpr std::size_t kMaxDescription = 500;    // §11.6 "max 500 chars"
constexpr std::size_t kMaxCodeLength = 64;
constexpr std::size_t kMaxNonceHexDigits = 64;  // a 256-bit nonce (RFC 3161 §2.4.1: large random)

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

}  // namespace

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

namespace {

// Signet signs while the request waits (§11.10, §11.11 operationMode "S"); the asynchronous
// mode and its parameters are refused rather than silently answered synchronously.
void refuse_asynchronous(const JsonBody& body) {
    if (const auto mode = optional_string(body, "operationMode"); mode && *mode != "S")
        invalid(invalid_parameter("operationMode"));
    if (body.has("validity_period"))
        invalid(invalid_parameter("validity_period") + ": only with operationMode \"A\"");
    if (body.has("response_uri"))
        invalid(invalid_parameter("response_uri") + ": only with operationMode \"A\"");
}

}  // namespace

SignHashBody decode_sign_hash(const JsonBody& body) {
    only(body, {"credentialID", "SAD", "hashes", "hashAlgorithmOID", "signAlgo", "signAlgoParams",
                "operationMode", "validity_period", "response_uri", "clientData"});
    ignored_strings(body, {"clientData"});
    SignHashBody out;
    out.request.credential_id = required_string(body, "credentialID");
    out.request.sad = required_string(body, "SAD", kMaxTokenLength);
    refuse_asynchronous(body);
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

namespace {

// Signet's signatures are time-stamped: baseline B-T, which also satisfies a B-B request.
void check_conformance_level(const JsonBody& entry) {
    if (const auto level = optional_string(entry, "conformance_level")) {
        std::string lower = *level;
        std::ranges::transform(lower, lower.begin(), [](unsigned char c) {
            return static_cast<char>(std::tolower(c));
        });
        if (lower != "ades-b-b" && lower != "ades-b-t" && lower != "ades-b" && lower != "ades-t")
            invalid(invalid_parameter("conformance_level"));
    }
}

void check_no_signed_props(const JsonBody& entry) {
    if (const json* props = entry.raw("signed_props");
        props != nullptr && !(props->is_array() && props->empty()))
        invalid(invalid_parameter("signed_props"));
}

// Every entry of one signDoc takes the same signature and hash algorithm: one authorization
// (one SAD, one transaction's hash algorithm) covers them all.
void share_algorithm(std::optional<SignAlgorithm>& shared, const SignAlgorithm& algorithm,
                     const std::string& sign_algo, SignDocBody& out, std::string_view array) {
    if (shared && (shared->digest != algorithm.digest || shared->padding != algorithm.padding ||
                   sign_algo != out.sign_algo))
        invalid("Invalid object parameter " + std::string(array) +
                ": every entry takes the same signAlgo and hash algorithm (one authorization)");
    shared = algorithm;
    out.sign_algo = sign_algo;
}

// The entries of signDoc's array `field`, 1..`max` objects; `refusal` otherwise (the spec's
// words for it).
std::vector<JsonBody> entries_of(const JsonBody& body, std::string_view field, std::size_t max,
                                 const std::string& refusal) {
    try {
        return body.object_array(field, max);
    } catch (const CscError&) {
        throw;
    } catch (const Error&) {
        invalid(refusal);
    }
}

void decode_document_digests(const JsonBody& body, SignDocBody& out) {
    const std::vector<JsonBody> entries = entries_of(body, "documentDigests", kMaxHashes,
                                                     "Invalid object parameter documentDigests");
    std::optional<SignAlgorithm> shared;
    for (const JsonBody& entry : entries) {
        only(entry, {"hashes", "hashAlgorithmOID", "signature_format", "conformance_level",
                     "signAlgo", "signAlgoParams", "signed_props", "signed_envelope_property"});
        const auto format = optional_string(entry, "signature_format");
        if (!format)
            invalid(missing("string", "signature_format"));
        if (*format != "C")
            invalid(invalid_parameter("signature_format") +
                    ": over a digest Signet makes CAdES (\"C\"); PAdES needs the document "
                    "(documents)");
        check_conformance_level(entry);
        if (const auto envelope = optional_string(entry, "signed_envelope_property");
            envelope && *envelope != "Detached")
            invalid(invalid_parameter("signed_envelope_property") +
                    ": a signature over a digest is Detached");
        check_no_signed_props(entry);
        const SignAlgorithm algorithm =
            resolve_sign_algorithm(required_string(entry, "signAlgo"),
                                   optional_string(entry, "hashAlgorithmOID"),
                                   optional_string(entry, "signAlgoParams"));
        share_algorithm(shared, algorithm, *optional_string(entry, "signAlgo"), out,
                        "documentDigests");
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
}

// §11.11's documents: the bytes themselves, and Signet builds the signature. PAdES ("P") is an
// approval signature added as a revision ("Revision"): "Certification" (a DocMDP certification,
// the spec's default) is not offered, so an omitted property means Revision. CAdES ("C") is
// "Attached" (the spec's default) or "Detached". There is no hashAlgorithmOID per document: the
// hash is the one signAlgo implies, and the SAD must hold each document's hash in it.
void decode_documents(const JsonBody& body, SignDocBody& out) {
    const std::vector<JsonBody> entries =
        entries_of(body, "documents", kMaxDocuments, "Invalid array parameter documents");
    std::optional<SignAlgorithm> shared;
    for (const JsonBody& entry : entries) {
        only(entry, {"document", "signature_format", "conformance_level", "signAlgo",
                     "signAlgoParams", "signed_props", "signed_envelope_property"});
        csc::DocumentToSign document;
        const auto format = optional_string(entry, "signature_format");
        if (!format)
            invalid(missing("string", "signature_format"));
        const auto envelope = optional_string(entry, "signed_envelope_property");
        if (*format == "P") {
            if (envelope && *envelope != "Revision")
                invalid(invalid_parameter("signed_envelope_property") +
                        ": a PAdES signature is added as a revision (\"Revision\")");
            document.format = csc::DocumentFormat::pades;
            document.envelope = csc::DocumentEnvelope::revision;
        } else if (*format == "C") {
            document.format = csc::DocumentFormat::cades;
            if (!envelope || *envelope == "Attached")
                document.envelope = csc::DocumentEnvelope::attached;
            else if (*envelope == "Detached")
                document.envelope = csc::DocumentEnvelope::detached;
            else
                invalid(invalid_parameter("signed_envelope_property"));
        } else {
            invalid(invalid_parameter("signature_format") +
                    ": Signet makes PAdES (\"P\") and CAdES (\"C\")");
        }
        check_conformance_level(entry);
        check_no_signed_props(entry);
        const std::string sign_algo = required_string(entry, "signAlgo");
        // id-ecPublicKey and rsaEncryption need a hashAlgorithmOID, which a document entry
        // does not have (§11.11): its signAlgo must name the hash.
        if (sign_algo == "1.2.840.10045.2.1" || sign_algo == "1.2.840.113549.1.1.1")
            invalid(invalid_parameter("signAlgo") +
                    ": a document's signAlgo names its hash (e.g. 1.2.840.10045.4.3.2, "
                    "1.2.840.113549.1.1.11)");
        const SignAlgorithm algorithm =
            resolve_sign_algorithm(sign_algo, std::nullopt, optional_string(entry, "signAlgoParams"));
        share_algorithm(shared, algorithm, *optional_string(entry, "signAlgo"), out, "documents");
        const json* text = entry.raw("document");
        if (text == nullptr || !text->is_string())
            invalid(missing("string", "document"));
        try {
            document.bytes = from_base64(text->get_ref<const std::string&>());
        } catch (const Error&) {
            invalid("Invalid Base64 documents string parameter");
        }
        if (document.bytes.empty())
            invalid(invalid_parameter("document") + ": empty");
        out.request.documents.push_back(std::move(document));
    }
    // §11.11 answers enveloped signatures in DocumentWithSignature and detached ones in
    // SignatureObject, each array in its inputs' order: with both kinds in one call a client
    // could not tell which answer is which document's.
    const auto detached = [](const csc::DocumentToSign& d) {
        return d.envelope == csc::DocumentEnvelope::detached;
    };
    if (std::ranges::any_of(out.request.documents, detached) &&
        !std::ranges::all_of(out.request.documents, detached))
        invalid(invalid_parameter("signed_envelope_property") +
                ": one call signs either detached or enveloped documents, not both (their answers "
                "come in two arrays)");
    out.request.hash_algorithm = shared->digest;
    out.request.padding = shared->padding;
}

}  // namespace

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
    refuse_asynchronous(body);
    if (optional_boolean(body, "returnValidationInfo", false))
        invalid(invalid_parameter("returnValidationInfo") +
                ": the B-T signature carries no validation data");
    const bool has_digests = body.has("documentDigests");
    const bool has_documents = body.has("documents");
    if (has_digests && has_documents)
        invalid("Both documentDigests and documents parameters passed");
    if (!has_digests && !has_documents)
        invalid("Empty documentDigests and documents objects");
    if (has_digests)
        decode_document_digests(body, out);
    else
        decode_documents(body, out);
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

}  // namespace signet::api
