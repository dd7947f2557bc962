#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/algorithms.hpp"
#include "common/bytes.hpp"
#include "policy/config.hpp"
#include "tsa/asn1.hpp"

// The RFC 3161 protocol: what a TimeStampReq must be to be served, and the TimeStampResp that
// refuses it. Pure functions over bytes and the policy: no HSM, no database, no clock.
namespace signet::tsa {

// PKIFailureInfo (RFC 3161 §2.4.2), by bit number.
enum class Failure : int {
    bad_alg = 0,                  // unrecognized or unsupported Algorithm Identifier
    bad_request = 2,              // transaction not permitted or supported
    bad_data_format = 5,          // the data submitted has the wrong format
    time_not_available = 14,      // the TSA's time source is not available
    unaccepted_policy = 15,       // the requested TSA policy is not supported by the TSA
    unaccepted_extension = 16,    // the requested extension is not supported by the TSA
    add_info_not_available = 17,  // the additional information requested could not be understood
    system_failure = 25,          // the request cannot be handled due to system failure
};

// RFC 3161's names: "badAlg", "badRequest", ...
std::string_view to_string(Failure failure) noexcept;

// The largest TimeStampReq served. A real one is under 200 bytes (version, a 64-byte imprint at
// most, a policy, a nonce, certReq); the bound keeps the parser's work small (DESIGN.md
// invariant 7). The HTTP route's body limit is the same.
inline constexpr std::size_t kMaxRequestBytes = 16 * 1024;
// The longest nonce accepted, in content octets. RFC 3161 §2.4.1 suggests a 64-bit one.
inline constexpr std::size_t kMaxNonceBytes = 64;

// Why a request is refused: the failInfo bit and the statusString sent back.
struct Rejection {
    Failure failure;
    std::string reason;
};

// A request that passed every check, with what the TSTInfo will echo.
struct CheckedRequest {
    Digest digest;               // the messageImprint's hash algorithm
    Bytes imprint;               // hashedMessage
    Bytes message_imprint_der;   // the whole MessageImprint as sent (the token repeats it)
    std::string policy;          // the policy the token will carry (dotted OID)
    std::optional<Bytes> nonce;  // content octets of the INTEGER
    bool cert_req = false;
};

// Checks a TimeStampReq against RFC 3161 §2.4.1 and the policy, in this order:
//   empty, over kMaxRequestBytes, not one DER-encoded TimeStampReq (BER forms such as
//   indefinite lengths or non-minimal integers, trailing bytes) -> badDataFormat;
//   version not 1 -> badRequest;
//   hash algorithm not in the policy's digests (SHA-1, MD5 and every other never) -> badAlg;
//   its parameters neither absent nor NULL -> badAlg;
//   hashedMessage not the algorithm's length -> badDataFormat;
//   reqPolicy neither the default policy nor an accepted one -> unacceptedPolicy;
//   a nonce over kMaxNonceBytes -> badDataFormat;
//   any extension -> unacceptedExtension.
std::variant<CheckedRequest, Rejection> check_request(ByteView der,
                                                      const policy::TsaSettings& settings);

// The longest statusString sent.
inline constexpr std::size_t kMaxStatusTextBytes = 256;

// A TimeStampResp with status rejection(2), the reason as its statusString and `failure` as
// its failInfo; no token (RFC 3161 §2.4.2). The statusString is printable ASCII, cut to
// kMaxStatusTextBytes: any other byte of the reason is sent as '?'.
Bytes rejection_response(const Rejection& rejection);

}  // namespace signet::tsa
