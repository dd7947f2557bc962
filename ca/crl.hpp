#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "ca/x509.hpp"

namespace signet::ca {

// RFC 5280 §5.3.1 CRLReason. `unspecified` is never written as a reasonCode entry extension
// (§5.3.1: "the reason code extension ... SHOULD be absent instead of using the unspecified (0)
// reasonCode value"); value 7 is not used.
enum class RevocationReason : int {
    unspecified = 0,
    key_compromise = 1,
    ca_compromise = 2,
    affiliation_changed = 3,
    superseded = 4,
    cessation_of_operation = 5,
    certificate_hold = 6,
    remove_from_crl = 8,
    privilege_withdrawn = 9,
    aa_compromise = 10,
};

// "keyCompromise", "cessationOfOperation"... (RFC 5280 ASN.1 names).
std::string_view to_string(RevocationReason reason) noexcept;
// Accepts the RFC 5280 names; Errc::invalid_argument listing the accepted names otherwise.
// removeFromCRL is refused (Signet issues full CRLs only, never delta CRLs).
RevocationReason parse_revocation_reason(std::string_view name);

struct RevokedCertificate {
    Bytes serial;
    TimePoint revoked_at;
    RevocationReason reason = RevocationReason::unspecified;
    std::optional<TimePoint> invalidity_date;  // §5.3.2
};

struct CrlTemplate {
    std::uint64_t number = 0;  // cRLNumber, §5.2.3: increasing for each CRL of one issuer
    TimePoint this_update;
    TimePoint next_update;
    std::vector<RevokedCertificate> revoked;
};

// A full v2 CRL for `issuer` (§5.1.2.1 version v2), unsigned, with the extensions
// authorityKeyIdentifier (the issuer's SKI) and cRLNumber; entries in the given order with
// reasonCode (absent for unspecified) and invalidityDate when set.
// Errc::invalid_argument: next_update not after this_update, an empty serial.
X509CrlPtr build_crl(const CrlTemplate& tmpl, const X509* issuer);

// Signs with signature_digest of the key's type. Errc::crypto on failure.
void sign_crl(X509_CRL* crl, EVP_PKEY* issuer_key);

Bytes crl_der(const X509_CRL* crl);
X509CrlPtr crl_from_der(ByteView der);  // Errc::invalid_argument
std::string crl_pem(const X509_CRL* crl);

}  // namespace signet::ca
