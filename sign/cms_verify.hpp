#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/handle.hpp"
#include "sign/cms_signature.hpp"
#include "sign/validation_data.hpp"

// Verification of detached CMS / CAdES signatures from their bytes alone (offline): what
// `POST /v1/verify` and `signetctl verify` report for a CMS, and what the PDF layer reports for
// each /Contents. The result is plain data, for the API to render.
namespace signet::sign {

// CAdES baseline levels (EN 319 122-1 §6) a signature reaches. verify_detached never returns
// b_lta: B-LTA is a PDF's document time-stamp over the validation data (EN 319 142-1 §6.3),
// judged by sign/verify_document.hpp.
enum class Level { none, b_b, b_t, b_lt, b_lta };
std::string_view to_string(Level level) noexcept;  // "none", "B-B", "B-T", "B-LT", "B-LTA"

struct CertificateSummary {
    std::string subject;  // RFC 2253 text
    std::string issuer;
    std::string serial;  // hex
    Clock::time_point not_before;
    Clock::time_point not_after;
    std::string sha256;                     // lowercase hex of the DER's SHA-256: which one it is
    std::vector<std::string> key_purposes;  // extendedKeyUsage, dotted OIDs; empty without one
};

enum class RevocationStatus {
    good,         // not revoked at the validation time, by data that speaks of that time
    revoked,      // revoked at or before the validation time
    unknown,      // data there, but it says unknown, does not verify, or is too old
    missing,      // no embedded OCSP response or CRL about the certificate
    not_checked,  // a self-signed certificate: a trust anchor, never checked (RFC 5280 §6.1)
};
std::string_view to_string(RevocationStatus status) noexcept;

// What the embedded data says about one certificate at the validation time. An OCSP response or
// CRL counts when its signature verifies with the issuer's key (OCSP: or a responder the issuer
// certified for id-kp-OCSPSigning, RFC 6960 §4.2.2.2) and it is fresh for that time: issued
// after it, or with it before nextUpdate (EN 319 102-1's revocation freshness, the maximum age
// being the data's own validity).
struct RevocationReport {
    RevocationStatus status = RevocationStatus::missing;
    std::string source;  // "ocsp", "crl", or empty
    std::optional<Clock::time_point> this_update;
    std::optional<Clock::time_point> next_update;
    std::optional<Clock::time_point> revoked_at;  // also when revoked after the validation time
    std::optional<int> reason;                    // RFC 5280 CRLReason
    std::string problem;
};

struct ChainEntry {
    CertificateSummary certificate;
    RevocationReport revocation;
};

// A certificate path built from the embedded certificates and the trust anchors, end entity
// first, each next one the issuer whose key verifies the previous one's signature.
struct ChainReport {
    std::vector<ChainEntry> certificates;
    bool complete = false;  // it ends at a self-signed certificate
    // OpenSSL's path validation (RFC 5280 §6) to one of the trust anchors at the validation
    // time; false without anchors.
    bool trusted = false;
    std::string problem;
};

// The signature-time-stamp attribute (RFC 3161 appendix A, EN 319 122-1 §5.3).
struct TimeStampReport {
    bool present = false;
    // The token's own signature verifies with the TSA certificate its SignerInfo names, whose
    // ESS signing-certificate(-v2) attribute names that certificate (RFC 5816), and the
    // certificate is for time-stamping only (RFC 3161 §2.3).
    bool signature_valid = false;
    bool imprint_matches = false;  // the imprint is the hash of this SignerInfo's signature value
    std::optional<Clock::time_point> time;  // genTime
    std::string policy;
    ChainReport tsa;  // the TSA certificate first
    std::string problem;
};

struct SignerReport {
    ChainReport chain;             // the signer's certificate first; empty if it is not there
    std::string digest_algorithm;  // "SHA256"...
    bool digest_matches = false;   // message-digest is the content's: the covered bytes intact
    bool signature_valid = false;  // over the signed attributes, with the certificate's key
    bool signing_certificate_matches = false;  // ESS signing-certificate(-v2) names it
    bool has_signing_time = false;
    TimeStampReport time_stamp;
    // When validity and revocation are judged: the time-stamp's genTime when it verifies and is
    // over this signature, else VerifyOptions::now.
    Clock::time_point validation_time;
    Level level = Level::none;
    // B-B reached, no certificate of the chain revoked at the validation time, and, when trust
    // anchors were given, the chain trusted.
    bool valid = false;
    std::vector<std::string> problems;
};

struct VerifyReport {
    std::vector<SignerReport> signers;  // one per SignerInfo, in order
};

struct VerifyOptions {
    std::vector<X509Ptr> trust_anchors;  // none: the chains are reported, not trusted
    // The validation time when a signature has no usable time-stamp: the injected clock's now.
    Clock::time_point now;
    // Validation data kept beside the CMS rather than in it: a PDF's /DSS (EN 319 142-1
    // §5.4.2), where PAdES B-LT puts it. Used as if embedded: certificates to build chains
    // with, OCSP responses and CRLs as revocation evidence. At most kMaxExternalValidationItems
    // of each kind; an item that does not decode (an OCSP response not successful) is
    // Errc::invalid_argument naming it.
    ValidationData external;
};

// A /DSS may gather the data of many signatures (pdf_dss.hpp bounds each kind at 1000).
inline constexpr std::size_t kMaxExternalValidationItems = 1000;

// Verifies every SignerInfo of a detached CMS (`cms_der`: a ContentInfo of SignedData, DER or
// BER) over `content`, or over the content whose digest is given (PAdES: the ByteRange's hash;
// a SignerInfo with another digest algorithm is reported as not matching). Levels:
//   B-B: the signer's certificate is embedded, the signature verifies, message-digest matches,
//     content-type and signing-certificate(-v2) are present and name that certificate;
//   B-T: B-B and a signature time-stamp that verifies and is over the signature value;
//   B-LT: B-T, both chains complete, and usable revocation data (good or revoked) embedded for
//     every certificate of the signer's and the TSA's chains but their self-signed roots.
// Failures are reported, not thrown. Errc::invalid_argument, naming the fault, for input that is
// not a detached SignedData, exceeds kMaxCmsBytes, holds more than 16 SignerInfos or more than
// kMaxValidationItems certificates, CRLs or OCSP responses, or embeds revocation data that does
// not decode; for a content digest of the wrong length.
VerifyReport verify_detached(ByteView cms_der, ByteView content, const VerifyOptions& options);
VerifyReport verify_detached(ByteView cms_der, const ContentDigest& content,
                             const VerifyOptions& options);
// The content in pieces (a PDF's ByteRange: two views), hashed in each SignerInfo's algorithm.
VerifyReport verify_detached(ByteView cms_der, std::span<const ByteView> content,
                             const VerifyOptions& options);

// An RFC 3161 TimeStampToken over `content` (the concatenation of its parts): a PDF's document
// time-stamp (/DocTimeStamp, ETSI.RFC3161, EN 319 142-1 §5.4.3) over its ByteRange. The report
// says whether the token's signature verifies (TimeStampReport's rules), whether its imprint
// is the content's digest in the token's algorithm (SHA-2), its genTime and policy, and the TSA's
// chain at genTime with each certificate's revocation status from the token's certificates and
// `options.external`, trusted when `options.trust_anchors` are given. Failures are reported, not
// thrown; Errc::invalid_argument for bytes that are not a CMS ContentInfo of SignedData (over
// kMaxCmsBytes) and for undecodable `options.external` items.
TimeStampReport verify_time_stamp_token(ByteView token_der, std::span<const ByteView> content,
                                        const VerifyOptions& options);

}  // namespace signet::sign
