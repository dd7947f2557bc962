#pragma once

// What signet-bench's benchmarks share: the measuring loop and the HSM's own signing rate, the
// ceiling every figure is a ratio to.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "hsm/token.hpp"

namespace signet::bench {

// Runs each thread's operation for a warm-up (caches, sessions, CPU frequency), then counts the
// operations completed in the next `seconds`; returns operations per second. With
// `cpu_seconds_per_op`, also the process's CPU time (user + system) in that window per operation:
// a figure other load on the machine hardly changes.
// `cpu_seconds` is the CPU clock read for that (default process_cpu_seconds; the issuance
// benchmark adds its PostgreSQL server's processes).
double measure(int threads, double seconds,
               const std::function<std::function<void()>()>& make_worker,
               double* cpu_seconds_per_op = nullptr,
               const std::function<double()>& cpu_seconds = nullptr);

// A command-line list "1,2,4" of whole numbers 1..max; Errc::invalid_argument naming `option`.
std::vector<int> parse_list(const std::string& option, const std::string& list, int max);

// User + system CPU seconds this process has used.
double process_cpu_seconds();

// CPU seconds the calling thread has used (what one step costs, whatever else the process runs).
double thread_cpu_seconds();

// The first line of a pid file (PostgreSQL's postmaster.pid); 0 if unreadable.
int read_pid(const std::filesystem::path& file);

// User + system CPU seconds of `pid` and its live children (for the postmaster: the backends,
// WAL writer, checkpointer...), from /proc. 0 without such a process.
double process_tree_cpu_seconds(int pid);

// The PKCS#11 handle of the private key labelled `label`. Errc::not_found.
CK_OBJECT_HANDLE find_private_key(hsm::Token& token, const std::string& label);

// The ceiling: the bare PKCS#11 calls (C_SignInit + C_Sign) on a session of the thread's own,
// nothing of Signet's. Each call of the returned function makes one thread's worker.
std::function<std::function<void()>()> raw_sign_worker(hsm::Token& token, CK_OBJECT_HANDLE key,
                                                       hsm::KeyType type);

}  // namespace signet::bench
