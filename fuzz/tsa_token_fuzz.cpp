// The time-stamp token reader behind `signetctl tsa verify` and `tsa show`: a TimeStampResp or a
// bare TimeStampToken (RFC 3161 §2.4.2), DER, from a file a relying party hands us.
#include <cstddef>
#include <cstdint>

#include "common/error.hpp"
#include "tsa/verify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const signet::tsa::ParsedToken token =
            signet::tsa::parse_token(signet::ByteView(data, size));
        (void)signet::tsa::summarize(token);
    } catch (const signet::Error&) {
        // A clear refusal is the expected outcome for most inputs.
    }
    return 0;
}
