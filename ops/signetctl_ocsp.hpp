#pragma once

#include <optional>

#include "ops/cli.hpp"

namespace signet::ops {

// The OCSP operator commands (ocsp show), on the database that signet.yaml names. nullopt when
// `args` is not one of them.
std::optional<int> run_ocsp_command(const Arguments& args);

// Their part of `signetctl --help`.
extern const char* const kOcspUsage;

}  // namespace signet::ops
