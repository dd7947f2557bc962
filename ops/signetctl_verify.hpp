#pragma once

#include <optional>

#include "ops/cli.hpp"

namespace signet::ops {

// `signetctl verify FILE [--data FILE] [--trust PEM] [--json]`: a signed PDF or a detached CMS
// verified offline (sign/verify_document.hpp), no configuration, database or HSM. Returns 0
// when every signature is valid, 1 when one is not; bad usage and unreadable or malformed input
// throw (exit 2). nullopt when `args` is not this command.
std::optional<int> run_verify_command(const Arguments& args);

// Its part of `signetctl --help`.
extern const char* const kVerifyUsage;

}  // namespace signet::ops
