#pragma once

#include <chrono>
#include <string>

#include "common/clock.hpp"
#include "tsa/responder.hpp"

// The TSA's part of /healthz: whether this node issues time-stamp tokens as it should. The rule
// lives here, with the responder; api/ only shows the verdict (DESIGN.md: api/ holds no
// business rule).
namespace signet::tsa {

// How long before its notAfter the TSA certificate is reported: time to run the key ceremony
// for its successor, and to let clients fetch the new chain.
inline constexpr std::chrono::days kCertificateRenewalWindow{30};

struct TsaHealth {
    // Degraded: the node serves everything else, but the TSA does not issue as it should
    // (timeNotAvailable, systemFailure) or does so on borrowed terms (an untrusted clock the
    // development policy allows, a certificate about to end).
    bool degraded = true;
    std::string detail;
};

// `responder` null means no TSA (no certificate yet, or one that cannot sign):
// `unavailable_reason` says why. Otherwise, at `now`: degraded when the clock is unusable
// (the responder answers timeNotAvailable), when the TSA certificate has expired or ends
// within kCertificateRenewalWindow, and when tokens are issued on an untrusted clock only
// because tsa.allow_unsynchronized_clock says so; else ok.
TsaHealth assess_health(const Responder* responder, Clock::time_point now,
                        const std::string& unavailable_reason);

}  // namespace signet::tsa
