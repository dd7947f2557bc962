#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/handle.hpp"
#include "store/tsa_tokens.hpp"
#include "tsa/asn1.hpp"

// Reading and checking time-stamp tokens after the fact: what `signetctl tsa verify` and
// `tsa show` do, and what tests use besides `openssl ts -verify`.
namespace signet::tsa {

// A TimeStampToken (RFC 3161 §2.4.2: a CMS ContentInfo holding SignedData over a TSTInfo) and
// its decoded TSTInfo.
struct ParsedToken {
    Pkcs7Ptr token;
    TsTstInfoPtr info;
    bool from_response = false;  // the input was a whole TimeStampResp
};

// A TimeStampResp (its status must be granted or grantedWithMods; a rejection is
// Errc::failed_precondition naming the failInfo and the statusString) or a bare
// TimeStampToken, DER. Anything else is Errc::invalid_argument.
ParsedToken parse_token(ByteView der);

// What a token says, for people.
struct TokenSummary {
    Bytes serial;                    // magnitude
    std::string gen_time;            // as encoded, e.g. "20261122095500.123Z"
    Clock::time_point gen_time_utc;  // to the microsecond
    std::string policy;
    std::string imprint_algorithm;  // "sha256"... or the OID
    Bytes imprint;
    std::optional<Bytes> nonce;  // content octets
    std::string accuracy;        // "1 s", "500 ms", "none"
    bool ordering = false;
    std::optional<std::string> tsa_name;  // RFC 2253 text of a directoryName
    std::size_t certificates = 0;         // in the SignedData
    std::size_t signer_infos = 0;
};
TokenSummary summarize(const ParsedToken& token);

// What to check the token against.
struct VerifyOptions {
    // Trust anchors (PEM certificates); the chain from the TSA certificate must end at one.
    std::vector<X509Ptr> trusted;
    // Further certificates to build the chain with, e.g. the TSA certificate for a token
    // requested without certReq.
    std::vector<X509Ptr> untrusted;
    // A TimeStampReq (DER): its imprint, nonce and policy must be echoed.
    std::optional<Bytes> query;
    // Or the time-stamped data itself: its hash must be the imprint.
    std::optional<Bytes> data;
};

// RFC 3161 §2.4.2 and RFC 5816 as OpenSSL's TS_RESP_verify_token checks them: the CMS signature,
// the signing-certificate(-v2) attribute naming the signer, the signer's chain to a trust
// anchor with the time-stamping purpose, the version, and the query or data when given.
// Errc::failed_precondition with OpenSSL's reasons when it does not verify.
void verify_token(const ParsedToken& token, const VerifyOptions& options);

// The fields where a token and its database record differ (empty: they agree).
std::vector<std::string> compare_with_record(const TokenSummary& token,
                                             const store::TsaTokenRecord& record);

// Certificates from a PEM file (one or more). Errc::not_found, or invalid_argument when the file
// holds none.
std::vector<X509Ptr> read_pem_certificates(const std::string& path);

}  // namespace signet::tsa
