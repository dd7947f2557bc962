#pragma once

// A signed checkpoint as JSON: what GET /v1/audit/checkpoints/... answers, what a witness
// receives, and each line of `signetctl audit export`. Binary values in standard base64.

#include <nlohmann/json.hpp>

#include "audit/checkpoint.hpp"

namespace signet::audit {

// {"origin", "size", "root", "time", "body", "signature", "certificate", "time_stamp_token"}.
nlohmann::json checkpoint_json(const SignedCheckpoint& checkpoint);

}  // namespace signet::audit
