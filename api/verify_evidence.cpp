#include "api/verify_evidence.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "evidence/verify_package.hpp"

namespace signet::api {

bool looks_like_zip(std::string_view bytes) noexcept {
    return bytes.starts_with(std::string_view("PK\x03\x04", 4));
}

evidence::ZipLimits package_limits(std::size_t max_document_bytes) {
    evidence::ZipLimits limits;
    const std::size_t most = max_document_bytes + kVerifyOverhead;
    limits.max_entry_bytes = std::min(limits.max_entry_bytes, most);
    limits.max_total_bytes = std::min(limits.max_total_bytes, most);
    return limits;
}

Response verify_evidence_package(const VerifyServices& services, std::string_view zip,
                                 const std::string& where) {
    evidence::PackageVerifyOptions options;
    if (services.trust_anchors)
        options.roots = services.trust_anchors();
    // "Valid" means the package leads to this appliance's roots; without one there is nothing
    // to judge it against, which is the appliance's state, not the caller's input.
    if (options.roots.empty())
        throw Error(Errc::failed_precondition,
                    "this appliance has no root CA yet (run the key ceremony): an evidence "
                    "package is verified against the appliance's own root CAs");
    options.now = services.clock.now();
    options.limits = package_limits(services.max_document_bytes);
    evidence::PackageReport report;
    try {
        report = evidence::verify_package(as_bytes(zip), options);
    } catch (const Error& e) {
        if (e.code() != Errc::invalid_argument)
            throw;
        throw Error(Errc::invalid_argument, where + ": " + e.what());
    }
    nlohmann::json body = evidence::report_json(report);
    body["format"] = std::string(kEvidencePackageFormat);
    return Response::json(body.dump() + "\n");
}

}  // namespace signet::api
