#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/secret.hpp"
#include "common/algorithms.hpp"

namespace signet::policy {

using Milliseconds = std::chrono::milliseconds;

struct Listener {
    bool enabled = true;
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;
};

struct TlsSettings {
    std::filesystem::path certificate;  // PEM: the server certificate, then its chain
    std::string key;                    // "hsm:LABEL" (a key in the HSM) or a PEM file's path
    std::optional<std::filesystem::path> client_ca;  // PEM: CAs whose client certificates count
    bool require_client_certificate = false;

    bool key_in_hsm() const { return key.starts_with("hsm:"); }
    std::string hsm_key_label() const { return key.substr(4); }
};

struct HttpsListener : Listener {
    TlsSettings tls;
};

struct Limits {
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 1024 * 1024;  // routes may set their own
    Milliseconds read_timeout{10'000};         // to receive one whole request
    Milliseconds idle_timeout{60'000};         // between requests on a kept-alive connection
    std::size_t max_connections = 1024;
    Milliseconds shutdown_grace{10'000};  // for in-flight requests on SIGTERM
    unsigned threads = 0;                 // 0: one per core
};

struct HsmSettings {
    std::filesystem::path module = "/usr/lib/softhsm/libsofthsm2.so";
    std::string token;
    SecretSource pin;
    std::size_t pool_size = 8;
};

struct DatabaseSettings {
    std::optional<std::string> dsn;  // absent: the embedded cluster under state_dir
    std::size_t pool_size = 8;
    Milliseconds connect_timeout{5'000};
};

enum class LogLevel { debug, info, warn, error };

struct LoggingSettings {
    LogLevel level = LogLevel::info;
    std::string access_log = "stdout";  // stdout, stderr or a file path
};

// The scopes a route can require.
inline const std::vector<std::string> kKnownScopes{
    "admin",
    "certificates:issue",
    "certificates:read",
    "certificates:revoke",
    "metrics",
    "sign",
    "subjects:read",
    "subjects:write",
    "tsa",
};

struct ApiClient {
    std::string name;
    std::vector<std::string> scopes;
    std::optional<Bytes> certificate_sha256;  // SHA-256 of the client certificate (DER)
    std::optional<Bytes> token_sha256;        // SHA-256 of its bearer token (never the token)
};

struct CertificateProfile {
    std::vector<KeyType> key_types;
    unsigned validity_days = 0;
    std::vector<std::string> key_usage;             // RFC 5280 §4.2.1.3 names
    std::vector<std::string> extended_key_usage;    // OIDs (names are resolved to OIDs)
    std::vector<std::string> certificate_policies;  // OIDs
    std::string subject_template;
    std::string ocsp_url;
    std::string ca_issuers_url;
    std::string crl_distribution_point;
    unsigned required_assurance = 0;
};

struct CaSettings {
    std::map<std::string, CertificateProfile> profiles;
};

struct TsaSettings {
    std::string policy_oid = "1.3.6.1.4.1.99999.1.1";
    std::vector<std::string> accepted_policies;  // the default policy is always accepted
    std::vector<Digest> digests{Digest::sha256, Digest::sha384, Digest::sha512};
    Milliseconds accuracy{1'000};
    unsigned precision = 3;                   // fractional-second digits of genTime
    bool allow_unsynchronized_clock = false;  // development only
    bool include_chain = false;
    std::string key_label = "tsa";
};

struct OcspSettings {
    std::chrono::seconds response_validity{3600};
    std::string key_label = "ocsp";
};

struct SigningSettings {
    std::size_t max_document_bytes = 32 * 1024 * 1024;
};

struct OtpSettings {
    unsigned digits = 6;
    std::chrono::seconds period{30};
    unsigned window = 1;  // periods accepted either side of now
};

struct IdentitySettings {
    unsigned max_assurance_level = 3;
};

// signet.yaml, validated. Relative paths are resolved against the file's directory.
struct Config {
    std::filesystem::path file;
    std::filesystem::path state_dir;
    Listener http{true, "127.0.0.1", 8080};
    HttpsListener https{{false, "127.0.0.1", 8443}, {}};
    Limits limits;
    HsmSettings hsm;
    DatabaseSettings database;
    LoggingSettings logging;
    std::vector<ApiClient> api_clients;
    CaSettings ca;
    TsaSettings tsa;
    OcspSettings ocsp;
    SigningSettings signing;
    OtpSettings otp;
    IdentitySettings identity;
};

// Loads and validates the file. Every problem found is reported at once, one per line, as
// "FILE:LINE:COLUMN: KEY.PATH: what is wrong", in one Errc::invalid_argument error.
Config load_config(const std::filesystem::path& file);
// The same for text in memory; `source` names it in messages and anchors relative paths.
Config parse_config(std::string_view yaml, const std::filesystem::path& source);

// Dotted-decimal OBJECT IDENTIFIER as X.660 allows: at least two arcs, the first 0..2, the
// second below 40 when the first is 0 or 1, no leading zeros.
bool is_valid_oid(std::string_view oid);

}  // namespace signet::policy
