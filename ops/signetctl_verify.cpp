#include "ops/signetctl_verify.hpp"

#include <iostream>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "ops/input_file.hpp"
#include "sign/verify_document.hpp"
#include "sign/verify_report.hpp"
#include "tsa/verify.hpp"

namespace signet::ops {

const char* const kVerifyUsage =
    R"(Verification (offline: no configuration, database or HSM needed):
  verify FILE [--data FILE] [--trust PEM] [--json]
                                         check a signed PDF (each signature and document
                                         time-stamp) or a detached CMS signature (DER) over
                                         --data: signer and chain, the time its time-stamp
                                         proves, whether the signed bytes are intact, what each
                                         signature covers and whether later revisions only
                                         added signatures, /DSS and time-stamps, revocation at
                                         signing time from the embedded data, and the level
                                         (B-B, B-T, B-LT, B-LTA); --trust: root certificates
                                         (PEM) the chains must lead to (without it chains are
                                         shown, not trusted); --json: the report as JSON, the
                                         shape POST /v1/verify answers. Exit status 0: every
                                         signature valid; 1: not; 2: bad usage or input
)";

namespace {

std::vector<X509Ptr> trust_anchors(const std::string& path) {
    try {
        return tsa::read_pem_certificates(path);
    } catch (const Error& e) {
        // An unreadable --trust file is bad input (exit 2), whatever the reader's code.
        throw Error(Errc::invalid_argument, std::string("--trust: ") + e.what());
    }
}

int verify(const Arguments& args) {
    args.allow({"data", "trust", "json"});
    if (args.words.size() != 2)
        throw UsageError("'verify' needs exactly one FILE");
    const std::string& path = args.words[1];
    sign::DocumentVerifyOptions options;
    options.now = std::chrono::system_clock::now();
    const Bytes document = read_input_file(path, options.pdf.max_bytes);
    Bytes data;
    if (args.options.contains("data")) {
        data = read_input_file(args.options.at("data"), options.pdf.max_bytes);
        options.detached_content = ByteView(data);
    }
    if (args.options.contains("trust"))
        options.trust_anchors = trust_anchors(args.options.at("trust"));
    sign::DocumentReport report;
    try {
        report = sign::verify_document(document, options);
    } catch (const Error& e) {
        std::string message = path + ": " + e.what();
        if (e.code() == Errc::invalid_argument && !options.detached_content &&
            message.find("needs the signed data") != std::string::npos)
            message += " (--data FILE)";
        throw Error(e.code(), message);
    }
    if (args.options.contains("json"))
        std::cout << sign::report_json(report).dump(2) << "\n";
    else
        std::cout << path << ": " << sign::report_text(report);
    return report.valid ? 0 : 1;
}

}  // namespace

std::optional<int> run_verify_command(const Arguments& args) {
    if (args.words.empty() || args.words[0] != "verify")
        return std::nullopt;
    return verify(args);
}

}  // namespace signet::ops
