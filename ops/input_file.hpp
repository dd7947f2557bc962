#pragma once

#include <cstddef>
#include <string>

#include "common/bytes.hpp"

namespace signet::ops {

// A file a command checks (a signed PDF, a CMS, an evidence package), read whole but never
// beyond `max` bytes: a larger file is refused as soon as it passes the bound, so an oversized
// input costs at most `max` bytes of memory. Errc::invalid_argument naming the path.
Bytes read_input_file(const std::string& path, std::size_t max);

}  // namespace signet::ops
