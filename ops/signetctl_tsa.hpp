#pragma once

#include <optional>

#include "ops/cli.hpp"

namespace signet::ops {

// The TSA's operator commands (tsa show, tsa verify), on the database that signet.yaml names.
// nullopt when `args` is not one of them.
std::optional<int> run_tsa_command(const Arguments& args);

// Their part of `signetctl --help`.
extern const char* const kTsaUsage;

}  // namespace signet::ops
