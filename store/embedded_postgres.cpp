#include "store/embedded_postgres.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>

#include "common/error.hpp"
#include "store/database.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace signet::store {

namespace {

constexpr int kPort = 5432;
constexpr const char* kSuperuser = "signet";
// sockaddr_un.sun_path is 108 bytes on Linux, with the terminating NUL.
constexpr std::size_t kMaxSocketPath = 107;

struct ProgramResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

struct Identity {
    uid_t uid;
    gid_t gid;
    std::vector<gid_t> groups;
};

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

// Runs a program without a shell and collects its output. With `identity` the child becomes
// that user first (PostgreSQL's programs refuse to run as root). The child starts with an
// empty signal mask, default dispositions, no inherited descriptors beyond 0-2, the working
// directory "/" (the caller's may not be reachable by that user) and no PG* variables (they
// would redirect initdb and pg_ctl).
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

bool is_executable(const fs::path& path) {
    return access(path.c_str(), X_OK) == 0;
}

bool has_server_binaries(const fs::path& dir) {
    return is_executable(dir / "initdb") && is_executable(dir / "pg_ctl") &&
           is_executable(dir / "postgres");
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

// Single quotes around a value, ' and \ escaped: libpq conninfo and postgresql.conf agree on
// this much.
std::string single_quoted(std::string_view value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "'";
}

bool searchable_by(const struct stat& st, uid_t uid, gid_t gid, const std::vector<gid_t>& groups) {
    if (st.st_uid == uid)
        return (st.st_mode & S_IXUSR) != 0;
    if (st.st_gid == gid || std::find(groups.begin(), groups.end(), st.st_gid) != groups.end()) {
        return (st.st_mode & S_IXGRP) != 0;
    }
    return (st.st_mode & S_IXOTH) != 0;
}

fs::path normalized(const fs::path& path) {
    std::error_code ec;
    fs::path absolute = fs::absolute(path, ec);
    if (ec)
        absolute = path;
    fs::path canonical = fs::weakly_canonical(absolute, ec);
    return ec ? absolute.lexically_normal() : canonical;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string EmbeddedPostgres::dsn_for(const fs::path& state_dir, std::string_view database) {
    return "host=" + single_quoted((normalized(state_dir) / "run").string()) +
           " port=" + std::to_string(kPort) + " dbname=" + single_quoted(database) +
           " user=" + single_quoted(kSuperuser);
}

bool EmbeddedPostgres::in_use(const fs::path& state_dir) {
    const fs::path lock_path = normalized(state_dir) / "signet.lock";
    const int fd = open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);  // also drops the lock if we got it
    return held;
}

EmbeddedPostgres::EmbeddedPostgres(EmbeddedPostgresOptions options) : options_(std::move(options)) {
    if (options_.state_dir.empty())
        throw Error(Errc::invalid_argument, "no state directory given");
    const auto& db = options_.database;
    const bool valid_name = !db.empty() && db.size() <= 63 &&
                            (std::islower(db[0]) != 0 || db[0] == '_') &&
                            std::all_of(db.begin(), db.end(), [](char c) {
                                return std::islower(static_cast<unsigned char>(c)) != 0 ||
                                       std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '_';
                            });
    if (!valid_name)
        throw Error(Errc::invalid_argument, "database name '" + db + "' is not [a-z_][a-z0-9_]*");

    std::error_code ec;
    fs::create_directories(options_.state_dir, ec);
    if (ec)
        throw Error(Errc::io, "cannot create the state directory " + options_.state_dir.string() +
                                  ": " + ec.message());
    state_dir_ = normalized(options_.state_dir);

    const std::string socket_path = (socket_dir() / (".s.PGSQL." + std::to_string(kPort))).string();
    if (socket_path.size() > kMaxSocketPath) {
        throw Error(Errc::invalid_argument,
                    "the state directory's path is too long for a Unix socket: " + socket_path +
                        " has " + std::to_string(socket_path.size()) + " bytes, the limit is " +
                        std::to_string(kMaxSocketPath) + "; choose a shorter state_dir");
    }
    if (std::any_of(socket_path.begin(), socket_path.end(),
                    [](char c) { return c == '\n' || c == '\r'; })) {
        throw Error(Errc::invalid_argument, "the state directory's path contains a line break");
    }

    bin_dir_ = find_bin_dir(options_.bin_dir);
    const auto version = run_program({(bin_dir_ / "postgres").string(), "--version"}, nullptr);
    // "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    const auto marker = version.output.find(") ");
    if (version.exit_code != 0 || marker == std::string::npos) {
        throw Error(Errc::failed_precondition, "cannot run " + (bin_dir_ / "postgres").string() +
                                                   " --version: " + one_line(version.output));
    }
    server_version_ = version.output.substr(marker + 2);
    server_version_ = server_version_.substr(0, server_version_.find_first_of(" \n"));

    lock_state_dir();
    try {
        choose_server_user();
        prepare_directories();
        if (!fs::exists(data_dir() / "PG_VERSION")) {
            initdb();
        } else {
            const std::string cluster_major = read_first_line(data_dir() / "PG_VERSION");
            const std::string binary_major = server_version_.substr(0, server_version_.find('.'));
            if (cluster_major != binary_major) {
                throw Error(
                    Errc::failed_precondition,
                    "the cluster in " + data_dir().string() + " was made by PostgreSQL " +
                        cluster_major + " but " + bin_dir_.string() + " holds PostgreSQL " +
                        server_version_ +
                        ": upgrade the cluster with pg_upgrade, or point bin_dir at PostgreSQL " +
                        cluster_major);
            }
        }
        start();
    } catch (...) {
        close(lock_fd_);
        lock_fd_ = -1;
        throw;
    }
}

EmbeddedPostgres::~EmbeddedPostgres() {
    try {
        stop();
    } catch (const std::exception& e) {
        note(std::string("stopping the embedded PostgreSQL failed: ") + e.what());
    } catch (...) {
    }
    if (lock_fd_ >= 0)
        close(lock_fd_);
}

void EmbeddedPostgres::note(const std::string& message) const {
    if (options_.log)
        options_.log(message);
}

void EmbeddedPostgres::lock_state_dir() {
    const fs::path lock_path = state_dir_ / "signet.lock";
    // O_CLOEXEC: the lock must not be inherited by pg_ctl and the server, or it would outlive us.
    const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        throw_system(Errc::io, "cannot open " + lock_path.string(), errno);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        std::array<char, 32> holder{};
        const ssize_t n = pread(fd, holder.data(), holder.size() - 1, 0);
        close(fd);
        if (error != EWOULDBLOCK)
            throw_system(Errc::io, "cannot lock " + lock_path.string(), error);
        std::string pid =
            n > 0 ? one_line(std::string_view(holder.data(), static_cast<std::size_t>(n))) : "";
        throw Error(Errc::failed_precondition, "the state directory " + state_dir_.string() +
                                                   " is in use by another Signet process" +
                                                   (pid.empty() ? "" : " (pid " + pid + ")") +
                                                   ", which holds " + lock_path.string() +
                                                   "; stop it first or use another state_dir");
    }
    const std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 ||
        pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        const int error = errno;
        close(fd);
        throw_system(Errc::io, "cannot write " + lock_path.string(), error);
    }
    lock_fd_ = fd;
}

void EmbeddedPostgres::choose_server_user() {
    if (geteuid() != 0) {
        struct stat st {};
        if (stat(data_dir().c_str(), &st) == 0 && st.st_uid != geteuid()) {
            throw Error(Errc::failed_precondition,
                        "the cluster in " + data_dir().string() + " belongs to uid " +
                            std::to_string(st.st_uid) + "; run Signet as that user (or as root)");
        }
        return;
    }
    // PostgreSQL refuses to run as root ("root execution of the PostgreSQL server is not
    // permitted"): run it as the owner of an existing cluster, or as the postgres system user.
    std::optional<uid_t> owner;
    struct stat st {};
    if (stat(data_dir().c_str(), &st) == 0) {
        if (st.st_uid == 0) {
            throw Error(
                Errc::failed_precondition,
                "the cluster in " + data_dir().string() +
                    " belongs to root, and PostgreSQL cannot run as root: chown -R postgres: it");
        }
        owner = st.st_uid;
    }
    std::vector<char> buffer(16384);
    struct passwd entry {};
    struct passwd* found = nullptr;
    if (owner) {
        getpwuid_r(*owner, &entry, buffer.data(), buffer.size(), &found);
        run_uid_ = *owner;
        run_gid_ = found != nullptr ? found->pw_gid : st.st_gid;
        run_user_ = found != nullptr ? found->pw_name : "uid " + std::to_string(*owner);
    } else {
        getpwnam_r("postgres", &entry, buffer.data(), buffer.size(), &found);
        if (found == nullptr) {
            throw Error(
                Errc::failed_precondition,
                "running as root, the embedded PostgreSQL needs an unprivileged user to run as "
                "(PostgreSQL refuses root), and there is no 'postgres' user: install Debian's "
                "postgresql package, or run Signet as a normal user");
        }
        run_uid_ = found->pw_uid;
        run_gid_ = found->pw_gid;
        run_user_ = found->pw_name;
    }
    run_groups_.clear();
    if (found != nullptr) {
        int count = 64;
        std::vector<gid_t> groups(static_cast<std::size_t>(count));
        if (getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count) < 0) {
            groups.resize(static_cast<std::size_t>(count));
            getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count);
        }
        groups.resize(static_cast<std::size_t>(std::max(count, 0)));
        run_groups_.assign(groups.begin(), groups.end());
    } else {
        run_groups_.push_back(run_gid_);
    }
    if (run_uid_ == 0)
        throw Error(Errc::failed_precondition, "the PostgreSQL user must not be root");
    drop_privileges_ = true;
}

void EmbeddedPostgres::prepare_directories() {
    auto make_private_dir = [&](const fs::path& dir) {
        std::error_code ec;
        fs::create_directory(dir, ec);
        if (ec)
            throw Error(Errc::io, "cannot create " + dir.string() + ": " + ec.message());
        if (drop_privileges_ && chown(dir.c_str(), run_uid_, run_gid_) != 0) {
            throw_system(Errc::io, "cannot chown " + dir.string(), errno);
        }
        if (chmod(dir.c_str(), 0700) != 0)
            throw_system(Errc::io, "cannot chmod " + dir.string(), errno);
    };
    make_private_dir(socket_dir());

    const int log_fd = open(log_file().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0)
        throw_system(Errc::io, "cannot open " + log_file().string(), errno);
    const bool owned = !drop_privileges_ || fchown(log_fd, run_uid_, run_gid_) == 0;
    const int error = errno;
    close(log_fd);
    if (!owned)
        throw_system(Errc::io, "cannot chown " + log_file().string(), error);

    if (!drop_privileges_)
        return;
    // The server's user must be able to walk down to its directories.
    const std::vector<gid_t> groups(run_groups_.begin(), run_groups_.end());
    struct stat st {};
    if (stat(state_dir_.c_str(), &st) != 0)
        throw_system(Errc::io, "cannot stat " + state_dir_.string(), errno);
    if (!searchable_by(st, run_uid_, run_gid_, groups)) {
        // Search only (o+x), not read: others can reach a name they know, not list the directory.
        if (chmod(state_dir_.c_str(), (st.st_mode & 07777) | S_IXOTH) != 0) {
            throw_system(Errc::io, "cannot chmod o+x " + state_dir_.string(), errno);
        }
    }
    for (fs::path dir = state_dir_.parent_path();; dir = dir.parent_path()) {
        if (stat(dir.c_str(), &st) == 0 && !searchable_by(st, run_uid_, run_gid_, groups)) {
            throw Error(
                Errc::failed_precondition,
                "PostgreSQL runs as '" + run_user_ +
                    "' (it refuses to run as root) and cannot reach " + state_dir_.string() + ": " +
                    dir.string() +
                    " is not searchable by that user; choose a state_dir under a searchable path "
                    "(e.g. /var/lib/signet) or chmod o+x " +
                    dir.string());
        }
        if (dir == dir.root_path() || dir.empty())
            break;
    }
}

void EmbeddedPostgres::initdb() {
    std::error_code ec;
    if (fs::exists(data_dir())) {
        if (!fs::is_empty(data_dir(), ec)) {
            throw Error(
                Errc::failed_precondition,
                data_dir().string() +
                    " exists but is not a PostgreSQL cluster (no PG_VERSION); move it away");
        }
        fs::remove(data_dir(), ec);
    }
    // initdb into a staging directory and rename: an interrupted initdb never leaves a
    // half-made cluster where the next start would take it for a real one.
    const fs::path staging = state_dir_ / "postgres.initdb";
    fs::remove_all(staging, ec);
    fs::create_directory(staging, ec);
    if (ec)
        throw Error(Errc::io, "cannot create " + staging.string() + ": " + ec.message());
    if (drop_privileges_ && chown(staging.c_str(), run_uid_, run_gid_) != 0) {
        throw_system(Errc::io, "cannot chown " + staging.string(), errno);
    }
    std::vector<std::string> argv{(bin_dir_ / "initdb").string(), "-D", staging.string(), "-U",
                                  kSuperuser,
                                  // Unix socket only, in a 0700 directory: reaching the socket is
                                  // the authentication. No TCP listener exists; reject it anyway.
                                  "--auth-local=trust", "--auth-host=reject", "--encoding=UTF8",
                                  "--no-locale", "--no-instructions"};
    if (options_.unsafe_fast)
        argv.push_back("--no-sync");
    Identity identity{run_uid_, run_gid_,
                      std::vector<gid_t>(run_groups_.begin(), run_groups_.end())};
    const auto result = run_program(argv, drop_privileges_ ? &identity : nullptr);
    if (result.exit_code != 0) {
        fs::remove_all(staging, ec);
        throw Error(Errc::unavailable,
                    "cannot create the embedded PostgreSQL cluster: initdb exited with " +
                        std::to_string(result.exit_code) + ": " + one_line(result.output));
    }
    {
        std::ofstream conf(staging / "postgresql.conf", std::ios::app);
        conf << "\n# Signet's settings, rewritten at every start.\ninclude_if_exists = "
                "'signet.conf'\n";
        if (!conf)
            throw Error(Errc::io, "cannot write " + (staging / "postgresql.conf").string());
    }
    fs::rename(staging, data_dir(), ec);
    if (ec)
        throw Error(Errc::io, "cannot rename " + staging.string() + ": " + ec.message());
    note("created the PostgreSQL " + server_version_ + " cluster " + data_dir().string());
}

void EmbeddedPostgres::write_settings() {
    // The settings that depend on where the state directory is: a file rather than pg_ctl -o,
    // which goes through a shell.
    const fs::path path = data_dir() / "signet.conf";
    {
        std::ofstream conf(path, std::ios::trunc);
        conf << "# Written by Signet at every start of its embedded PostgreSQL: edits are lost.\n"
             << "listen_addresses = ''\n"
             << "unix_socket_directories = " << single_quoted(socket_dir().string()) << "\n"
             << "unix_socket_permissions = 0700\n"
             << "port = " << kPort << "\n";
        if (options_.unsafe_fast) {
            conf << "# Tests: fast and unsafe against a crash of the machine.\n"
                 << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
        }
        if (!conf)
            throw Error(Errc::io, "cannot write " + path.string());
    }
    if (drop_privileges_ && chown(path.c_str(), run_uid_, run_gid_) != 0) {
        throw_system(Errc::io, "cannot chown " + path.string(), errno);
    }
    chmod(path.c_str(), 0600);
}

void EmbeddedPostgres::stop_orphan() {
    const fs::path pid_file = data_dir() / "postmaster.pid";
    if (!fs::exists(pid_file))
        return;
    pid_t pid = 0;
    try {
        pid = static_cast<pid_t>(std::stol(read_first_line(pid_file)));
    } catch (...) {
        return;  // unreadable: the server judges it
    }
    if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
        return;  // stale; postgres handles it
    // A live process: a postmaster's working directory is its data directory.
    std::error_code ec;
    const fs::path cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
    if (ec || !fs::equivalent(cwd, data_dir(), ec))
        return;
    // We hold the lock, so its owner is gone (killed, crashed): stop it and start our own.
    note("stopping PostgreSQL (pid " + std::to_string(pid) + ") left running on " +
         data_dir().string() + " by an earlier owner");
    Identity identity{run_uid_, run_gid_,
                      std::vector<gid_t>(run_groups_.begin(), run_groups_.end())};
    const Identity* as = drop_privileges_ ? &identity : nullptr;
    const auto t = std::to_string(options_.start_timeout.count());
    if (run_program({(bin_dir_ / "pg_ctl").string(), "stop", "-D", data_dir().string(), "-m",
                     "fast", "-w", "-t", t, "-s"},
                    as)
            .exit_code != 0) {
        run_program({(bin_dir_ / "pg_ctl").string(), "stop", "-D", data_dir().string(), "-m",
                     "immediate", "-w", "-t", t, "-s"},
                    as);
    }
}

void EmbeddedPostgres::start() {
    if (running_)
        return;
    prepare_directories();
    stop_orphan();
    write_settings();
    Identity identity{run_uid_, run_gid_,
                      std::vector<gid_t>(run_groups_.begin(), run_groups_.end())};
    const auto result = run_program(
        {(bin_dir_ / "pg_ctl").string(), "start", "-D", data_dir().string(), "-l",
         log_file().string(), "-w", "-t", std::to_string(options_.start_timeout.count()), "-s"},
        drop_privileges_ ? &identity : nullptr);
    if (result.exit_code != 0) {
        throw Error(Errc::unavailable,
                    "cannot start the embedded PostgreSQL (pg_ctl exited with " +
                        std::to_string(result.exit_code) + "): " + one_line(result.output) + "; " +
                        log_file().string() + " ends: " + tail_of(log_file(), 8));
    }
    running_ = true;
    try {
        create_database();
    } catch (...) {
        try {
            stop();
        } catch (...) {
        }
        throw;
    }
}

void EmbeddedPostgres::create_database() {
    // pg_ctl -w returns once the server accepts connections; a short retry covers the rest.
    Database admin(
        {.dsn = dsn("postgres"), .pool_size = 1, .connect_timeout = std::chrono::seconds(5)});
    const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
    for (;;) {
        try {
            admin.with_connection([&](Connection& connection) {
                if (connection
                        .exec("SELECT 1 FROM pg_database WHERE datname = $1", {options_.database})
                        .empty()) {
                    // The name is [a-z_][a-z0-9_]* (checked above), so quoting it is enough.
                    connection.exec("CREATE DATABASE \"" + options_.database + "\"");
                    note("created database " + options_.database);
                }
            });
            return;
        } catch (const Error& e) {
            if (e.code() != Errc::unavailable || std::chrono::steady_clock::now() > deadline)
                throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

void EmbeddedPostgres::stop_without_waiting() noexcept {
    if (!running_)
        return;
    running_ = false;
    try {
        Identity identity{run_uid_, run_gid_,
                          std::vector<gid_t>(run_groups_.begin(), run_groups_.end())};
        run_program({(bin_dir_ / "pg_ctl").string(), "stop", "-D", data_dir().string(), "-m",
                     "immediate", "-W", "-s"},
                    drop_privileges_ ? &identity : nullptr);
    } catch (const std::exception& e) {
        note(std::string("stopping the embedded PostgreSQL failed: ") + e.what());
    }
}

void EmbeddedPostgres::stop() {
    if (!running_)
        return;
    running_ = false;
    Identity identity{run_uid_, run_gid_,
                      std::vector<gid_t>(run_groups_.begin(), run_groups_.end())};
    const Identity* as = drop_privileges_ ? &identity : nullptr;
    const std::string pg_ctl = (bin_dir_ / "pg_ctl").string();
    const auto t = std::to_string(options_.start_timeout.count());
    // Fast: sessions are ended (clients get 57P01), the server checkpoints and exits cleanly.
    const auto fast = run_program(
        {pg_ctl, "stop", "-D", data_dir().string(), "-m", "fast", "-w", "-t", t, "-s"}, as);
    if (fast.exit_code == 0)
        return;
    // pg_ctl status: 3 = not running (someone else stopped it already).
    if (run_program({pg_ctl, "status", "-D", data_dir().string()}, as).exit_code == 3)
        return;
    const auto immediate = run_program(
        {pg_ctl, "stop", "-D", data_dir().string(), "-m", "immediate", "-w", "-t", t, "-s"}, as);
    if (immediate.exit_code != 0) {
        throw Error(Errc::unavailable,
                    "cannot stop the embedded PostgreSQL: " + one_line(fast.output) + "; " +
                        one_line(immediate.output));
    }
}

}  // namespace signet::store
