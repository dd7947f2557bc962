#pragma once

#include <array>

// Request ids: a random (version 4) UUID per request, from a per-thread generator (no lock).
// It only has to be unique, not secret: it names a request in logs, problem documents and the
// X-Request-Id header.
namespace signet::api::detail {

using RequestId = std::array<char, 36>;

void new_request_id(RequestId& out);

}  // namespace signet::api::detail
