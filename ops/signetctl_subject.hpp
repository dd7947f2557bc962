#pragma once

#include <optional>

#include "ops/cli.hpp"

namespace signet::ops {

// The RA officer's commands (subject add, verify, update, deactivate, show, list, unlock-otp),
// through ra::Registry on the HSM and the database that signet.yaml names. nullopt when `args`
// is not one of them.
std::optional<int> run_subject_command(const Arguments& args);

// Their part of `signetctl --help`.
extern const char* const kSubjectUsage;

}  // namespace signet::ops
