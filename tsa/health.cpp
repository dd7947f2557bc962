#include "tsa/health.hpp"

namespace signet::tsa {

TsaHealth assess_health(const Responder* responder, Clock::time_point now,
                        const std::string& unavailable_reason) {
    if (responder == nullptr)
        return {true, unavailable_reason};
    const ClockVerdict verdict = responder->clock_verdict();
    if (!verdict.usable)
        return {true, "answering timeNotAvailable: " + verdict.detail};
    const auto not_after = responder->certificate_not_after();
    if (now > not_after)
        return {true, "the TSA certificate expired at " + format_utc(not_after)};
    const bool ending = not_after - now < kCertificateRenewalWindow;
    std::string detail = verdict.detail + "; certificate valid until " + format_utc(not_after);
    if (ending) {
        detail +=
            " (less than " + std::to_string(kCertificateRenewalWindow.count()) + " days: renew it)";
    }
    return {verdict.lax || ending, std::move(detail)};
}

}  // namespace signet::tsa
