#pragma once

namespace signet::bench {

// `signet-bench sign ...` (argv[1] is "sign"): completed contract signatures per second (the
// OTP sent and checked, the wrapped key unwrapped, PAdES B-LT of a 1 MiB PDF or CAdES B-LT of
// 1 MiB of bytes with our TSA and validation data, the state durable) against what the HSM and
// the TSA alone allow, and the peak memory of signing a 100 MiB PDF. Returns the exit status.
int bench_sign(int argc, char** argv);

// Its part of `signet-bench --help`.
extern const char* const kSignUsage;

}  // namespace signet::bench
