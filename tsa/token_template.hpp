#pragma once

// A granted TimeStampResp assembled from a template instead of OpenSSL's generic TS and PKCS#7
// code (issue 16: that code cost about 85 us of CPU per token, more than the host's whole budget
// beside the signature).
//
// What every token of one TSA shares is made once. From a token OpenSSL's TS_RESP_CTX made with
// the same settings (the "sample"): the SignedData's digest algorithms, the SignerInfo's version,
// identifier and algorithms, the TSTInfo's accuracy, ordering and TSA name. From the signer's
// certificate and chain: the certificates sent on certReq and the signing-certificate-v2
// attribute (RFC 5816, ESSCertIDv2 as OpenSSL makes it). Per token only the TSTInfo (RFC 3161
// §2.4.2), its digest in the messageDigest attribute, the signingTime attribute and the signature
// over the signed attributes (RFC 5652 §5.4) are made, with the DER writer of common/der.hpp.
//
// The sample need not be signed with the TSA's key: the responder has it signed by a stand-in key
// under a copy of the TSA certificate carrying the stand-in's public key, so that no token with
// the TSA's key exists before its row is recorded (DESIGN.md invariant 2) and the start needs no
// HSM. It then checks a template over the stand-in against that sample (reproduces_sample).
// tests/tsa/token_template_test.cpp compares the TSA key's tokens with OpenSSL's, part by part.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/handle.hpp"
#include "tsa/asn1.hpp"

namespace signet::tsa {

// What one token says, as recorded before it is signed.
struct TokenFields {
    ByteView message_imprint;            // the request's MessageImprint, its DER as sent (§2.4.2:
                                         // "MUST have the same value")
    std::string_view policy;             // dotted OID, one of the template's policies
    ByteView serial;                     // magnitude, no leading zero octets
    std::string_view gen_time;           // GeneralizedTime text, e.g. "20261207200109.71Z"
    Clock::time_point signing_time;      // the signingTime attribute's instant
    std::optional<ByteView> nonce;       // content octets of the request's INTEGER
    bool cert_req = false;
};

// Who signs the tokens, and with what.
struct TemplateSigner {
    const X509* certificate = nullptr;  // the signer's (its issuer and serial must be the sample's)
    std::vector<const X509*> chain;     // sent after it on certReq
    bool ess_chain = false;             // the chain's ESSCertIDv2 after the signer's (RFC 5035 §5.4)
    EVP_PKEY* key = nullptr;            // signs; used from many threads at once
    const EVP_MD* signing_digest = nullptr;  // the SignerInfo's digest (the sample's)
    const EVP_MD* ess_digest = nullptr;      // ESSCertIDv2's hash (RFC 5816: SHA-256)
};

class TokenTemplate {
  public:
    // `sample`: a granted TimeStampResp from OpenSSL for a request with certReq TRUE, signed with
    // `signer.signing_digest` and the signed attributes contentType, signingTime, messageDigest
    // and signing-certificate-v2 only. `policies`: every policy a token may carry. Errc::crypto
    // when the sample is not such a token.
    TokenTemplate(const TS_RESP* sample, const TemplateSigner& signer,
                  const std::vector<std::string>& policies);

    // The DER TimeStampResp (status granted) carrying the token for `fields`. Signs once with the
    // key. Thread-safe. Errc::crypto when the signature fails; Errc::invalid_argument for a
    // policy the template was not made with.
    Bytes encode(const TokenFields& fields) const;

  private:
    Bytes tst_info(const TokenFields& fields) const;
    Bytes signed_attributes(ByteView tst_info, Clock::time_point signing_time) const;

    EVP_PKEY* key_;
    const EVP_MD* digest_;
    std::map<std::string, Bytes, std::less<>> policies_;  // dotted -> OBJECT IDENTIFIER DER
    Bytes accuracy_;                // TSTInfo.accuracy, or empty
    Bytes ordering_;                // TSTInfo.ordering when TRUE, or empty
    Bytes tsa_name_;                // TSTInfo.tsa ([0] EXPLICIT GeneralName), or empty
    Bytes digest_algorithms_;       // SignedData.digestAlgorithms (the SET)
    Bytes certificates_;            // SignedData.certificates ([0] IMPLICIT), for certReq
    Bytes signer_prefix_;           // SignerInfo: version, sid, digestAlgorithm
    Bytes signature_algorithm_;     // SignerInfo.signatureAlgorithm
    Bytes signing_certificate_;     // the signing-certificate-v2 Attribute
};

// Empty when `ours`, a template's token for the sample's own request, serial and genTime signed
// by `signer` (the sample's signer), is the sample but for the signingTime value and the signature:
// DER that OpenSSL reads back to the same bytes, the sample's TSTInfo, certificates, SignerInfo
// identifier and algorithms, and signed attributes in the sample's (DER) order with the same
// values, and a signature that verifies with `signer`'s key. Else what differs.
std::string differences_from_sample(const TS_RESP* sample, ByteView ours, X509* signer);

}  // namespace signet::tsa
