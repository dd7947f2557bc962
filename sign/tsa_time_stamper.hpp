#pragma once

#include "sign/cms_signature.hpp"
#include "tsa/responder.hpp"

namespace signet::sign {

// A TimeStamper over Signet's own TSA in this process. For each call it builds a TimeStampReq
// (RFC 3161 §2.4.1: version 1, the imprint, no reqPolicy — the TSA's default policy applies —,
// a random 64-bit nonce, certReq true, so the token carries the TSA's certificate as the
// validation of a B-T signature needs), hands it to `responder.respond` with `requester` for the
// record, and returns the token of a response whose status is granted, after checking that the
// token's imprint and nonce are the request's. Errors, with no token:
//   - a digest the TSA's policy does not accept: Errc::failed_precondition, before asking;
//   - timeNotAvailable or systemFailure (the TSA's clock or database cannot serve):
//     Errc::unavailable, naming the failInfo;
//   - any other rejection, or grantedWithMods: Errc::failed_precondition, naming it;
//   - a token that does not echo the imprint or the nonce: Errc::internal.
// `responder` must outlive the time-stamper. Thread-safe as the responder is.
TimeStamper tsa_time_stamper(tsa::Responder& responder, tsa::Requester requester);

// One token as tsa_time_stamper makes it, with the caller's nonce instead of a random one: the
// magnitude of a non-negative INTEGER, big-endian (RFC 3161 §2.4.1: the nonce is an INTEGER the
// client chose; the CSC API's signatures/timestamp passes the platform's, csc/). The same
// errors, and Errc::invalid_argument for a nonce longer than tsa::kMaxNonceBytes.
Bytes time_stamp_with_nonce(tsa::Responder& responder, const tsa::Requester& requester,
                            Digest algorithm, ByteView imprint, ByteView nonce);

}  // namespace signet::sign
