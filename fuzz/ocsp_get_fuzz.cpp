// libFuzzer target: the OCSP GET path decoder (api::decode_ocsp_get_path: percent-decoding once,
// then strict base64). Any input must end in bytes or nullopt, never a throw, a crash or a leak;
// and what it accepts must be what it says: without a percent-escape the input is exactly the
// base64 of the bytes returned (RFC 4648 §4 has one encoding per byte string, given zero pad bits).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "api/ocsp_get.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::optional<signet::Bytes> der;
    try {
        der = signet::api::decode_ocsp_get_path(text);
    } catch (...) {
        std::abort();  // a client's URL made the handler throw: a 500, not a malformedRequest
    }
    if (!der)
        return 0;
    if (der->empty() || der->size() > size)
        std::abort();
    if (text.find('%') == std::string_view::npos) {
        // Non-zero pad bits ("AB==" vs "AA==") decode to the same bytes: compare up to them.
        const std::string again = signet::to_base64(*der);
        if (again.size() != text.size())
            std::abort();
        const std::size_t pad = static_cast<std::size_t>(std::count(text.begin(), text.end(), '='));
        const std::size_t exact = again.size() - pad - (pad > 0 ? 1 : 0);
        if (text.substr(0, exact) != std::string_view(again).substr(0, exact))
            std::abort();
    }
    return 0;
}
