#pragma once

#include <openssl/x509.h>

#include <string>
#include <vector>

#include "ca/x509.hpp"

namespace signet::ca {

// The linter run on every certificate before the HSM signs it (Boulder's issuance cycle: the
// to-be-signed certificate is linted, and only then is the same TBS signed by the CA key).
// Boulder lints a copy signed with a throwaway key; the linter here checks no signature, so the
// cycle lints the TBS with its signature algorithm set and an empty signature
// (set_signature_algorithm) and saves that signing.

struct LintFinding {
    std::string rule;     // stable identifier, e.g. "rfc5280.validity.within_issuer"
    std::string message;  // human-readable, names the offending field or extension
};

// Checks `cert` (signed, or with set_signature_algorithm's empty signature: the signature
// itself is not checked), as its DER encoding parses (certificate_fields_from_der: each field
// decoded from the DER as d2i_X509 decodes it, the key built from its SubjectPublicKeyInfo by
// public_key_from_info), against RFC 5280 and against `expected`, the template it was built
// from:
//   - version 3; no issuerUniqueID or subjectUniqueID (§4.1.2.8); serial positive, at most 20
//     octets, non-zero;
//   - tbsCertificate.signature equals signatureAlgorithm (§4.1.1.2) and matches the issuer's key;
//   - issuer name equals the issuer's subject (self-signed: own subject);
//   - validity: notBefore < notAfter; inside the issuer's validity (not for self-signed);
//     UTCTime for dates through 2049 and GeneralizedTime from 2050 (§4.1.2.5);
//   - no extension appears twice (§4.2); the set of extensions is exactly what the template asks
//     for (see CertificateTemplate), each with the criticality the template implies;
//   - SKI present and equal to the SHA-1 of the subject public key; AKI keyIdentifier equal to
//     the issuer's SKI (§4.2.1.1/§4.2.1.2);
//   - basicConstraints: cA matches; pathLen only with cA and keyCertSign;
//   - keyUsage: present and non-empty when the template has usages; keyCertSign iff cA;
//     no keyCertSign/cRLSign for end entities;
//   - EKU: id-kp-timeStamping alone and critical when present (RFC 3161 §2.3); OCSPSigning
//     certificates carry id-pkix-ocsp-nocheck and neither AIA nor CRL DP;
//   - subjectAltName: exactly the template's entries in its order (every dNSName, then every
//     iPAddress), critical iff the subject is empty (RFC 5280 §4.2.1.6); each dNSName in
//     preferred name syntax (LDH labels, no trailing dot, no wildcard: dns_name_problem), each
//     iPAddress 4 or 16 octets; an id-kp-serverAuth certificate has one (CA/B BR §7.1.2.7.12);
//   - certificatePolicies: each of the certificate's policies is among its issuer's, or the
//     issuer carries anyPolicy (§6.1.3 (d)); checked when the issuer has the extension;
//   - subject DN: non-empty for CAs, every attribute one Signet uses (ca/name.hpp) and within
//     its upper bound, C and serialNumber PrintableString, emailAddress IA5String, other strings
//     UTF8String or PrintableString (§4.1.2.4, §4.1.2.6), no control or invisible character and
//     in NFC (common/text.hpp name_text_problem);
//   - the subject public key builds from its DER (public_key_from_info) and is an allowed
//     KeyType (key_type_of), an RSA key's exponent 65537 (check_rsa_public_exponent, CA/Browser
//     Forum BR §6.1.6).
// Errc::invalid_argument when `cert` does not encode into one DER certificate that reads back.
// An empty result means the certificate passes.
std::vector<LintFinding> lint_certificate(X509* cert, const X509* issuer,
                                          const CertificateTemplate& expected);

}  // namespace signet::ca
