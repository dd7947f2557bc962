#pragma once

// Internal to evidence/: what verify_package's parts share — the package's files, the
// certificates it carries, the roots, and the report being written.
#include <map>
#include <string>
#include <vector>

#include "common/handle.hpp"
#include "evidence/verify_package.hpp"
#include "sign/cms_verify.hpp"

namespace signet::evidence {

struct Verification {
    std::map<std::string, Bytes> files;
    std::vector<X509Ptr>
        pool;  // every certificate the package carries (certificates/, validation/)
    const PackageVerifyOptions& options;
    PackageReport report;
    // The SHA-256 (hex) of the certificate that sealed manifest.json, once verify_manifest
    // accepted it: the evidence certificate must be signed by the same one.
    std::string seal_sha256;

    void pass(const std::string& subject, std::string detail) {
        report.checks.push_back({subject, true, std::move(detail)});
    }
    void fail(const std::string& subject, std::string detail) {
        report.checks.push_back({subject, false, std::move(detail)});
    }
    const Bytes* file(const std::string& path) const {
        const auto it = files.find(path);
        return it == files.end() ? nullptr : &it->second;
    }
    // VerifyOptions with the roots as anchors and the package's certificates as external data.
    sign::VerifyOptions verify_options() const;
    // "" when `leaf` chains to a root through the package's certificates at `at`, else why not.
    std::string chain_problem(X509* leaf, Clock::time_point at) const;
};

// "" when a time-stamp's TSA chains to a root and no certificate of its chain is revoked, else
// why not: what every token of a package must satisfy for its time to be believed.
std::string tsa_problem(const sign::TimeStampReport& time_stamp);

// The checkpoint, the audit events and their proofs, the contract events' time-stamps.
void verify_audit(Verification& v);

}  // namespace signet::evidence
