#pragma once

// What `signetctl backup` and `restore` share (ops/backup_restore.cpp): the cluster the
// configuration names, the files pgBackRest reads, running it as the cluster's user; and the
// restore of the embedded cluster (ops/signetctl_restore.cpp).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ops/backup_config.hpp"
#include "ops/cli.hpp"
#include "policy/config.hpp"
#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "store/postgres_programs.hpp"

namespace signet::ops {

struct BackupTarget {
    policy::Config config;  // with a backup section
    BackupPaths paths;
    ClusterLocation cluster;
    bool embedded_cluster = false;  // no database.dsn: the cluster under state_dir
    // The embedded cluster when this command started it (nobody held the state directory).
    std::unique_ptr<store::EmbeddedPostgres> embedded;
    std::unique_ptr<store::Database> database;  // set when opened with `connect`
    std::optional<store::Identity> as;  // whom pgBackRest runs as (root: the cluster's user)
};

// signet.yaml (--config, SIGNET_CONFIG, signet.yaml) and its cluster: with `connect`, a
// connection to it (the embedded cluster of a running signetd through its socket, else started
// for the command) and, for a DSN, where the server keeps its data (it must be on this machine).
// Errc::failed_precondition without a backup section.
BackupTarget open_backup_target(const Arguments& args, bool connect);

// STATE_DIR/pgbackrest/ with pgbackrest.conf, conf.d/secrets.conf (0600; removed when no
// repository has a secret), pgBackRest's directories and every posix repository's directory,
// all the cluster's user's.
void write_backup_files(const BackupTarget& target);

// pgbackrest with the configuration and stanza, then `arguments`, as the cluster's user; its
// output. Errc::unavailable naming the command and quoting pgBackRest's message when it fails.
std::string run_pgbackrest(const BackupTarget& target, const std::vector<std::string>& arguments);

// signetctl restore (the embedded cluster only; ops/signetctl_restore.cpp).
int restore_embedded(const Arguments& args);

}  // namespace signet::ops
