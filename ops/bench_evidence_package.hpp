#pragma once

// `signet-bench evidence --scenarios package` (issue 14's last benchmark): the evidence package
// of a two-party PDF contract, built as signetd's route builds it.
#include <cstddef>

namespace signet::bench {

struct PackageBenchOptions {
    bool json = false;
    std::size_t document_mib = 100;  // the contract's PDF
    bool scans = true;               // its pages scanned images (incompressible), else text
    int packages = 5;                // packages built (and vault reads for the ceiling)
};

// Prints one line (JSON with `json`): packages/s, the ceiling (the same revision read out of
// the vault per second), p50/p99 ms, and the peak RSS growth of a build over the RSS before it.
void package_scenario(const PackageBenchOptions& options);

}  // namespace signet::bench
