#pragma once

// What `signetctl backup` and `restore` hand pgBackRest: its configuration file, generated from
// signet.yaml's backup section and the cluster's location, and the archive_command PostgreSQL
// runs for every WAL segment. Pure text, no I/O except reading the object stores' secrets.
#include <filesystem>
#include <string>

#include "policy/config.hpp"

namespace signet::ops {

// Where the cluster pgBackRest backs up lives (pgBackRest's pg1-* options).
struct ClusterLocation {
    std::filesystem::path data_dir;    // pg1-path
    std::filesystem::path socket_dir;  // pg1-socket-path
    unsigned port = 5432;              // pg1-port
    std::string user;                  // pg1-user: a superuser (or pg_read_all_settings + backup)
};

// The files under STATE_DIR/pgbackrest/: the configuration, its include directory (the secrets)
// and pgBackRest's lock, log and spool directories.
struct BackupPaths {
    std::filesystem::path root;

    explicit BackupPaths(const std::filesystem::path& state_dir) : root(state_dir / "pgbackrest") {}
    std::filesystem::path config() const { return root / "pgbackrest.conf"; }
    std::filesystem::path include_dir() const { return root / "conf.d"; }
    std::filesystem::path secrets() const { return include_dir() / "secrets.conf"; }
    std::filesystem::path lock_dir() const { return root / "lock"; }
    std::filesystem::path log_dir() const { return root / "log"; }
    std::filesystem::path spool_dir() const { return root / "spool"; }
};

// pgbackrest.conf: [global] with pgBackRest's own directories and repo1..repoN in the order of
// backup.repositories (so --repo N is the Nth), [STANZA] with the cluster. No secret: those go
// to secrets_conf. Errc::invalid_argument for a value that cannot stand on one line.
std::string pgbackrest_conf(const policy::BackupSettings& backup, const ClusterLocation& cluster,
                            const BackupPaths& paths);

// The object stores' keys as `repoN-TYPE-key=...` lines under [global], read now from their
// sources (file or environment, DESIGN.md invariant 6); "" when no repository has one.
// pgBackRest reads them from this file because PostgreSQL runs archive-push itself, with no way
// to hand it an environment; the caller writes it mode 0600 for the cluster's user only.
std::string secrets_conf(const policy::BackupSettings& backup);

// The pgbackrest command line every tool invocation starts with.
std::vector<std::string> pgbackrest_command(const policy::BackupSettings& backup,
                                            const BackupPaths& paths);

// PostgreSQL's archive_command (run by /bin/sh, "%p" the segment's path): pgbackrest
// archive-push with this configuration, every path single-quoted for the shell.
std::string archive_command(const policy::BackupSettings& backup, const BackupPaths& paths);

// `value` as a single-quoted SQL literal ('' for ').
std::string sql_literal(std::string_view value);

// RFC 3339 UTC ("2026-12-07T03:10:00Z", a fraction allowed) as pgBackRest's and
// PostgreSQL's recovery_target_time want it ("2026-12-07 03:10:00.000000+00");
// Errc::invalid_argument otherwise.
std::string recovery_target_time(std::string_view rfc3339);

}  // namespace signet::ops
