#pragma once

namespace signet::bench {

// `signet-bench evidence ...` (argv[1] is "evidence"): the tamper-evident log at size, one
// scenario per row of a table (bench_evidence.cpp) that other evidence scenarios extend.
// Returns the exit status.
int bench_evidence(int argc, char** argv);

// Its part of `signet-bench --help`.
extern const char* const kEvidenceUsage;

}  // namespace signet::bench
