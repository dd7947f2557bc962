#include "ocsp/health.hpp"

#include "common/error.hpp"

namespace signet::ocsp {

HealthVerdict assess_health(store::CertificateReader& certificates, const Clock& clock,
                            const policy::OcspSettings& settings) noexcept {
    try {
        const auto now = clock.now();
        std::string problems;
        std::size_t cas = 0;
        auto add = [&](const std::string& problem) {
            problems += (problems.empty() ? "" : "; ") + problem;
        };
        for (const auto& ca : certificates.list_cas()) {
            if (ca.role != "issuing")
                continue;
            ++cas;
            const auto responder = certificates.find_service("ocsp:" + ca.name);
            if (!responder) {
                add("CA '" + ca.name + "' has no OCSP responder certificate");
            } else if (responder->status != "issued") {
                add("CA '" + ca.name + "': its OCSP responder certificate is " + responder->status);
            } else if (responder->not_after <= now) {
                add("CA '" + ca.name + "': its OCSP responder certificate expired at " +
                    format_utc(responder->not_after));
            } else if (responder->not_after - now <= settings.responder_renew_before) {
                add("CA '" + ca.name + "': its OCSP responder certificate expires at " +
                    format_utc(responder->not_after) + " and has not been renewed");
            }
        }
        if (!problems.empty())
            return {false, problems};
        return {true, std::to_string(cas) + " issuing CA(s) with a current responder certificate"};
    } catch (const std::exception& e) {
        return {false, std::string("OCSP responder certificates unknown: ") + e.what()};
    }
}

}  // namespace signet::ocsp
