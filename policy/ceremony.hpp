#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/algorithms.hpp"

namespace signet::policy {

// The key ceremony file that `signetctl ceremony FILE.yaml` carries out (after Boulder's
// ceremony tool: one reviewed file says everything the ceremony will create). It creates, in
// the HSM, the root CA key and its self-signed certificate, the issuing CAs signed by the root,
// an OCSP responder certificate for each issuing CA that asks for one, the TSA certificate, the
// audit log's checkpoint certificate, the HTTPS listener's certificate and the platform's
// evidence seal.

struct CeremonyKey {
    std::string label;  // the HSM object's label; must not exist yet
    KeyType type = KeyType::ec_p256;
};

// What every certificate of the ceremony has.
struct CeremonyCertificate {
    std::string subject;  // RFC 4514 DN, e.g. "CN=Signet Root CA,O=Signet,C=CN"
    unsigned validity_days = 0;
    CeremonyKey key;
};

// A CA: the root, or an issuing CA signed by the root. The URLs go into the certificates this
// CA signs in the ceremony (the issuing CAs' for the root; the TSA's and OCSP responders' are
// never given AIA or CRL DP for OCSP, RFC 6960 §4.2.2.2.1).
struct CeremonyCa : CeremonyCertificate {
    std::string name;  // letters, digits, '-', '_'; the name in /ca/{name}.crt and /crl/{name}.crl
    std::string crl_distribution_point;                 // optional http(s) URL
    std::string ca_issuers_url;                         // optional http(s) URL (AIA caIssuers)
    std::string ocsp_url;                               // optional http(s) URL (AIA OCSP)
    std::optional<int> path_length;                     // issuing CAs: default 0
    std::optional<CeremonyCertificate> ocsp_responder;  // issuing CAs only
    // Issuing CAs only: the certificatePolicies the CA's certificate carries (dotted OIDs;
    // "anyPolicy" is 2.5.29.32.0). Absent (nullopt): the policies of the profiles in signet.yaml
    // that this CA issues under (ca::run_ceremony). RFC 5280 §6.1.3 (d): a relying party that
    // requires a policy accepts an end entity's only if every CA above it carries that policy
    // or anyPolicy.
    std::optional<std::vector<std::string>> certificate_policies;
};

struct CeremonyTsa : CeremonyCertificate {
    std::string issuer;  // an issuing CA of this ceremony
};

// The key that signs the audit log's checkpoints (audit/checkpoint.hpp), optional.
struct CeremonyAuditCheckpoint : CeremonyCertificate {
    std::string issuer;  // an issuing CA of this ceremony
};

// The platform's e-seal (service role "evidence-seal"): the organization seal of the appliance's
// operator that signs evidence packages (evidence/README.md) — the evidence certificate PDF and
// the package manifest.
struct CeremonyEvidenceSeal : CeremonyCertificate {
    std::string issuer;  // an issuing CA of this ceremony
};

// CA/Browser Forum Baseline Requirements §6.3.2: a TLS server certificate is valid for at most
// 398 days.
inline constexpr unsigned kMaxTlsServerValidityDays = 398;

// The HTTPS listener's certificate (listeners.https.tls in signet.yaml), for the hosts clients
// connect to: at least one DNS name or IP address between the two lists, each at most once.
struct CeremonyTlsServer : CeremonyCertificate {
    std::string issuer;                     // an issuing CA of this ceremony
    std::vector<std::string> dns_names;     // preferred name syntax (common/host_names.hpp)
    std::vector<std::string> ip_addresses;  // IPv4 or IPv6 literals, as written
};

struct Ceremony {
    std::filesystem::path file;        // absolute
    std::filesystem::path output_dir;  // PEM copies of every certificate (resolved)
    CeremonyCa root;
    std::vector<CeremonyCa> issuing_cas;
    std::optional<CeremonyTsa> tsa;
    std::optional<CeremonyAuditCheckpoint> audit_checkpoint;
    std::optional<CeremonyTlsServer> tls_server;
    std::optional<CeremonyEvidenceSeal> evidence_seal;
};

// Reads and validates a ceremony file. Every problem is reported at once, each as
// FILE:LINE:COLUMN: key: message (Errc::invalid_argument): unknown keys, missing ones, bad key
// types, validities, URLs, duplicate CA names or key labels, a TSA, audit checkpoint or TLS
// server issuer that is not an issuing CA of the file, a TLS server's validity over 398 days, DNS names and IP addresses
// a subjectAltName cannot carry (each at its own place), a name listed twice, or neither list.
// Distinguished names are checked when the ceremony runs, before any key is made.
Ceremony load_ceremony(const std::filesystem::path& file);
Ceremony parse_ceremony(std::string_view yaml, const std::filesystem::path& source);

}  // namespace signet::policy
