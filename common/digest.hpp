#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/bytes.hpp"

namespace signet {

using Sha256Digest = std::array<std::uint8_t, 32>;

// SHA-256 with a digest fetched once. Errc::crypto if OpenSSL fails.
Sha256Digest sha256_of(std::string_view data);
Sha256Digest sha256_of(ByteView data);

}  // namespace signet
