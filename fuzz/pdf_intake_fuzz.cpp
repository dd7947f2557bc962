// The PDF intake path (sign/pdf_document.hpp) and the signature reader (sign/pdf_reader.hpp)
// behind verification, on a document anyone may submit; then a signature revision prepared on
// what was accepted, so the writer meets every form the intake lets through.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "common/error.hpp"
#include "sign/pdf_document.hpp"
#include "sign/pdf_reader.hpp"
#include "sign/pdf_signature.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    signet::sign::PdfLimits limits;
    limits.max_bytes = 1024 * 1024;
    limits.max_objects = 20'000;
    limits.max_stream_bytes = 1024 * 1024;
    try {
        const auto doc = signet::sign::PdfDocument::open(signet::ByteView(data, size), limits);
        (void)signet::sign::read_signatures(doc);
        signet::sign::SignatureRequest request;
        request.signing_time = std::chrono::system_clock::time_point{};
        request.contents_size = 64;
        auto prepared = signet::sign::prepare_signature(doc, request);
        prepared.embed(prepared.digest());
    } catch (const signet::Error&) {
        // A clear refusal is the expected outcome for most inputs.
    }
    return 0;
}
