#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

// The query strings of the /v1 routes (RFC 3986 §3.4): "a=1&b=2". Their values are names,
// digits and hex, so no percent-decoding is needed, and a '%' is refused rather than misread.
namespace signet::api {

// Errc::invalid_argument for a '%', or a parameter given twice ("query parameter 'limit' given
// twice"). An empty pair ("a=1&&b=2") is skipped; "a" alone is a = "".
std::map<std::string, std::string> query_parameters(std::string_view query);

// A decimal integer in [min, max]: "'limit' must be an integer from 1 to 1000".
std::int64_t query_integer(std::string_view value, std::string_view name, std::int64_t min,
                           std::int64_t max);

}  // namespace signet::api
