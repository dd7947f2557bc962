#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/algorithms.hpp"
#include "common/bytes.hpp"
#include "common/log.hpp"
#include "common/secret.hpp"

// signet.yaml as plain structs: no yaml-cpp type leaks out, so services depend on the values,
// not on the file format. Each field's comment names its YAML key when the two differ;
// ops/signet.example.yaml documents every key, its default and its allowed values.
namespace signet::policy {

using Milliseconds = std::chrono::milliseconds;

// listeners.http
struct Listener {
    bool enabled = true;
    std::string address = "127.0.0.1";  // an IP literal (the server binds it without resolving)
    std::uint16_t port = 0;
};

// listeners.https.tls
struct TlsSettings {
    std::filesystem::path certificate;  // PEM: the server certificate, then its chain
    std::string key;  // "hsm:LABEL" (a key in the HSM) or a PEM file's path (resolved)
    std::optional<std::filesystem::path> client_ca;  // PEM: CAs whose client certificates count
    bool require_client_certificate = false;

    bool key_in_hsm() const { return key.starts_with("hsm:"); }
    std::string hsm_key_label() const { return key.substr(4); }
};

// listeners.https. Its files are checked only when it is enabled.
struct HttpsListener : Listener {
    TlsSettings tls;
};

// limits
struct Limits {
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 1024 * 1024;  // the default; routes may set their own
    Milliseconds header_timeout{10'000};  // header_timeout_ms: for a request head to be complete
    Milliseconds read_timeout{10'000};         // read_timeout_ms: to receive one whole request
    Milliseconds idle_timeout{60'000};  // idle_timeout_ms: between requests on a kept-alive one
    std::size_t max_connections = 1024;
    Milliseconds shutdown_grace{10'000};  // shutdown_grace_ms: for in-flight requests on SIGTERM
    unsigned threads = 0;                 // I/O threads; 0: one per core
    unsigned worker_threads = 0;          // for handlers that wait; 0: 16 per core
};

// hsm. `token` and `pin` are required.
struct HsmSettings {
    std::filesystem::path module = "/usr/lib/softhsm/libsofthsm2.so";  // the PKCS#11 module
    std::string token;                                                 // the token's label
    SecretSource pin;  // "file:PATH" (resolved) or "env:VARIABLE"; never the PIN itself
    std::size_t pool_size = 8;
    Milliseconds session_wait{5'000};    // session_wait_ms: longest wait for a free session
    Milliseconds retry_interval{1'000};  // retry_interval_ms: between tries of a lost HSM
    // The HTTPS key's own sessions (a key in the HSM): TLS handshakes sign on the server's I/O
    // threads, so they never queue behind bulk signing and wait briefly at most.
    std::size_t handshake_pool_size = 2;          // handshake_pool_size
    Milliseconds handshake_session_wait{250};     // handshake_session_wait_ms
};

// database
struct DatabaseSettings {
    std::optional<std::string> dsn;  // libpq, without a password; absent: embedded under state_dir
    std::size_t pool_size = 8;
    Milliseconds connect_timeout{5'000};  // connect_timeout_ms
    // wait_ms: the longest a caller waits for a pooled connection, and for its group commit's
    // batch (the TSA's tokens, the CA's issuance writes); past it, unavailable.
    Milliseconds wait{5'000};
    // statement_timeout_ms: PostgreSQL's statement_timeout on every connection (lock waits
    // included), and the client's bound on an answer (a second more).
    Milliseconds statement_timeout{30'000};
};

// logging
struct LoggingSettings {
    LogLevel level = LogLevel::info;    // common/log.hpp's, so signetd hands it to the Logger as is
    std::string access_log = "stdout";  // "stdout", "stderr" or a file path (resolved)
};

// The scopes a route can require; api_clients may name only these.
inline const std::vector<std::string> kKnownScopes{
    "admin",
    "audit",
    "certificates:issue",
    "certificates:read",
    "certificates:revoke",
    "contracts",
    "csc",
    "metrics",
    "otp",
    "ra:officer",
    "sign",
    "subjects:read",
    "subjects:write",
    "tsa",
};

// One entry of api_clients. At least one of the two fingerprints is set; no two clients share one.
struct ApiClient {
    std::string name;                         // unique
    std::vector<std::string> scopes;          // from kKnownScopes, at least one
    std::optional<Bytes> certificate_sha256;  // SHA-256 of the client certificate (DER)
    std::optional<Bytes> token_sha256;        // SHA-256 of its bearer token (never the token)
};

// ca.profiles.NAME (the CA issue uses it).
struct CertificateProfile {
    std::string issuer;                             // required: the issuing CA's name (ceremony)
    std::vector<KeyType> key_types;                 // required, at least one
    unsigned validity_days = 0;                     // required, 1..36500
    std::vector<std::string> key_usage;             // RFC 5280 §4.2.1.3 names
    std::vector<std::string> extended_key_usage;    // OIDs (known names are resolved to OIDs)
    std::vector<std::string> certificate_policies;  // OIDs
    std::string subject_template;
    std::string ocsp_url;                // aia.ocsp_url
    std::string ca_issuers_url;          // aia.ca_issuers_url
    std::string crl_distribution_point;  // http(s) URL
    unsigned required_assurance = 0;     // 0..identity.max_assurance_level
};

// ca
// CRLs: each CA's full CRL is regenerated after every revocation and, on schedule, when the
// newest one is older than `refresh`; nextUpdate is thisUpdate + `validity` (RFC 5280 §5.1.2.5).
struct CrlSettings {
    std::chrono::hours validity{7 * 24};  // validity_hours: 1..8760, more than refresh
    std::chrono::hours refresh{24};       // refresh_hours: 1..8760
};

struct CaSettings {
    std::map<std::string, CertificateProfile> profiles;  // by name: letters, digits, '-', '_'
    CrlSettings crl;
    // The HSM's AES key that wraps the keys it generates for subjects (DESIGN.md invariant 1).
    std::string user_key_kek = "user-kek";
};

// tsa (the TSA issue uses it).
struct TsaSettings {
    std::string policy_oid = "1.3.6.1.4.1.99999.1.1";
    std::vector<std::string> accepted_policies;  // the default policy is always accepted
    std::vector<Digest> digests{Digest::sha256, Digest::sha384, Digest::sha512};
    Milliseconds accuracy{1'000};             // accuracy_ms: 1..1000
    unsigned precision = 3;                   // fractional-second digits of genTime, 0..6; its
                                              // step is less than the accuracy
    bool allow_unsynchronized_clock = false;  // development only
    // On certReq, the CA certificates above the TSA's too (not the root): a relying party that
    // trusts only the root (Java's PKIX, osslsigncode) cannot build the path without them.
    bool include_chain = true;
    bool include_tsa_name = true;  // TSTInfo.tsa: the certificate's subject (RFC 3161 §2.4.2)
    Digest signing_digest = Digest::sha256;  // the SignerInfo's digest
    std::string key_label = "tsa";
};

// The step genTime is cut to: 10^(6 - precision) microseconds (1 s for 0 digits).
std::chrono::microseconds precision_step(unsigned precision) noexcept;

// ocsp: the RFC 6960 responder (ocsp/, api/ocsp_routes). The responder key of a CA is the one
// its `ocsp:{ca}` certificate record names (the key ceremony makes it).
struct OcspSettings {
    std::chrono::seconds response_validity{3600};  // response_validity_seconds: nextUpdate - thisUpdate
    std::size_t max_certificates_per_request = 8;  // CertIDs in one request; more: malformedRequest
    std::size_t max_request_bytes = 4096;          // a POST body or a GET's decoded request
    // A request with a nonce is signed live and echoes it (RFC 9654); false: answered from the
    // pre-signed cache without one.
    bool live_nonce = true;
    unsigned live_per_client_per_second = 10;  // live_signing.per_client_per_second
    unsigned live_burst = 20;                  // live_signing.burst
    bool presign_sha1 = true;                  // presign_hashes: [sha1, sha256]
    bool presign_sha256 = true;
    // A pre-signed response is re-signed once this share of its validity has passed.
    unsigned refresh_after_percent = 50;                 // refresh_after_percent, 10-90
    std::chrono::days responder_renew_before{30};        // responder_renew_before_days
    std::chrono::days responder_validity{365};           // responder_validity_days
};

// signing.seal_approvals[i]: a seal on a contract this rule matches needs `approvals`
// approvals before it is applied (issue 13: "by amount, contract type, or always"). No
// condition: always; both: both must hold; the most demanding matching rule wins.
struct SealApprovalPolicy {
    std::optional<std::string> contract_type;  // [a-z0-9_.-]{1,64}
    // min_amount: {minor_units, currency}: an amount in that ISO 4217 currency at least this.
    std::optional<std::int64_t> min_amount_minor;  // 0..10^15
    std::string min_amount_currency;               // three capitals, with min_amount only
    unsigned approvals = 1;                        // 1-10
};

// signing.notifications.webhooks.<client>: where the contracts an API client created are
// reported (sign/notification_deliverer.hpp): a POST of the event's JSON, signed with
// HMAC-SHA256 under `secret` (headers Signet-Timestamp and Signet-Signature, docs/signing.md).
struct WebhookConfig {
    std::string url;  // http:// or https://; never repeated in a message (it may hold a key)
    SecretSource secret;              // "env:VARIABLE" or "file:PATH" (resolved); never printed
    Milliseconds timeout{10'000};     // timeout_ms: 1-600000, each try, connection included
};

// signing.notifications.email: the e-mail to a due signer with its signing link, sent over
// SMTP with STARTTLS required (libcurl; RFC 3207).
struct EmailConfig {
    std::string url;   // smtp://HOST[:PORT] (STARTTLS required) or smtps://HOST[:PORT]
    std::string from;  // the From address: local@domain, printable ASCII
    std::string from_name = "Signet";  // from_name: the From display name
    std::optional<std::filesystem::path> ca_file;  // PEM CAs for the server's certificate
    std::string username;                          // "" = no SMTP AUTH
    std::optional<SecretSource> password;          // with username only
    Milliseconds timeout{30'000};                  // timeout_ms: 1-600000
};

// signing.notifications (issue 13 "Telling the next party"). Absent: nobody is told.
struct NotificationSettings {
    std::map<std::string, WebhookConfig> webhooks;  // by API client name
    std::optional<EmailConfig> email;               // absent: no e-mail
    // The signing page's address; the e-mail's link is link_base + token. Required with email.
    std::string link_base;
    std::chrono::hours link_validity{7 * 24};  // link_validity_hours: 1-2160 (and the deadline)
    unsigned max_attempts = 12;                 // 1-50 tries before a message is failed
    std::chrono::seconds initial_backoff{5};    // initial_backoff_seconds: 1-3600
    std::chrono::seconds max_backoff{3600};     // max_backoff_seconds: initial-86400
    Milliseconds poll_interval{1'000};          // poll_interval_ms: 100-60000
};

// signing (the signing issue uses it).
struct SigningSettings {
    std::size_t max_document_bytes = 100 * 1024 * 1024;  // 1 B - 1 GiB (issue 13: 100 MiB)
    // The HSM AES key wrapping each document's data key (sign/document_vault.hpp);
    // `signetctl hsm kek --label signet-documents` makes it.
    std::string documents_key_label = "signet-documents";
    // A contract's deadline when its creator gives none, and the furthest one allowed.
    unsigned contract_validity_days = 30;       // 1..max_contract_validity_days
    unsigned max_contract_validity_days = 366;  // 1..3660
    std::vector<SealApprovalPolicy> seal_approvals;
    // Whether a TOTP code may authorize a contract signature (sign/contract_signing.hpp: a TOTP
    // code is not linked to the document it signs, an SMS code is). Off by default.
    bool totp_signs = false;
    // How long a completed, cancelled or expired contract's documents are kept before they may
    // be crypto-shredded (POST /v1/contracts/{id}/shred): retention_years, 1-100.
    unsigned retention_years = 10;
    NotificationSettings notifications;
};

// otp.totp: RFC 6238 authenticator apps.
struct TotpSettings {
    unsigned digits = 6;              // 6-8 (RFC 6238 §4)
    std::chrono::seconds period{30};  // period_seconds: 30 or 60 (RFC 6238 §5.2 recommends 30)
    unsigned window = 1;              // 0-2 periods accepted either side of now
    std::string issuer = "Signet";    // the otpauth:// issuer: 1-64 bytes without ':'
};

// otp.sms_gateway: where signetd POSTs a challenge's message (ra/sms_gateway.hpp).
struct SmsGatewayConfig {
    std::string url;  // http:// or https://; never repeated in a message (it may hold a key)
    std::string body_template;  // JSON; some string value holds {{message}}, any may hold {{phone}}
    // headers: NAME: "env:VARIABLE" or "file:PATH" (resolved): the values are secrets (an API
    // key), read when signetd starts (ra::sms_gateway_settings), never here, never printed.
    std::vector<std::pair<std::string, SecretSource>> headers;
    Milliseconds connect_timeout{3'000};  // connect_timeout_ms: 1-600000
    Milliseconds timeout{10'000};         // timeout_ms: 1-600000, each try, connection included
    unsigned retries = 2;                 // 0-5, after a failed connection or a 5xx only
    Milliseconds backoff{200};            // backoff_ms: 0-10000, doubled before each next retry
};

// otp (the RA and signing issues use it). Ranges: ra/otp_limits.hpp's ra::validate.
struct OtpSettings {
    unsigned digits = 6;                         // challenge codes: 6-8
    std::chrono::seconds lifetime{300};          // lifetime_seconds: 30-3600
    unsigned max_attempts = 5;                   // wrong codes voiding a challenge: 1-20
    unsigned max_failures = 10;                  // wrong codes per subject that lock it: 2-100
    std::chrono::seconds failure_window{3600};   // failure_window_seconds: 60-604800
    std::chrono::seconds lockout{1800};          // lockout_seconds: 60-2592000
    std::chrono::seconds min_send_interval{60};  // min_send_interval_seconds: 0-3600
    unsigned max_sends_per_hour = 10;            // per subject: 1-1000
    unsigned max_client_sends_per_minute = 60;   // per API client: 1-100000
    // At most 300 bytes, "{code}" exactly once, "{minutes}" optionally.
    std::string message = "Signet code {code}, valid for {minutes} minutes. Never share it.";
    std::string hmac_key_label = "signet-otp";  // the HSM HMAC key hashing challenge codes
    // The HSM AES key wrapping TOTP seeds; default: ca.user_key_kek.
    std::string seed_kek_label = "user-kek";
    TotpSettings totp;
    std::optional<SmsGatewayConfig> sms_gateway;  // absent: SMS challenges are refused
};

// identity.evidence.providers[]: an identity-verification provider whose statements are trusted.
struct EvidenceProviderSettings {
    std::string issuer;                // its `iss`, unique with key_id
    std::string key_id;                // its JWS `kid`; empty: it sends none
    std::filesystem::path public_key;  // the PEM file (resolved)
    std::string public_key_pem;        // its text, read at load: EC P-256 or RSA >= 2048 bits
};

// identity.evidence.levels.N: what a statement must show to reach level N.
struct AssuranceLevelSettings {
    std::vector<std::string> methods;  // at least one: [a-z0-9_]{1,32} each, e.g. face_match
    std::optional<double> min_face_match_score;  // 0..1
    std::optional<double> min_liveness_score;    // 0..1
};

// identity.evidence (ra/evidence.hpp's EvidencePolicy).
struct EvidenceSettings {
    std::string audience;                     // our name in a statement's `aud`; empty: none
    std::chrono::seconds max_age{600};        // max_age_seconds: 30-86400
    std::chrono::seconds clock_skew{60};      // clock_skew_seconds: 0-600
    std::size_t max_token_bytes = 16 * 1024;  // 1024-65536
    std::vector<EvidenceProviderSettings> providers;  // empty: only RA officers verify
    // By level, 1..max_assurance_level; each level asks at least what the one below does.
    std::map<unsigned, AssuranceLevelSettings> levels;
};

// identity (the RA issue uses it).
struct IdentitySettings {
    unsigned max_assurance_level = 3;                // 1-10
    std::string hmac_key_label = "signet-identity";  // the HSM HMAC key hashing document numbers
    EvidenceSettings evidence;
};

// backup.repositories[i]: one pgBackRest repository (repoN-* options, pgBackRest's user guide
// "Repository"). Only posix is exercised by the tests; the object stores' options are checked
// for presence here and passed through as they are (docs/evidence.md "Backup, restore and
// standby").
enum class BackupRepositoryType { posix, s3, azure, gcs };

struct BackupRepository {
    BackupRepositoryType type = BackupRepositoryType::posix;
    // posix: the directory (resolved; made if missing); object stores: the prefix inside the
    // bucket or container (repoN-path, default "/signet").
    std::filesystem::path path;
    // s3: bucket, endpoint, region, uri_style (host|path); azure: account, container, key_type
    // (shared|sas), endpoint; gcs: bucket, key_type (service|auto|token), endpoint. Keys are
    // pgBackRest's option names after "repoN-TYPE-" ("s3-bucket" -> "bucket").
    std::map<std::string, std::string> options;
    // s3: key and key_secret; azure: key; gcs (key_type service|token): key, a file path for
    // service. Where each comes from, never the value (DESIGN.md invariant 6).
    std::map<std::string, SecretSource> secrets;
    bool verify_tls = true;  // repoN-storage-verify-tls
    // retention.full / retention.diff: backups of each kind kept in this repository (repoN-
    // retention-full / -diff, counts); older ones and the WAL only they need are expired.
    unsigned retention_full = 2;                 // 1-9999999
    std::optional<unsigned> retention_diff;      // 1-9999999; absent: kept with their full
};

// backup: pgBackRest (signetctl backup / restore). Absent: backups are not configured.
struct BackupSettings {
    std::string stanza = "signet";  // [A-Za-z0-9_.-]{1,64}: the cluster's name in the repositories
    std::vector<BackupRepository> repositories;  // 1-4 (pgBackRest's repo1..repo256; we take 4)
    // archive_timeout_seconds: PostgreSQL's archive_timeout, the longest a committed transaction
    // waits in a WAL segment not yet archived (the RPO without a standby); 0: off. 0-86400.
    std::chrono::seconds archive_timeout{60};
    // process_max: pgBackRest's parallel compression/transfer processes, 1-64.
    unsigned process_max = 1;
};

// audit: the tamper-evident log's checkpoints (audit/checkpoint.hpp, docs/evidence.md). signetd
// makes them only when the ceremony made the checkpoint key (service role "audit-checkpoint").
struct AuditSettings {
    // The checkpoint's origin line: the log's name, [A-Za-z0-9._:/-]{1,128}.
    std::string log_name = "signet";
    // A checkpoint every this often (checkpoint_interval, seconds, 0-86400; 0 = never), and one
    // at shutdown.
    std::chrono::seconds checkpoint_interval{300};
    // witness: {file: PATH} appends each new checkpoint to PATH as a JSON line; {url: URL} POSTs
    // it there (https://, or http:// for a local witness). At most one of the two.
    std::filesystem::path witness_file;
    std::string witness_url;
};

// evidence: the packages GET /v1/contracts/{id}/evidence builds (api/evidence_route.hpp,
// docs/evidence.md "Evidence packages").
struct EvidencePackageSettings {
    // Packages one node builds at once (max_concurrent_builds, 1-64); a request past them gets
    // 503 with Retry-After before anything is built. Each build holds a pooled database
    // connection while it streams the documents and the audit proofs, and asks the HSM for a
    // signature and the TSA for two time-stamps: unbounded, a burst would take those from the
    // TSA, OCSP and signing routes.
    unsigned max_concurrent_builds = 2;
};

// web.verify: the public verification page (GET /verify, POST /verify/report, web/). Anyone may
// call it, so it is bounded more tightly than the authenticated POST /v1/verify.
struct WebVerifySettings {
    // The largest document (a PDF, or a CMS plus its data) a visitor may send: 1 B - 1 GiB.
    std::size_t max_document_bytes = 32 * 1024 * 1024;
    // Verifications one client address may ask for per minute (a token bucket of this size,
    // refilled evenly over the minute): 1-10000.
    unsigned requests_per_minute = 20;
};

// web.console: the operator console's sessions (GET /console, POST /console/session, web/).
struct WebConsoleSettings {
    // A session ends after this many minutes without a request (1-1440)...
    unsigned idle_minutes = 30;
    // ...and this many hours after login in any case (1-168).
    unsigned absolute_hours = 12;
    // Sessions held at once (1-100000); a login past it ends the oldest.
    unsigned max_sessions = 1000;
};

// web (issue 15): the pages people see.
struct WebSettings {
    WebVerifySettings verify;
    WebConsoleSettings console;
};

// csc (issue 17): the Cloud Signature Consortium API v2 under /csc/v2 (docs/csc.md). Absent:
// /csc/v2 is not served. `info` shows name, logo, region, lang and description; the rest bounds
// the tokens and authorizations the service issues (csc/remote_signing.hpp Settings).
struct CscSettings {
    std::string name;             // required, 1-255 characters (CSC API §11.1: "max 255 chars")
    std::string logo;             // an https URI of the service's logo (JPEG or PNG); required
    std::string region = "CN";    // ISO 3166-1 alpha-2, two capitals
    std::string lang = "en-US";   // RFC 5646 language tag
    std::string description;      // at most 255 characters
    // access_token_seconds: an access token's lifetime (60-86400).
    std::chrono::seconds access_token_lifetime{3600};
    // refresh_token_days: a refresh token's lifetime (0-365; 0 = no refresh tokens).
    unsigned refresh_token_days = 30;
    // sad_seconds: a SAD's lifetime (30-3600).
    std::chrono::seconds sad_lifetime{300};
    // multisign: the most signatures one authorization may cover (1-1000).
    unsigned multisign = 100;
};

// signet.yaml, validated. Relative paths are resolved against the file's directory.
struct Config {
    std::filesystem::path file;                           // the file loaded, absolute
    std::filesystem::path state_dir;                      // required
    Listener http{true, "127.0.0.1", 8080};               // listeners.http
    HttpsListener https{{false, "127.0.0.1", 8443}, {}};  // listeners.https
    Limits limits;
    HsmSettings hsm;  // required
    DatabaseSettings database;
    LoggingSettings logging;
    std::vector<ApiClient> api_clients;
    CaSettings ca;
    TsaSettings tsa;
    OcspSettings ocsp;
    SigningSettings signing;
    OtpSettings otp;
    IdentitySettings identity;
    std::optional<BackupSettings> backup;
    AuditSettings audit;
    EvidencePackageSettings evidence;
    WebSettings web;
    std::optional<CscSettings> csc;
};

// Loads and validates the file. Every problem found is reported at once, one per line in file
// order, as "FILE:LINE:COLUMN: KEY.PATH: what is wrong", in one Errc::invalid_argument error.
// A file that does not exist is Errc::not_found. No message repeats a secret (the PIN source,
// the DSN).
Config load_config(const std::filesystem::path& file);
// The same for text in memory; `source` names it in messages and anchors relative paths.
Config parse_config(std::string_view yaml, const std::filesystem::path& source);

// Dotted-decimal OBJECT IDENTIFIER as X.660 allows: at least two arcs, the first 0..2, the
// second below 40 when the first is 0 or 1, no leading zeros.
bool is_valid_oid(std::string_view oid);

}  // namespace signet::policy
