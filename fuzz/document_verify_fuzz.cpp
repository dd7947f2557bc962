// The document verifier behind `POST /v1/verify` and `signetctl verify`
// (sign::verify_document): a PDF (intake, every signature field, the later-revision comparison,
// the /DSS, each CMS and document time-stamp, the B-LTA check on the file cut at each
// time-stamp's revision) or a detached CMS over given data, from bytes a relying party hands
// us; and both renderings of the report. Seeds: PDFs and a CMS the tests signed
// (tests/sign/verify_document_test.cpp with SIGNET_DOCUMENT_VERIFY_CORPUS_DIR set), garbage.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "common/error.hpp"
#include "sign/verify_document.hpp"
#include "sign/verify_report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const signet::ByteView input(data, size);
    signet::sign::DocumentVerifyOptions options;
    // A fixed validation time: inputs must behave the same on every run.
    options.now = std::chrono::system_clock::time_point(std::chrono::seconds(1'796'600'000));
    // A PDF ignores it; a CMS is checked against it (its signatures simply do not match).
    options.detached_content = signet::as_bytes("the signed data");
    // The fuzzer's memory limit, not the policy's: large inputs teach nothing more.
    options.pdf.max_bytes = 1024 * 1024;
    try {
        const auto report = signet::sign::verify_document(input, options);
        (void)signet::sign::report_json(report).dump();
        (void)signet::sign::report_text(report);
    } catch (const signet::Error&) {
        // A clear refusal is the expected outcome for most inputs.
    }
    return 0;
}
