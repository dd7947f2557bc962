#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <optional>
#include <vector>

#include "store/postgres_programs.hpp"

namespace signet::store {

struct EmbeddedPostgresOptions {
    // Everything lives under it: postgres/ (the cluster), run/ (the Unix socket), postgres.log,
    // signet.lock. Created if missing.
    std::filesystem::path state_dir{};
    // initdb, pg_ctl and postgres. Empty: `pg_config --bindir`, else the newest
    // /usr/lib/postgresql/*/bin.
    std::filesystem::path bin_dir{};
    std::string database = "signet";
    // Tests only: initdb --no-sync and fsync/synchronous_commit/full_page_writes off. A crash of
    // the machine may then corrupt the cluster.
    bool unsafe_fast = false;
    std::chrono::seconds start_timeout{60};
    // false: lock the state directory and choose the server's user, but neither initdb nor
    // start; start() later. For `signetctl restore`, which makes the data directory itself.
    bool start_server = true;
    // Where to say what happened (initdb, an orphaned server stopped); nothing if empty.
    std::function<void(std::string_view)> log{};
};

// The zero-setup default: a private PostgreSQL cluster under the state directory, owned by this
// process for as long as the object lives.
//
// - Unix socket only (listen_addresses = ''), in STATE_DIR/run, mode 0700, so only this user
//   (and root) can connect; local authentication is therefore `trust`, TCP `reject`.
// - One owner per state directory: an exclusive flock(2) on STATE_DIR/signet.lock, held for the
//   object's lifetime; a second owner gets Errc::failed_precondition naming the holder's pid.
// - PostgreSQL refuses to run as root. When this process is root, initdb, pg_ctl and the server
//   run as the owner of an existing cluster, or else as the `postgres` system user (Debian's
//   package creates it); the cluster, run/ and the log belong to that user, and the state
//   directory gets o+x so that user can reach them.
// - A server left running by an owner that died (kill -9) is stopped and started afresh.
class EmbeddedPostgres {
  public:
    // Locks the state directory, runs initdb on first use, starts the server, waits until it
    // accepts connections and creates the database if missing. Errc::failed_precondition when
    // the state directory is in use, Errc::invalid_argument when its path is too long for a
    // Unix socket, Errc::unavailable when the server does not start (with the log's last lines).
    explicit EmbeddedPostgres(EmbeddedPostgresOptions options);
    EmbeddedPostgres(const EmbeddedPostgres&) = delete;
    EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;
    // Stops the server (pg_ctl stop -m fast) and releases the lock. Never throws.
    ~EmbeddedPostgres();

    // For tests and for shutdown ordering; start() after stop() brings the same cluster back.
    void start();
    void stop();
    // Asks the server to stop at once (immediate mode: crash recovery at the next start) without
    // waiting for it, and forgets it: for a process that must exit now, with a client of the
    // server possibly stuck (signetd after abandoning a request). Never throws.
    void stop_without_waiting() noexcept;
    bool running() const noexcept { return running_; }

    // Whom the server's programs run as when this process is root (nullopt otherwise): tools
    // that work on the data directory or are run by the server (pgBackRest) run as that user.
    std::optional<Identity> server_identity() const;

    // A libpq connection string for the database (or another one in the cluster).
    std::string dsn() const { return dsn_for(state_dir_, options_.database); }
    std::string dsn(std::string_view database) const { return dsn_for(state_dir_, database); }

    const std::filesystem::path& state_dir() const noexcept { return state_dir_; }
    std::filesystem::path data_dir() const { return state_dir_ / "postgres"; }
    std::filesystem::path socket_dir() const { return state_dir_ / "run"; }
    std::filesystem::path log_file() const { return state_dir_ / "postgres.log"; }
    const std::filesystem::path& bin_dir() const noexcept { return bin_dir_; }
    // "15.20", from `postgres --version`.
    const std::string& server_version() const noexcept { return server_version_; }

    // The DSN of the embedded cluster under `state_dir`, whoever runs it (signetctl uses it
    // when signetd owns the state directory).
    static std::string dsn_for(const std::filesystem::path& state_dir,
                               std::string_view database = "signet");
    // Whether another process holds STATE_DIR/signet.lock now.
    static bool in_use(const std::filesystem::path& state_dir);

  private:
    void lock_state_dir();
    void choose_server_user();
    void prepare_directories();
    void initdb();
    void write_settings();
    void stop_orphan();
    void create_database();
    void note(const std::string& message) const;

    EmbeddedPostgresOptions options_;
    std::filesystem::path state_dir_;
    std::filesystem::path bin_dir_;
    std::string server_version_;
    int lock_fd_ = -1;
    bool running_ = false;
    // Set when this process is root: whom PostgreSQL runs as.
    bool drop_privileges_ = false;
    unsigned run_uid_ = 0;
    unsigned run_gid_ = 0;
    std::vector<unsigned> run_groups_;
    std::string run_user_;
};

}  // namespace signet::store
