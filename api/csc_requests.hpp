#pragma once

// The CSC API v2.0.0.2's request bodies (issue 17, api/csc_routes.hpp), decoded into the
// service's structs (csc/remote_signing.hpp): pure functions the fuzz target `csc_request`
// shares. Every refusal is a csc::CscError whose description is the specification's own
// wording where it has one (§11's error tables: "Missing (or invalid type) string parameter
// credentialID", "Invalid parameter signAlgo", "Invalid Base64 hash string parameter"), so a
// client written from the specification recognises it.
//
// Strict: each method takes the parameters the specification defines for it (the optional
// ones Signet does not use, such as clientData and lang, are type-checked and ignored); any
// other member is refused as invalid_request naming it. JSON bodies are read with JsonBody
// (one object, no duplicate names, bounded depth).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/json_body.hpp"
#include "common/algorithms.hpp"
#include "common/bytes.hpp"
#include "csc/remote_signing.hpp"
#include "hsm/signer.hpp"

namespace signet::api {

// --- OIDs (CSC API §5) ---
inline constexpr std::string_view kOidSha256 = "2.16.840.1.101.3.4.2.1";
inline constexpr std::string_view kOidSha384 = "2.16.840.1.101.3.4.2.2";
inline constexpr std::string_view kOidSha512 = "2.16.840.1.101.3.4.2.3";
inline constexpr std::string_view kOidEcPublicKey = "1.2.840.10045.2.1";
inline constexpr std::string_view kOidRsaEncryption = "1.2.840.113549.1.1.1";
inline constexpr std::string_view kOidRsaPss = "1.2.840.113549.1.1.10";

// hashAlgorithmOID → Digest; nullopt for any other OID (SHA-1 among them: §5 "as strong or
// stronger than SHA-256 SHALL be used").
std::optional<Digest> digest_of_oid(std::string_view oid);
std::string_view oid_of(Digest digest) noexcept;

// The signAlgo OIDs a key of this type signs with (credentials/info's key/algo): EC keys
// id-ecPublicKey (with hashAlgorithmOID) and ecdsa-with-SHA256/384/512; RSA keys rsaEncryption
// (PKCS#1 v1.5 with hashAlgorithmOID), sha256/384/512WithRSAEncryption and RSASSA-PSS.
std::vector<std::string> sign_algorithms_of(KeyType type);
// Every signAlgo this edge understands (info's signAlgorithms.algos).
std::vector<std::string> all_sign_algorithms();

// signAlgo (+ hashAlgorithmOID, signAlgoParams) → the digest and padding the HSM uses.
struct SignAlgorithm {
    Digest digest{};
    hsm::Padding padding{};
};
// Refusals: an unknown signAlgo "Invalid parameter signAlgo"; a signAlgo that implies its hash
// with a hashAlgorithmOID naming another "String parameter hashAlgorithmOID contradicts with
// signAlgo parameter"; id-ecPublicKey / rsaEncryption without hashAlgorithmOID "Missing (or
// invalid type) string parameter hashAlgorithmOID"; RSASSA-PSS without signAlgoParams "Missing
// (or invalid type) string parameter signAlgoParams"; parameters that are not base64 DER
// RSASSA-PSS-params (RFC 8017 A.2.3) with hash = MGF1's hash = a SHA-2 above, saltLength = the
// hash's length and trailerField 1 "Invalid parameter signAlgoParams" (what hsm::Padding::pss
// does and nothing else); signAlgoParams with another signAlgo "Invalid parameter
// signAlgoParams".
SignAlgorithm resolve_sign_algorithm(std::string_view sign_algo,
                                     const std::optional<std::string>& hash_algorithm_oid,
                                     const std::optional<std::string>& sign_algo_params);

// One base64 hash (RFC 4648 §4, padding required, no whitespace): "Invalid Base64 hash string
// parameter"; of another length than the digest's "Invalid digest value length".
Bytes decode_hash(std::string_view base64, Digest digest);

// --- JSON bodies ---

// info (§11.1): {"lang"?}. An empty body counts as {} (GET /csc/v2/info has none).
void decode_info_request(std::string_view body);

// auth/login (§11.2): {"refresh_token"?, "rememberMe"?, "clientData"?}; an empty body is {}.
struct LoginRequest {
    std::optional<std::string> refresh_token;
    bool remember_me = false;
};
LoginRequest decode_login(std::string_view body);

// auth/revoke (§11.3) and oauth2/revoke (RFC 7009 §2.1): the token and its optional hint
// (access_token | refresh_token; "Invalid parameter token_type_hint" otherwise).
struct RevokeRequest {
    std::string token;
};
RevokeRequest decode_revoke(const JsonBody& body);

// Which certificates credentials/list and credentials/info return (§11.4 "certificates").
enum class CertificatesWanted { none, single, chain };

// credentials/list (§11.4): {"userID"?, "credentialInfo"?, "certificates"?, "certInfo"?,
// "authInfo"?, "onlyValid"?, "lang"?, "clientData"?}. userID, when given, is one of the
// platform's subjects' ids (decimal): the list keeps that subject's credentials only.
struct ListRequest {
    std::optional<std::int64_t> user_id;
    bool credential_info = false;
    CertificatesWanted certificates = CertificatesWanted::single;
    bool cert_info = false;
    bool auth_info = false;
    bool only_valid = false;
};
ListRequest decode_list(const JsonBody& body);

// credentials/info (§11.5): {"credentialID", "certificates"?, "certInfo"?, "authInfo"?,
// "lang"?, "clientData"?}.
struct InfoRequest {
    std::string credential_id;
    CertificatesWanted certificates = CertificatesWanted::single;
    bool cert_info = false;
    bool auth_info = false;
};
InfoRequest decode_credential_info(const JsonBody& body);

// credentials/getChallenge (§11.8): {"credentialID", "authObjectID", "clientData"?}.
struct ChallengeRequest {
    std::string credential_id;
    std::string auth_object_id;
};
ChallengeRequest decode_get_challenge(const JsonBody& body);

// credentials/authorize (§11.6): {"credentialID", "numSignatures" (1..multisign), "hashes"
// (SCAL2: required, 1..numSignatures), "hashAlgorithmOID", "authData": [{"id": "OTP" |
// "TOTP", "value": code}], "description"? (at most 500 characters), "clientData"?}. authData
// that is not one object with a string id and value, or names another object, is
// invalid_authentication_data. Read the body with InputEcho::never: it holds a code.
csc::AuthorizeRequest decode_authorize(const JsonBody& body, int multisign);

// credentials/extendTransaction (§11.9): {"credentialID", "SAD", "hashes"?,
// "hashAlgorithmOID" (with hashes), "clientData"?}.
csc::ExtendRequest decode_extend(const JsonBody& body);

// signatures/signHash (§11.10): {"credentialID", "SAD", "hashes", "hashAlgorithmOID"?,
// "signAlgo", "signAlgoParams"?, "operationMode"? ("S"; "A" is refused: Signet signs
// synchronously), "validity_period"?, "response_uri"? (asynchronous only: refused),
// "clientData"?}. The signAlgo is returned too: the route checks it is one of the key's.
struct SignHashBody {
    csc::SignHashRequest request;
    std::string sign_algo;
};
SignHashBody decode_sign_hash(const JsonBody& body);

// signatures/signDoc (§11.11): {"credentialID", "SAD", "operationMode"?: "S",
// "returnValidationInfo"?: false, "clientData"?} with exactly one of
//   "documentDigests": [{"hashes", "hashAlgorithmOID", "signature_format": "C",
//     "conformance_level"?: "Ades-B-B" | "Ades-B-T", "signAlgo", "signAlgoParams"?,
//     "signed_envelope_property"?: "Detached"}]  (CAdES over each digest), or
//   "documents": [{"document" (base64), "signature_format": "P" | "C", "conformance_level"?,
//     "signAlgo", "signAlgoParams"?, "signed_envelope_property"?: "Revision" (P) |
//     "Attached" | "Detached" (C)}]  (Signet builds the PAdES or CAdES signature).
// Every entry takes the same hash and signature algorithm (the SAD is one authorization).
// signatureQualifier without credentialID, signed_props, other formats, envelopes and levels
// are refused naming the parameter.
struct SignDocBody {
    csc::SignDocumentRequest request;
    std::string sign_algo;
};
SignDocBody decode_sign_doc(const JsonBody& body);

// signatures/timestamp (§11.13): {"hash", "hashAlgo", "nonce"? (hex: "Invalid parameter
// nonce"), "clientData"?}.
struct TimestampRequest {
    Digest hash_algorithm{};
    Bytes hash;
    std::optional<Bytes> nonce;
};
TimestampRequest decode_timestamp(const JsonBody& body);

// --- application/x-www-form-urlencoded (oauth2/token, oauth2/revoke) ---

// The form's parameters, percent-decoded once ('+' is a space: the HTML form encoding RFC 6749
// Appendix B names). RFC 6749 §3.2: "Request and response parameters MUST NOT be included more
// than once": a repeated name is "Parameter NAME repeated". A malformed escape or a body over
// 64 parameters is invalid_request. An empty value counts as absent (RFC 6749 §3.1).
std::map<std::string, std::string> parse_form(std::string_view body);

// The client authenticating an OAuth request: HTTP Basic (RFC 6749 §2.3.1, the name and secret
// each form-urlencoded first) or client_id/client_secret in the body, not both ("Client
// authentication in the body and in the Authorization header"). client_id alone is allowed when
// the client certificate authenticates (mutual TLS).
struct ClientCredentials {
    std::string client_id;
    std::optional<std::string> client_secret;
};

// An `Authorization: Basic` value → name and password; invalid_request "Malformed
// authentication parameter" when it is not base64 of "name:password" (RFC 7617 §2).
// `form_encoded`: the name and password are form-urlencoded first (RFC 6749 §2.3.1).
ClientCredentials decode_basic(std::string_view authorization, bool form_encoded);

// oauth2/token (§8.4.4): grant_type=client_credentials (RFC 6749 §4.4.2), the client's
// credentials, scope? ("service" only), clientData?. grant_type missing "Missing parameter
// grant_type"; authorization_code or refresh_token unsupported_grant_type (Signet serves the
// client credentials grant only); another value "Invalid parameter grant_type"; no client_id
// "Missing parameter client_id".
ClientCredentials decode_token_form(const std::map<std::string, std::string>& form,
                                    std::string_view authorization);

// oauth2/revoke (§8.4.5, RFC 7009 §2.1): token, token_type_hint?, the client's credentials,
// clientData?.
struct FormRevokeRequest {
    std::string token;
    ClientCredentials client;
};
FormRevokeRequest decode_revoke_form(const std::map<std::string, std::string>& form,
                                     std::string_view authorization);

}  // namespace signet::api
