#include "audit/checkpoint_json.hpp"

namespace signet::audit {

nlohmann::json checkpoint_json(const SignedCheckpoint& checkpoint) {
    return {
        {"origin", checkpoint.checkpoint.origin},
        {"size", checkpoint.checkpoint.size},
        {"root", to_base64(checkpoint.checkpoint.root)},
        {"time", format_utc(checkpoint.checkpoint.time)},
        {"body", checkpoint.body},
        {"signature", to_base64(checkpoint.signature)},
        {"certificate", to_base64(checkpoint.certificate_der)},
        {"time_stamp_token", to_base64(checkpoint.time_stamp_token)},
    };
}

}  // namespace signet::audit
