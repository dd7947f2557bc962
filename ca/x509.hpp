#pragma once

#include <openssl/x509.h>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ca/name.hpp"
#include "common/algorithms.hpp"
#include "common/bytes.hpp"
#include "common/handle.hpp"

namespace signet::ca {

// X.509 building blocks of the CA (names are in ca/name.hpp): certificate templates, signing,
// DER/PEM and fingerprints. Nothing here touches the database or the HSM directly: an issuer's
// private key is any EVP_PKEY (in production a bridge key whose signing happens in the HSM).

using TimePoint = std::chrono::system_clock::time_point;

// --- Certificates -----------------------------------------------------------------------------

// Everything a certificate says, apart from its issuer (taken from the issuing certificate) and
// the signature. The set of extensions a template produces is exactly:
//   always: subjectKeyIdentifier (RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey
//           BIT STRING), authorityKeyIdentifier keyIdentifier (= issuer's SKI; self-signed: own
//           SKI), basicConstraints (critical; cA from is_ca, pathLenConstraint iff path_length),
//   keyUsage (critical) iff key_usage is not empty,
//   extendedKeyUsage iff extended_key_usage is not empty (critical iff eku_critical),
//   certificatePolicies iff certificate_policies is not empty (policy OIDs, no qualifiers),
//   authorityInfoAccess iff ocsp_url or ca_issuers_url is set,
//   cRLDistributionPoints iff crl_distribution_point is set (one fullName URI),
//   subjectAltName iff dns_names or ip_addresses is not empty (every dNSName, then every
//           iPAddress, in the template's order; critical iff the subject is empty, RFC 5280
//           §4.2.1.6; ca/subject_alt_name.hpp),
//   id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1, NULL value) iff ocsp_no_check.
struct CertificateTemplate {
    Bytes serial;               // make_serial(); DER INTEGER content, positive
    DistinguishedName subject;  // see make_name
    TimePoint not_before;
    TimePoint not_after;
    bool is_ca = false;
    std::optional<int> path_length;  // only with is_ca
    // RFC 5280 §4.2.1.3 names: digitalSignature, nonRepudiation (contentCommitment is the same
    // bit), keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign, encipherOnly,
    // decipherOnly.
    std::vector<std::string> key_usage;
    std::vector<std::string> extended_key_usage;  // dotted OIDs
    bool eku_critical = false;
    std::vector<std::string> certificate_policies;  // dotted OIDs
    std::string ocsp_url;                           // AIA id-ad-ocsp; empty: none
    std::string ca_issuers_url;                     // AIA id-ad-caIssuers; empty: none
    std::string crl_distribution_point;             // empty: none
    bool ocsp_no_check = false;
    // subjectAltName: DNS names in preferred name syntax (common/host_names.hpp) and IPv4 or
    // IPv6 address literals; a TLS server certificate's hosts (RFC 6125 §6).
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
};

// id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
inline const std::string kOcspSigningEku = "1.3.6.1.5.5.7.3.9";

// A delegated OCSP responder's profile (RFC 6960 §4.2.2.2): digitalSignature and
// id-kp-OCSPSigning, and id-pkix-ocsp-nocheck (§4.2.2.2.1: its own status is not checked, so it
// carries no AIA and no CRL DP). The key ceremony and the responder renewal make the same one.
void set_ocsp_responder_profile(CertificateTemplate& tmpl);

// The unsigned certificate (v3): `subject_key` is the subject's public key; `issuer` is the
// issuing CA's certificate, or nullptr for a self-signed certificate (issuer name = subject).
// Validity times are encoded as UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280
// §4.1.2.5). Errc::invalid_argument for an inconsistent template (empty serial, not_after not
// after not_before, path_length without is_ca, bad OID or URL, unknown key usage name, a DNS
// name or IP address a subjectAltName cannot carry).
X509Ptr build_certificate(const CertificateTemplate& tmpl, EVP_PKEY* subject_key,
                          const X509* issuer);
// The same from the subject key's SubjectPublicKeyInfo DER, copied into the certificate as it
// is: no key is encoded or decoded, which in OpenSSL 3.0 is a costly trip through the
// providers' encoders and decoders (X509_set_pubkey makes one of each). The result has no
// decoded public key (X509_get0_pubkey gives nullptr): it is for signing and encoding; read its
// DER back for an object to use. Errc::invalid_argument also when `subject_public_key_info` is
// not one SubjectPublicKeyInfo.
X509Ptr build_certificate(const CertificateTemplate& tmpl, ByteView subject_public_key_info,
                          const X509* issuer);

// The digest a key of `type` signs certificates, CRLs and OCSP responses with: SHA-256 for
// ec-p256 and RSA, SHA-384 for ec-p384. RSA uses PKCS#1 v1.5 (sha256WithRSAEncryption).
Digest signature_digest(KeyType type) noexcept;

// The KeyType of a public (or private) key, or Errc::invalid_argument naming what it is
// ("EC key on curve secp256k1 is not supported", "RSA key of 1024 bits is not supported", "Ed25519
// keys are not supported").
KeyType key_type_of(const EVP_PKEY* key);

// CA/Browser Forum Baseline Requirements §6.1.6: an RSA public exponent is 65537 (the BR allow
// any odd value from 65537 up; Signet takes the one every key generator makes). e = 1 lets
// anyone forge signatures, e = 3 invites the low-exponent attacks, an even e is no RSA key.
// Errc::invalid_argument naming the exponent; a key that is not RSA passes.
void check_rsa_public_exponent(const EVP_PKEY* key);

// Signs `cert` with `issuer_key` (a bridge key or any EVP_PKEY) using signature_digest of its
// key type; sets both signature AlgorithmIdentifiers. Errc::crypto on failure.
void sign_certificate(X509* cert, EVP_PKEY* issuer_key);

// Sets both signature AlgorithmIdentifiers of `cert` as sign_certificate with a key of
// `issuer_key_type` sets them (ECDSA: no parameters; RSA PKCS#1 v1.5: NULL parameters) and
// leaves the signature empty, so the tbsCertificate is final before anything signs it: the
// issuance cycle reserves and lints that TBS, then the HSM signs the same object.
void set_signature_algorithm(X509* cert, KeyType issuer_key_type);

// The SubjectPublicKeyInfo DER of a key (public half only, also of a bridge key).
Bytes public_key_der(EVP_PKEY* key);

// DER of the whole certificate / of its tbsCertificate (i2d_re_X509_tbs).
Bytes certificate_der(const X509* cert);
Bytes tbs_der(X509* cert);
X509Ptr certificate_from_der(ByteView der);  // Errc::invalid_argument if not one DER certificate

// The certificate `der` encodes, every field decoded from the encoding but the key: what lint
// reads. d2i_X509 would decode the subject public key through OpenSSL 3.0's decoders (an
// OSSL_DECODER_CTX built anew each time, about three signatures' worth of CPU); here the
// Certificate and TBSCertificate SEQUENCEs (RFC 5280 §4.1) are walked with
// common/der_reader.hpp and each field is decoded by the d2i d2i_X509 itself applies to it
// (ASN1_INTEGER for the version and serial, X509_ALGOR, X509_NAME, ASN1_TIME, X509_EXTENSION
// one by one), then set on a new X509 in its order: so every accessor on `certificate` answers
// what it would answer on d2i_X509's object. The SubjectPublicKeyInfo is copied as its DER
// says without being decoded (X509_get0_pubkey gives nullptr; `public_key_info` is its DER,
// for public_key_from_info), and the signature is not read. `unique_identifiers`: the TBS has
// an issuerUniqueID or subjectUniqueID (§4.1.2.8), which an X509 object cannot be given.
// Errc::invalid_argument when `der` is not one DER certificate.
struct CertificateFields {
    X509Ptr certificate;
    Bytes public_key_info;  // a copy: `der` may be a temporary
    bool unique_identifiers = false;
};
CertificateFields certificate_fields_from_der(ByteView der);
std::string certificate_pem(const X509* cert);
// Reads one certificate in PEM or DER; Errc::invalid_argument otherwise.
X509Ptr certificate_from_pem_or_der(ByteView data);

// SHA-256 of the DER, as lowercase hex pairs joined by ':' (what `openssl x509 -fingerprint
// -sha256` prints, lowercased).
std::string sha256_fingerprint(const X509* cert);
// The same from the certificate's DER.
std::string sha256_fingerprint(ByteView certificate_der);

// The serial as lowercase hex without separators (the form used in URLs, the CLI and the DB).
std::string serial_hex(ByteView serial);

// --- Serial numbers ---------------------------------------------------------------------------

// A serial of exactly 20 octets (RFC 5280 §4.1.2.2 allows up to 20), positive (first octet's top
// bit clear) and with a non-zero first octet so its DER keeps all 20 octets; 159 bits come from
// `random` (which must return n random bytes; in production the HSM's C_GenerateRandom), far
// above the CA/Browser Forum's 64 bits.
template <class RandomFn>
Bytes make_serial(RandomFn&& random) {
    Bytes serial = random(std::size_t{20});
    serial[0] &= 0x7f;
    if (serial[0] == 0)
        serial[0] = 0x01;
    return serial;
}

}  // namespace signet::ca
