#include "ops/signetctl_evidence.hpp"

#include <iostream>

#include "common/error.hpp"
#include "ops/input_file.hpp"
#include "evidence/verify_package.hpp"
#include "tsa/verify.hpp"

namespace signet::ops {

const char* const kEvidenceUsage =
    R"(Evidence packages (offline: no configuration, database or HSM needed):
  evidence verify PACKAGE.zip --root PEM [--json]
                                         check an evidence package (docs/evidence.md): every
                                         file against manifest.json and its seal manifest.p7s,
                                         the evidence certificate and the document's
                                         signatures, each audit event's inclusion proof against
                                         the signed, time-stamped checkpoint, the contract
                                         events' time-stamps; --root: the root certificates
                                         (PEM: the CA's and the TSA's) every chain must lead
                                         to; --json: the report as JSON. Exit status 0: every
                                         check holds; 1: one does not (named: the file, the
                                         event, the signature); 2: bad usage or input
)";

namespace {

int verify(const Arguments& args) {
    args.allow({"root", "json"});
    if (args.words.size() != 3)
        throw UsageError("'evidence verify' needs exactly one PACKAGE.zip");
    if (!args.options.contains("root"))
        throw UsageError("'evidence verify' needs --root PEM (the roots the chains lead to)");
    const std::string& path = args.words[2];
    evidence::PackageVerifyOptions options;
    options.now = std::chrono::system_clock::now();
    try {
        options.roots = tsa::read_pem_certificates(args.options.at("root"));
    } catch (const Error& e) {
        throw Error(Errc::invalid_argument, std::string("--root: ") + e.what());
    }
    const Bytes package = read_input_file(path, options.limits.max_archive_bytes);
    evidence::PackageReport report;
    try {
        report = evidence::verify_package(package, options);
    } catch (const Error& e) {
        throw Error(e.code(), path + ": " + e.what());
    }
    if (args.options.contains("json"))
        std::cout << evidence::report_json(report).dump(2) << "\n";
    else
        std::cout << path << ": " << evidence::report_text(report);
    return report.valid() ? 0 : 1;
}

}  // namespace

std::optional<int> run_evidence_command(const Arguments& args) {
    if (args.words.size() < 2 || args.words[0] != "evidence" || args.words[1] != "verify")
        return std::nullopt;
    return verify(args);
}

}  // namespace signet::ops
