#include "api/ocsp_get.hpp"

#include <string>

#include "common/error.hpp"

namespace signet::api {

std::optional<Bytes> decode_ocsp_get_path(std::string_view encoded) {
    std::string base64;
    base64.reserve(encoded.size());
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded[i] != '%') {
            base64 += encoded[i];
            continue;
        }
        // RFC 3986 §2.1: a percent-encoded octet is exactly three characters.
        if (i + 2 >= encoded.size())
            return std::nullopt;
        const int high = hex_value(encoded[i + 1]);
        const int low = hex_value(encoded[i + 2]);
        if (high < 0 || low < 0)
            return std::nullopt;
        base64 += static_cast<char>(high * 16 + low);
        i += 2;
    }
    if (base64.empty())
        return std::nullopt;
    try {
        return from_base64(base64);  // RFC 4648 §4, padding required, nothing else
    } catch (const Error&) {
        return std::nullopt;
    }
}

}  // namespace signet::api
