// The reader of pre-signed OCSP responses (ocsp/response_summary.hpp): what the cache reads
// from every response it is offered (a live-signed one included) and `signetctl ocsp show`
// prints. Bytes from the database or the responder, but never trusted to be well formed.
#include <cstddef>
#include <cstdint>

#include "common/error.hpp"
#include "ocsp/response_summary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        (void)signet::ocsp::summarize_response(signet::ByteView(data, size));
    } catch (const signet::Error&) {
        // A clear refusal is the expected outcome for most inputs.
    }
    return 0;
}
