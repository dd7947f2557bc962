#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace signet::testing {

namespace {

std::filesystem::path under(const char* variable, const std::string& relative) {
    const char* dir = std::getenv(variable);
    if (dir == nullptr)
        throw std::runtime_error(std::string(variable) + " is not set (run through ctest)");
    return std::filesystem::path(dir) / relative;
}

}  // namespace

std::filesystem::path built_file(const std::string& relative) {
    return under("SIGNET_BINARY_DIR", relative);
}

std::filesystem::path source_file(const std::string& relative) {
    return under("SIGNET_SOURCE_DIR", relative);
}

namespace {

CommandResult run(const std::vector<std::string>& argv, const std::string* input) {
    int input_fds[2] = {-1, -1};
    if (input != nullptr) {
        if (pipe2(input_fds, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe failed");
        // Written whole before the child starts (small inputs fit the pipe's buffer), while this
        // process holds the read end: a child that exits without reading cannot SIGPIPE us.
        if (!input->empty() && write(input_fds[1], input->data(), input->size()) !=
                                   static_cast<ssize_t>(input->size()))
            throw std::runtime_error("cannot write the command's input");
        close(input_fds[1]);
    }
    int pipe_fds[2];
    // Close-on-exec: only the dup2'd copies reach the child, so a daemon it leaves behind (pg_ctl
    // start) does not hold the pipe open and the read below ends when the child exits.
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    if (input != nullptr)
        posix_spawn_file_actions_adddup2(&actions, input_fds[0], 0);
    else
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    if (input != nullptr)
        close(input_fds[0]);
    CommandResult result;
    if (rc != 0) {
        close(pipe_fds[0]);
        result.output = "cannot start " + argv[0];
        return result;
    }
    std::array<char, 4096> buf;
    ssize_t n = 0;
    while ((n = read(pipe_fds[0], buf.data(), buf.size())) > 0) {
        result.output.append(buf.data(), static_cast<std::size_t>(n));
    }
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv) {
    return run(argv, nullptr);
}

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input) {
    return run(argv, &input);
}

TempDir::TempDir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

void write_file(const std::filesystem::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0)
        throw std::runtime_error("cannot start " + argv[0]);
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

std::string wait_for_file(const std::filesystem::path& file, std::chrono::seconds bound) {
    const auto until = std::chrono::steady_clock::now() + bound;
    while (!std::filesystem::exists(file)) {
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error("no " + file.string() + " after the bound");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return read_file(file);
}

}  // namespace signet::testing
