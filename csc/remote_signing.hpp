#pragma once

// Remote signing for other platforms (issue 17): the service behind the Cloud Signature
// Consortium API v2 (CSC API v2.0.0.2) that signetd serves under /csc/v2. Platforms are the API
// clients signetd already knows (scope "csc"); their users are the subjects they registered; a
// credential is one issued certificate whose key the CA generated and keeps wrapped
// ("hsm-wrapped"), its ID the certificate's serial in uppercase hex.
//
// Sole control at SCAL2 (CSC API §8.2, EN 419 241-1): a SAD is issued only on the subject's
// one-time password, is bound to one credential, one platform, a number of signatures and the
// hashes the signer saw, is short-lived, and is used by one signHash call; nothing is signed
// unless its row says so, inside the transaction that uses it up.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/algorithms.hpp"
#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "hsm/signer.hpp"

namespace signet::csc {

// The CSC API's own error codes (§10.2 Table 3 and the methods' error tables; RFC 6749 §5.2 for
// oauth2/token). api/csc_routes sends them as {"error", "error_description"} with the status
// given here; a CscError's message is the error_description, and never holds a secret.
enum class CscFailure : std::uint8_t {
    invalid_request,              // 400: a parameter missing, malformed or not allowed
    invalid_token,                // 401: an access token that is unknown or revoked
    expired_token,                // 401: an access or refresh token past its lifetime
    access_denied,                // 403: the platform may not do this (no "csc" scope)
    invalid_otp,                  // 400: the one-time password is wrong, used or expired
    invalid_authentication_data,  // 400: authData malformed or naming no usable object
    invalid_grant,                // 400: oauth2/token: a refresh token that is not valid
    invalid_client,               // 401: oauth2/token, auth/login: the client's secret is wrong
    unsupported_grant_type,       // 400: oauth2/token: a grant other than client_credentials
};

std::string_view to_string(CscFailure failure) noexcept;  // "invalid_request"...
int http_status(CscFailure failure) noexcept;              // 400, 401, 403

// Errc of each failure (so code that knows only signet::Error still maps it sensibly):
// invalid_request, invalid_authentication_data, invalid_grant, unsupported_grant_type ->
// invalid_argument; invalid_token, expired_token, invalid_client -> permission_denied (the edge
// sends 401); access_denied, invalid_otp -> permission_denied.
class CscError : public Error {
  public:
    CscError(CscFailure failure, const std::string& description);
    CscFailure failure() const noexcept { return failure_; }

  private:
    CscFailure failure_;
};

// A service access token (auth/login, oauth2/token): 32 random bytes, base64url without
// padding; kept only as its SHA-256. The refresh token (auth/login with rememberMe) likewise.
struct IssuedToken {
    std::string access_token;
    std::optional<std::string> refresh_token;
    std::int64_t expires_in = 0;  // seconds
};

struct CredentialKey {
    bool enabled = true;                  // "enabled" | "disabled" (the certificate is revoked)
    std::vector<std::string> algorithms;  // signAlgo OIDs the key accepts (key/algo)
    int bits = 0;                         // key/len
    std::optional<std::string> curve;     // key/curve: the named curve's OID (EC keys)
};

struct CredentialCertificate {
    std::string status;        // "valid" | "expired" | "revoked"
    std::vector<Bytes> chain;  // DER: the certificate, then its CAs up to the root
    std::string issuer_dn;     // RFC 4514
    std::string subject_dn;    // RFC 4514
    std::string serial_hex;    // uppercase
    Clock::time_point valid_from;
    Clock::time_point valid_to;
};

// The one-time password objects a credential's subject can use (CSC API §8.3.1): "OTP", a code
// sent by SMS by credentials/getChallenge (the subject has a mobile number), and "TOTP", a code
// from the subject's authenticator (generator "totp"; the subject enrolled one).
struct CredentialAuth {
    bool sms = false;
    bool totp = false;
};

struct Credential {
    std::string id;  // the certificate's serial, uppercase hex
    std::int64_t subject_id = 0;
    std::string profile;  // the certificate profile it was issued under
    CredentialKey key;
    CredentialCertificate certificate;
    CredentialAuth auth;
    int multisign = 1;  // most signatures one authorization may cover (csc.multisign)
};

// credentials/authorize (§11.6), decoded by the edge.
struct AuthorizeRequest {
    std::string credential_id;
    int num_signatures = 1;     // 1..multisign
    Digest hash_algorithm{};    // hashAlgorithmOID
    std::vector<Bytes> hashes;  // 1..num_signatures, each digest_size(hash_algorithm) bytes
    std::string auth_object;    // authData's id: "OTP" (the SMS code) or "TOTP"
    std::string code;           // its value: the one-time password (a secret: never logged)
    std::string description;    // optional, at most 500 characters (§11.6)
};

// The Signature Activation Data: 32 random bytes, base64url without padding, kept only as its
// SHA-256.
struct Activation {
    std::string sad;
    std::int64_t expires_in = 0;  // seconds
};

// credentials/extendTransaction (§11.9).
struct ExtendRequest {
    std::string credential_id;
    std::string sad;                        // the transaction's current SAD, unexpired
    std::optional<Digest> hash_algorithm;   // with hashes
    std::vector<Bytes> hashes;              // may be empty: the authorized hashes not yet signed
};

// signatures/signHash (§11.10). The edge turns signAlgo (+ hashAlgorithmOID, signAlgoParams)
// into a digest and a padding, refusing what the key cannot do.
struct SignHashRequest {
    std::string credential_id;
    std::string sad;
    Digest hash_algorithm{};
    hsm::Padding padding{};
    std::vector<Bytes> hashes;  // 1..the SAD's signatures left, each one the SAD authorized
};

// One entry of signatures/signDoc's `documents` (§11.11): the document itself; Signet builds
// the signature. The SAD must hold the hash of `bytes` (the request's hash_algorithm, which must
// be the transaction's): "If hashes were provided in authorization, RSSP SHALL verify the
// document hash matches" — at SCAL2 they always were.
enum class DocumentFormat : std::uint8_t {
    pades,  // signature_format "P": the PDF with a PAdES baseline B-T signature revision
    cades,  // signature_format "C": a CMS SignedData, CAdES baseline B-T, over the bytes
};
enum class DocumentEnvelope : std::uint8_t {
    // PAdES: signed_envelope_property "Revision" (an approval signature as an incremental
    // update). "Certification" (a DocMDP certification signature) is not offered: the edge
    // refuses it ("Invalid parameter signed_envelope_property") and, since the spec's default
    // is "Certification", passes `revision` when the property is omitted.
    revision,
    // CAdES: "Attached" (the spec's default: the SignedData carries the document as its
    // eContent) or "Detached" (no eContent).
    attached,
    detached,
};
struct DocumentToSign {
    Bytes bytes;
    DocumentFormat format = DocumentFormat::pades;
    // pades: revision; cades: attached or detached.
    DocumentEnvelope envelope = DocumentEnvelope::revision;
};

// signatures/signDoc (§11.11): exactly one of document_digests and documents is non-empty.
//  - document_digests (signature_format "C"): a CAdES baseline B-T detached signature
//    (sign/cms_signature.hpp, time-stamped by Signet's TSA) over each digest, each one the SAD
//    authorized.
//  - documents: each document's hash (hash_algorithm) one the SAD authorized; PAdES needs
//    hash_algorithm SHA-256 (the ByteRange's digest, sign/pdf_signature.hpp).
// Either way the SAD is used up as signHash uses it: one signature per authorized hash.
struct SignDocumentRequest {
    std::string credential_id;
    std::string sad;
    Digest hash_algorithm{};             // the documents' digest algorithm (hashAlgorithmOID)
    hsm::Padding padding{};              // ecdsa for EC keys; pkcs1 or pss for RSA keys
    std::vector<Bytes> document_digests; // 1..the SAD's signatures left
    std::vector<DocumentToSign> documents;  // 1..the SAD's signatures left
};

// signDoc's output (§11.11), each array in the order of its inputs.
struct SignedDocuments {
    // "DocumentWithSignature": a PDF with its signature revision appended (PAdES), a SignedData
    // holding the document (CAdES "Attached").
    std::vector<Bytes> with_signature;
    // "SignatureObject": a detached SignedData (DER) per document digest or CAdES "Detached"
    // document.
    std::vector<Bytes> signature_objects;
};

// signet.yaml's `csc` section as the service needs it (policy::CscSettings holds the rest: what
// `info` says).
struct Settings {
    std::chrono::seconds access_token_lifetime{3600};              // §8.4.4: default 1 hour
    std::chrono::seconds refresh_token_lifetime{30 * 24 * 3600};   // zero: no refresh tokens
    std::chrono::seconds sad_lifetime{300};
    int multisign = 100;  // most signatures one authorization may cover
    // Whether an authenticator's TOTP code may authorize signatures (signet.yaml
    // signing.totp_signs, the rule contract signing follows too): a TOTP code says who the
    // signer is, not what they saw, while the SMS names the platform and the credential it
    // unlocks. Off: credentials/info offers no "TOTP" and authorize refuses it.
    bool totp_authorizes = false;
    // The most bytes signDoc's `documents` may hold together in one call (1 B - 1 GiB): each is
    // held in memory, with its signed copy, while it is signed.
    std::size_t max_document_bytes = 32 * 1024 * 1024;
};

// What every call names in its audit event: the platform and where it came from.
struct Caller {
    std::string client;   // the API client's name (the platform)
    std::string address;  // the peer address, for the audit event
};

// The service. Thread-safe; every state lives in PostgreSQL, so several signetd nodes share it.
class RemoteSigning {
  public:
    virtual ~RemoteSigning() = default;

    // Service authorization (§8.1). The edge has authenticated the client (HTTP Basic with the
    // client's name and bearer token, a client certificate, or oauth2/token's client
    // credentials) and checked its "csc" scope. Audit "csc.token_issued".
    virtual IssuedToken issue_token(const Caller& caller, bool with_refresh_token) = 0;
    // auth/login with a refresh_token: a new access token for the refresh token's client.
    // CscError invalid_grant when the refresh token is unknown, revoked or expired.
    virtual IssuedToken refresh(std::string_view refresh_token, const std::string& address) = 0;
    // The client an access token was issued to. CscError invalid_token / expired_token.
    virtual std::string authenticate(std::string_view access_token) = 0;
    // auth/revoke, oauth2/revoke (RFC 7009 §2.2: an unknown token is not an error). A refresh
    // token takes the access tokens issued from it along. Only the caller's own tokens.
    virtual void revoke(const Caller& caller, std::string_view token) = 0;

    // The platform's credentials (credentials/list): its subjects' issued hsm-wrapped
    // certificates, newest first; `only_valid` keeps those valid now and not revoked.
    virtual std::vector<Credential> list(const Caller& caller, bool only_valid) = 0;
    // credentials/info. CscError invalid_request "Invalid parameter credentialID" when the
    // credential does not exist or is not one of the caller's: another platform's credential
    // looks like no credential at all.
    virtual Credential info(const Caller& caller, std::string_view credential_id) = 0;

    // credentials/getChallenge for "OTP": sends the subject a code by SMS, bound to this
    // credential and platform (the RA's sending limits and lockout apply). CscError
    // invalid_request "Invalid parameter authObjectID" for another object.
    virtual void send_challenge(const Caller& caller, std::string_view credential_id,
                                std::string_view auth_object) = 0;
    // credentials/authorize: checks the code (the RA's attempt limits and lockout apply; a wrong
    // code is CscError invalid_otp), then opens a transaction of num_signatures bound to the
    // hashes and returns its first SAD.
    virtual Activation authorize(const Caller& caller, const AuthorizeRequest& request) = 0;
    // credentials/extendTransaction: a new SAD for the transaction's signatures left; the old
    // one stops working. New hashes only when authorize bound fewer hashes than signatures.
    virtual Activation extend(const Caller& caller, const ExtendRequest& request) = 0;
    // signatures/signHash: uses the SAD up and signs each hash with the credential's key,
    // unwrapped in the HSM for this call only, in the order given (DER ECDSA-Sig-Value for EC,
    // the RSA signature octets). Any hash the SAD did not authorize, more hashes than it has
    // left, a used, superseded or expired SAD, another credential's or platform's SAD: CscError
    // invalid_request naming it, and nothing is signed.
    virtual std::vector<Bytes> sign_hash(const Caller& caller, const SignHashRequest& request) = 0;
    // signatures/signDoc, either input: for document_digests, one CMS SignedData (DER,
    // detached, CAdES B-T) per digest, in order, in signature_objects; for documents, each
    // signed as its format and envelope say (SignedDocuments). The same rules and errors as
    // sign_hash, but a document whose hash the SAD did not authorize is CscError invalid_request
    // "documentDigests or documents are not authorized by the SAD" (§11.11's text; a digest
    // keeps signHash's "Hash is not authorized by the SAD"); a document that is not a PDF Signet
    // can sign (PAdES), is empty, or documents over settings.max_document_bytes: invalid_request
    // "Invalid parameter documents" (why in parentheses) — all checked before the SAD is used.
    // Not pure, so that a test double of this interface need not make one: the default refuses
    // (Errc::failed_precondition).
    virtual SignedDocuments sign_documents(const Caller& caller,
                                           const SignDocumentRequest& request) {
        (void)caller;
        (void)request;
        throw Error(Errc::failed_precondition, "signatures/signDoc is not offered");
    }
    // signatures/signDoc with document_digests only, as before sign_documents: its
    // signature_objects. Errc::invalid_argument when `request.documents` is not empty (those
    // go to sign_documents, whose result can hold documents with their signature).
    virtual std::vector<Bytes> sign_document(const Caller& caller,
                                             const SignDocumentRequest& request) {
        (void)caller;
        (void)request;
        throw Error(Errc::failed_precondition, "signatures/signDoc is not offered");
    }
    // signatures/timestamp: an RFC 3161 TimeStampToken (DER) from Signet's TSA over `hash`.
    virtual Bytes timestamp(const Caller& caller, Digest hash_algorithm, ByteView hash,
                            std::optional<Bytes> nonce) = 0;
};

}  // namespace signet::csc
