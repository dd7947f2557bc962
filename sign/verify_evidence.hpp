#pragma once

// What the verification of one CMS reads once and shares (internal to sign/): the embedded
// certificates, the trust anchors, the embedded revocation data; and the small readers its parts
// share.
#include <openssl/cms.h>

#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/handle.hpp"
#include "sign/cms_verify.hpp"

namespace signet::sign {

struct Evidence {
    X509StackPtr certificates;  // SignedData.certificates (X.509 ones)
    std::vector<X509*> anchors;
    std::vector<X509CrlPtr> crls;        // RevocationInfoChoice crl
    std::vector<OcspBasicRespPtr> ocsp;  // RevocationInfoChoice other, RFC 5940
    std::vector<X509*> pool() const;     // anchors, then the embedded certificates
};

// Reads SignedData.certificates (at most kMaxValidationItems) and SignedData.crls (at most
// kMaxValidationItems CRLs and as many OCSP responses) of `cms`, then options.external (at most
// kMaxExternalValidationItems of each kind), and options.trust_anchors. OpenSSL has no accessor
// for a RevocationInfoChoice of type other: they are read from OpenSSL's own DER encoding of the
// parsed CMS. Errc::invalid_argument when there are more, or a certificate, CRL or OCSP response
// (id-ri-ocsp-response, status successful, a BasicOCSPResponse) does not decode.
Evidence read_evidence(CMS_ContentInfo* cms, const VerifyOptions& options);

// An ASN1_TIME as a time point; nullopt when it cannot be one.
std::optional<Clock::time_point> time_of(const ASN1_TIME* time);
std::time_t to_time_t(Clock::time_point t);

CertificateSummary summarize_certificate(const X509* certificate);

// Whether `si`'s ESS signing-certificate-v2 (RFC 5035) or signing-certificate (RFC 2634)
// attribute names `certificate` first, by hash and, when present, issuer and serial, and each
// further certificate it names (a TSA names its chain) is among `others`. Sets `problem` when
// not.
bool names_certificate(const CMS_SignerInfo* si, X509* certificate,
                       const std::vector<X509*>& others, std::string& problem);

// The certificate path from `leaf` (chain.hpp's rules), each certificate's revocation status at
// `at` from `evidence`, and, when there are anchors, OpenSSL's path validation at `at` for
// `purpose` (X509_PURPOSE_*, 0 for any). `pool` holds the candidate issuers.
ChainReport chain_report(X509* leaf, const std::vector<X509*>& pool, const Evidence& evidence,
                         Clock::time_point at, int purpose);

// What `evidence` says of `certificate`, issued by `issuer`, at `at` (RevocationReport's rules).
RevocationReport revocation_report(X509* certificate, X509* issuer, const Evidence& evidence,
                                   Clock::time_point at);

// The signature-time-stamp attribute of `si`, checked (TimeStampReport's rules) with the TSA's
// chain at its genTime.
TimeStampReport time_stamp_report(CMS_SignerInfo* si, const Evidence& evidence);

}  // namespace signet::sign
