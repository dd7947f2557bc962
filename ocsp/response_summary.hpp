#pragma once

#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "common/clock.hpp"

namespace signet::ocsp {

// What a pre-signed response says, read back from its DER: the cache keeps a revoked response
// over a good one whatever their times (a late good one from a node that read the certificate
// before its revocation must not win), and `signetctl ocsp show` prints it.
struct ResponseSummary {
    enum class Status { good, revoked, unknown };
    Status status = Status::unknown;
    Clock::time_point this_update{};
    std::optional<Clock::time_point> next_update;
    Clock::time_point produced_at{};
    std::optional<Clock::time_point> revocation_time;
    std::optional<int> revocation_reason;  // RFC 5280 CRLReason, when the response names one
    Bytes serial;                          // of the first SingleResponse's CertID
};

std::string_view to_string(ResponseSummary::Status status) noexcept;

// The first SingleResponse of a successful OCSPResponse (RFC 6960 §4.2.1) whose response type is
// id-pkix-ocsp-basic. Does not verify the signature (the responder made it). Errc::invalid_argument
// for anything else, trailing bytes included; never crashes (fuzz/ocsp_summary_fuzz.cpp).
ResponseSummary summarize_response(ByteView der);

}  // namespace signet::ocsp
