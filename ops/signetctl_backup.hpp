#pragma once

#include <optional>

#include "ops/cli.hpp"

namespace signet::ops {

// `signetctl backup [info]` and `signetctl restore` through pgBackRest (docs/evidence.md
// "Backup, restore and standby (runbook)"). nullopt when `args` is not one of them.
std::optional<int> run_backup_command(const Arguments& args);

// Their part of `signetctl --help`.
extern const char* const kBackupUsage;

}  // namespace signet::ops
