#pragma once

#include <string_view>

namespace signet::web {

// Whether an If-None-Match field (RFC 9110 §13.1.2) matches `etag` (a strong, quoted tag):
// "*", or a list naming it, compared weakly as that section says (W/"x" matches "x"). A
// malformed list matches nothing, so the full answer goes out. Bounded: the first 4 KiB.
bool none_match_matches(std::string_view if_none_match, std::string_view etag) noexcept;

}  // namespace signet::web
