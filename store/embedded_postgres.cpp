// The embedded cluster's life (store/embedded_postgres.hpp): checks before anything is created,
// initdb into a staging directory, the settings rewritten at every start, an orphaned server
// stopped, pg_ctl start and stop, the database created. Who owns the state directory is
// embedded_postgres_owner.cpp; running the programs, postgres_programs.*.
#include "store/embedded_postgres.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <thread>

#include "common/error.hpp"
#include "store/database.hpp"
#include "store/postgres_programs.hpp"

namespace fs = std::filesystem;

namespace signet::store {

namespace {

constexpr int kPort = 5432;
constexpr const char* kSuperuser = "signet";
// sockaddr_un.sun_path is 108 bytes on Linux, with the terminating NUL.
constexpr std::size_t kMaxSocketPath = 107;

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
        if (!options_.start_server) {
            // Restore: the data directory is the caller's to make.
        } else if (!fs::exists(data_dir() / "PG_VERSION")) {
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
        if (options_.start_server)
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
