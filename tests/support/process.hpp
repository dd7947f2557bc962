#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace signet::testing {

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr, interleaved
};

// Runs a program (no shell: arguments are passed as they are) and captures its output. Its
// standard input is /dev/null, or `input` when given (at most a pipe's buffer, 64 KiB).
CommandResult run_command(const std::vector<std::string>& argv);
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input);

// A directory under the system's temporary directory, removed with everything in it at the end.
class TempDir {
  public:
    explicit TempDir(const std::string& prefix = "signet-test");
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

// A file of the build tree (SIGNET_BINARY_DIR) or of the source tree (SIGNET_SOURCE_DIR), e.g.
// built_file("ops/signetctl"), source_file("ops/ceremony.example.yaml"). ctest sets both; a run
// without them throws.
std::filesystem::path built_file(const std::string& relative);
std::filesystem::path source_file(const std::string& relative);

void write_file(const std::filesystem::path& path, const std::string& content);
std::string read_file(const std::filesystem::path& path);

// A child process (no shell), sent SIGTERM and waited for when destroyed.
class ChildProcess {
  public:
    explicit ChildProcess(const std::vector<std::string>& argv);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

  private:
    pid_t pid_ = -1;
};

// Waits (polling, generously bounded: no timing threshold) until `file` exists; its content.
std::string wait_for_file(const std::filesystem::path& file,
                          std::chrono::seconds bound = std::chrono::seconds(60));

}  // namespace signet::testing
