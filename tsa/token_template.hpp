#pragma once

// A granted TimeStampResp assembled from a template instead of OpenSSL's generic TS and PKCS#7
// code (issue 16: that code cost about 85 us of CPU per token, more than the host's whole budget
// beside the signature).
//
// What every token of one TSA shares — the SignedData's digest algorithms, the certificates
// (certReq), the SignerInfo's identifier and algorithms, the signing-certificate-v2 attribute,
// the TSTInfo's accuracy and TSA name — is taken once from a token OpenSSL's TS_RESP_CTX made with
// the same settings (the "sample"). Per token only the TSTInfo (RFC 3161 §2.4.2), its digest in
// the messageDigest attribute, the signingTime attribute and the signature over the signed
// attributes (RFC 5652 §5.4) are made, with the DER writer of common/der.hpp.
//
// The responder checks the template at start: the sample's request encoded here, with the
// sample's serial and genTime, must give the sample's TSTInfo byte for byte and a token that
// OpenSSL's own verifier accepts (tests/tsa/token_template_test.cpp compares every part).
#include <map>
#include <optional>
#include <string>

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

class TokenTemplate {
  public:
    // `sample`: a granted TimeStampResp from OpenSSL for a request with certReq TRUE, signed with
    // `key` and `signing_digest`. `policies`: every policy a token may carry. Errc::crypto when
    // the sample is not such a token.
    TokenTemplate(const TS_RESP* sample, EVP_PKEY* key, const EVP_MD* signing_digest,
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
    Bytes signing_certificate_;     // the signing-certificate(-v2) Attribute
};

}  // namespace signet::tsa
