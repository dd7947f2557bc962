#pragma once

#include <optional>

#include "ops/cli.hpp"

namespace signet::ops {

// The tamper-evident log's operator commands (audit verify, audit checkpoint, audit export).
// nullopt when `args` is not one of them.
std::optional<int> run_audit_command(const Arguments& args);

// Their part of `signetctl --help`.
extern const char* const kAuditUsage;

}  // namespace signet::ops
