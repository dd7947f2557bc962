#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace signet {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string to_hex(ByteView bytes);
// Throws Errc::invalid_argument on odd length or a non-hex character.
Bytes from_hex(std::string_view hex);
// The value of one hex digit (either case), or -1.
int hex_value(char c) noexcept;

// Base64 (RFC 4648 §4, with padding). Decoding is strict: no whitespace, padding only at the
// end, length a multiple of 4; Errc::invalid_argument otherwise.
std::string to_base64(ByteView bytes);
Bytes from_base64(std::string_view text);

}  // namespace signet
