#pragma once

#include <optional>

#include "ops/cli.hpp"

namespace signet::ops {

// `signetctl evidence verify PACKAGE.zip --root PEM [--json]`: an evidence package verified
// offline (evidence/verify_package.hpp), no configuration, database, HSM or network. Returns 0
// when every check holds, 1 when one does not (each failure named); bad usage, an unreadable
// file and an archive the reader refuses throw (exit 2). nullopt when `args` is not this command.
std::optional<int> run_evidence_command(const Arguments& args);

// Its part of `signetctl --help`.
extern const char* const kEvidenceUsage;

}  // namespace signet::ops
