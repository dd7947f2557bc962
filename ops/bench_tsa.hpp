#pragma once

namespace signet::bench {

// `signet-bench tsa ...` (argv[1] is "tsa"): time-stamp tokens per second over keep-alive HTTP
// against the HSM's raw signing ceiling. Returns the exit status.
int bench_tsa(int argc, char** argv);

// Its part of `signet-bench --help`.
extern const char* const kTsaUsage;

}  // namespace signet::bench
