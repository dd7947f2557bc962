#pragma once

// The audit log's tree rebuilt from the leaves and compared with what the database says about it
// (signetctl audit verify): every stored subtree hash (audit_tree) and every checkpoint's root
// (audit_checkpoints, the signed body and its columns). Leaves are taken as stored: audit::verify
// (audit/log.hpp) recomputes each from its event first. Signatures and time-stamps are the
// caller's (they need the PKI).

#include <cstdint>
#include <optional>
#include <string>

#include "store/database.hpp"

namespace signet::audit {

struct TreeVerifyReport {
    std::uint64_t leaves = 0;
    std::uint64_t stored_subtrees = 0;  // compared
    std::uint64_t checkpoints = 0;      // compared
    // The first thing that does not match, in log order ("stored subtree level 4 index 2 (leaves
    // 33..48) does not match the leaves", "checkpoint 120: its root does not match the leaves").
    std::optional<std::string> first_problem;
    bool ok() const noexcept { return !first_problem; }
};

TreeVerifyReport verify_tree(store::Database& database);

}  // namespace signet::audit
