#pragma once

#include <optional>

#include "ops/cli.hpp"

namespace signet::ops {

// The CA's operator commands (ceremony, subject, cert, crl), on the HSM and the database that
// signet.yaml names. nullopt when `args` is not one of them.
std::optional<int> run_ca_command(const Arguments& args);

// Their part of `signetctl --help`.
extern const char* const kCaUsage;

}  // namespace signet::ops
