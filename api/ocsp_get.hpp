#pragma once

#include <optional>
#include <string_view>

#include "common/bytes.hpp"

namespace signet::api {

// The OCSPRequest DER carried by a GET (RFC 6960 Appendix A.1: "GET {url}/{url-encoding of
// base-64 encoding of the DER encoding of the OCSPRequest}"), from `encoded`, the request path
// after "/ocsp/", exactly as received (the router neither splits nor collapses '/').
//
// The rules, and why:
// - percent-decoding is undone once (RFC 3986 §2.1: '%' HEXDIG HEXDIG, either case); a '%' not
//   followed by two hex digits is not a URL encoding of anything;
// - '+' is a base64 character, not a space: the path is not a form (RFC 3986 has no '+' rule,
//   and clients such as OpenSSL send '+' raw);
// - raw '/', '+' and '=' are accepted as they are (most clients do not encode them), and "//" is
//   two base64 '/' characters;
// - then strict base64 (RFC 4648 §4): standard alphabet, padding required, no whitespace. The
//   URL-safe alphabet (§5, '-' and '_') is another encoding and not what A.1 names.
// nullopt when any rule fails, or nothing is left: the caller answers malformedRequest.
// Pure, allocation bounded by the input's size; never throws.
std::optional<Bytes> decode_ocsp_get_path(std::string_view encoded);

}  // namespace signet::api
