// Running PostgreSQL's programs for the embedded cluster (store/postgres_programs.hpp): fork and
// exec without a shell, as the cluster's owner when this process is root; finding the server
// programs; the helpers the cluster's messages share.
#include "store/postgres_programs.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

extern char** environ;

namespace fs = std::filesystem;

namespace signet::store {

namespace {

bool is_executable(const fs::path& path) {
    return access(path.c_str(), X_OK) == 0;
}

bool has_server_binaries(const fs::path& dir) {
    return is_executable(dir / "initdb") && is_executable(dir / "pg_ctl") &&
           is_executable(dir / "postgres");
}

}  // namespace

std::string one_line(std::string_view text) {
    std::string line;
    for (char c : text) {
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        if (c == ' ' && (line.empty() || line.back() == ' '))
            continue;
        line += c;
    }
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    return line;
}

[[noreturn]] void throw_system(Errc code, const std::string& what, int error) {
    throw Error(code, what + ": " + std::generic_category().message(error));
}

ProgramResult run_program(const std::vector<std::string>& argv, const Identity* identity) {
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> env;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::strncmp(*e, "PG", 2) != 0)
            env.push_back(*e);
    }
    env.push_back(nullptr);

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        throw_system(Errc::io, "pipe", errno);
    const pid_t pid = fork();
    if (pid < 0) {
        const int error = errno;
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        throw_system(Errc::io, "fork", error);
    }
    if (pid == 0) {
        // The child of a possibly multi-threaded parent: async-signal-safe calls only.
        auto die = [](const char* message) {
            const ssize_t ignored = write(2, message, std::strlen(message));
            (void)ignored;
            _exit(127);
        };
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        struct sigaction default_action {};
        default_action.sa_handler = SIG_DFL;
        for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2}) {
            sigaction(sig, &default_action, nullptr);
        }
        const int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(pipe_fds[1], 1) < 0 ||
            dup2(pipe_fds[1], 2) < 0) {
            _exit(127);
        }
        close_range(3, ~0U, 0);
        if (identity != nullptr) {
            if (setgroups(identity->groups.size(), identity->groups.data()) != 0)
                die("setgroups failed\n");
            if (setgid(identity->gid) != 0)
                die("setgid failed\n");
            if (setuid(identity->uid) != 0)
                die("setuid failed\n");
        }
        if (chdir("/") != 0)
            die("chdir / failed\n");
        execvpe(args[0], args.data(), env.data());
        die("cannot execute the program\n");
    }
    close(pipe_fds[1]);
    ProgramResult result;
    std::array<char, 4096> buffer;
    for (;;) {
        const ssize_t n = read(pipe_fds[0], buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        result.output.append(buffer.data(), static_cast<std::size_t>(n));
    }
    close(pipe_fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

std::string tail_of(const fs::path& file, std::size_t lines) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return "(no log)";
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::streamoff>(in.tellg());
    const std::streamoff start = std::max<std::streamoff>(0, size - 4096);
    in.seekg(start);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t at = text.size();
    while (lines > 0 && at > 0) {
        at = text.rfind('\n', at - 1);
        if (at == std::string::npos) {
            at = 0;
            break;
        }
        if (at + 1 < text.size())
            --lines;
    }
    return one_line(text.substr(at));
}

std::string read_first_line(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
}

fs::path find_bin_dir(const fs::path& configured) {
    if (!configured.empty()) {
        if (!has_server_binaries(configured)) {
            throw Error(Errc::failed_precondition,
                        "no PostgreSQL server programs (initdb, pg_ctl, postgres) in " +
                            configured.string());
        }
        return configured;
    }
    const auto pg_config = run_program({"pg_config", "--bindir"}, nullptr);
    if (pg_config.exit_code == 0) {
        const fs::path dir = one_line(pg_config.output);
        if (has_server_binaries(dir))
            return dir;
    }
    // Debian: pg_config may come from a newer libpq-dev than the installed server.
    fs::path best;
    int best_version = -1;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        const std::string name = entry.path().filename().string();
        int version = 0;
        try {
            version = std::stoi(name);
        } catch (...) {
            continue;
        }
        if (version > best_version && has_server_binaries(entry.path() / "bin")) {
            best_version = version;
            best = entry.path() / "bin";
        }
    }
    if (best.empty()) {
        throw Error(
            Errc::failed_precondition,
            "the PostgreSQL server programs (initdb, pg_ctl, postgres) were not found: install "
            "PostgreSQL (Debian: apt-get install postgresql) or configure a database DSN");
    }
    return best;
}

}  // namespace signet::store
