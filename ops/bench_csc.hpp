#pragma once

namespace signet::bench {

// `signet-bench csc ...` (argv[1] is "csc"): remote signatures per second through the CSC
// service (issue 17): for each SAD a code sent by SMS and checked, the authorization bound to 1
// or 10 hashes, then signHash, all durable — against the wrapped-key signing rate (`user-key`)
// of the same run. Returns the exit status.
int bench_csc(int argc, char** argv);

// Its part of `signet-bench --help`.
extern const char* const kCscUsage;

}  // namespace signet::bench
