#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "audit/log.hpp"
#include "common/clock.hpp"
#include "hsm/token.hpp"
#include "policy/ceremony.hpp"
#include "policy/config.hpp"
#include "store/certificates.hpp"

namespace signet::ca {

// One certificate the ceremony made.
struct CeremonyResult {
    std::string name;  // the CA's name, "ocsp-{ca}", "tsa", "audit-checkpoint", "tls-server" or
                       // "evidence-seal"
    std::string role;  // "root", "issuing", "ocsp", "tsa", "audit-checkpoint", "tls-server",
                       // "evidence-seal"
    std::string subject;
    std::string serial;  // hex
    std::string fingerprint_sha256;
    std::filesystem::path pem;  // the copy written to output_dir
};

// Carries out a ceremony file (policy/ceremony.hpp). Before anything is made it checks every
// DN, that no key label exists in the HSM, that no CA name or service role exists in the
// database and that no output file exists: Errc::already_exists (nothing is ever overwritten)
// or invalid_argument, with nothing changed. Then, in order: the root key and its self-signed
// certificate, each issuing CA (key, certificate signed by the root), its OCSP responder, the
// TSA, the audit checkpoint signer, the TLS server; every certificate through the issuance
// cycle (ca/issuance.hpp) and each step an audit event; a failure midway leaves what was made recorded, and running the same file
// again is refused for what exists.
//
// The TLS server certificate (the HTTPS listener's): KU digitalSignature (critical), EKU
// id-kp-serverAuth alone, subjectAltName with the file's DNS names and IP addresses, AIA and CRL
// DP of its issuer, service role "tls-server"; its PEM, tls-server.pem, holds the issuing CA's
// certificate after it (the chain the listener serves). Refused before anything is made: a
// validity beyond its issuer's, a subject CN that is not one of its names (CA/B BR §7.1.4.3).
//
// The audit checkpoint signer's certificate (audit_checkpoint in the file, optional): KU
// digitalSignature (critical), no EKU (no registered purpose names signing a checkpoint, and
// Signet has no OID arc for a private one), AIA and CRL DP of its issuer, service role
// "audit-checkpoint"; it signs the audit log's checkpoints (audit/checkpoint.hpp).
//
// Certificate policies (RFC 5280 §6.1): each issuing CA's certificate carries the policies of
// the `profiles` it issues under (ca.profiles in signet.yaml), or the ceremony file's own list
// for it (which may be anyPolicy, and must then cover those profiles' policies); so a relying
// party that requires a profile's policy (explicit policy) accepts the path. The root carries
// none: a relying party's trust anchor is its name and key (§6.1.1 (d)), the root certificate's
// extensions take no part in path processing, so policies there would restrict nothing.
std::vector<CeremonyResult> run_ceremony(
    const policy::Ceremony& ceremony,
    const std::map<std::string, policy::CertificateProfile>& profiles, hsm::Token& token,
    store::Database& database, store::CertificateRepository& certificates, audit::AuditLog& audit,
    const Clock& clock, const std::string& actor);

}  // namespace signet::ca
