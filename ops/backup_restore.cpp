// The cluster a backup is of, pgBackRest's files and how it is run (ops/backup_restore.hpp);
// `signetctl restore` is signetctl_restore.cpp.
#include "ops/backup_restore.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "common/error.hpp"

namespace signet::ops {

namespace fs = std::filesystem;

namespace {

void write_owned_file(const fs::path& path, const std::string& text, mode_t mode,
                      const std::optional<store::Identity>& as) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        store::throw_system(Errc::io, "cannot write " + path.string(), errno);
    // fchmod before any byte: a file left by an earlier run keeps no wider mode.
    bool ok = fchmod(fd, mode) == 0 && (!as || fchown(fd, as->uid, as->gid) == 0);
    for (std::size_t done = 0; ok && done < text.size();) {
        const ssize_t n = write(fd, text.data() + done, text.size() - done);
        ok = n > 0;
        done += ok ? static_cast<std::size_t>(n) : 0;
    }
    const int error = errno;
    ok = close(fd) == 0 && ok;
    if (!ok)
        store::throw_system(Errc::io, "cannot write " + path.string(), error);
}

// Where an external server keeps its data and listens, from the server itself.
ClusterLocation locate_external(store::Database& db) {
    ClusterLocation cluster;
    db.with_connection([&](store::Connection& c) {
        const auto result = c.exec(
            "SELECT current_setting('data_directory') AS data, "
            "split_part(current_setting('unix_socket_directories'), ',', 1) AS socket, "
            "current_setting('port') AS port, current_user AS who");
        const auto row = result.one();
        cluster.data_dir = std::string(row["data"].text());
        cluster.socket_dir = std::string(row["socket"].text());
        cluster.port = static_cast<unsigned>(std::stoul(std::string(row["port"].text())));
        cluster.user = std::string(row["who"].text());
    });
    if (!fs::exists(cluster.data_dir / "PG_VERSION")) {
        throw Error(Errc::failed_precondition,
                    "the database server keeps its data in " + cluster.data_dir.string() +
                        ", which is not on this machine: run signetctl backup on the database "
                        "host (pgBackRest reads the data directory), see docs/evidence.md");
    }
    return cluster;
}

}  // namespace

BackupTarget open_backup_target(const Arguments& args, bool connect) {
    BackupTarget target{
        .config = policy::load_config(args.option("config", "SIGNET_CONFIG", "signet.yaml")),
        .paths = BackupPaths(fs::path{}),
        .cluster = {},
        .embedded_cluster = false,
        .embedded = nullptr,
        .database = nullptr,
        .as = std::nullopt};
    if (!target.config.backup) {
        throw Error(Errc::failed_precondition,
                    target.config.file.string() +
                        " has no backup section: name the repositories there first "
                        "(ops/signet.example.yaml shows one)");
    }
    target.paths = BackupPaths(target.config.state_dir);
    const auto& state_dir = target.config.state_dir;
    if (!target.config.database.dsn) {
        target.embedded_cluster = true;
        target.cluster = {state_dir / "postgres", state_dir / "run", 5432, "signet"};
        if (!connect) {
            target.as = store::cluster_user(target.cluster.data_dir);
            return target;
        }
        std::string dsn;
        if (store::EmbeddedPostgres::in_use(state_dir)) {
            dsn = store::EmbeddedPostgres::dsn_for(state_dir);
            target.as = store::cluster_user(target.cluster.data_dir);
        } else {
            target.embedded = std::make_unique<store::EmbeddedPostgres>(
                store::EmbeddedPostgresOptions{.state_dir = state_dir});
            dsn = target.embedded->dsn();
            target.as = target.embedded->server_identity();
        }
        target.database =
            std::make_unique<store::Database>(store::DatabaseOptions{.dsn = dsn, .pool_size = 1});
        return target;
    }
    if (!connect) {
        target.as = store::cluster_user(target.paths.root);
        return target;
    }
    target.database = std::make_unique<store::Database>(
        store::DatabaseOptions{.dsn = *target.config.database.dsn, .pool_size = 1});
    target.cluster = locate_external(*target.database);
    target.as = store::cluster_user(target.cluster.data_dir);
    return target;
}

void write_backup_files(const BackupTarget& target) {
    const auto& backup = *target.config.backup;
    const auto& paths = target.paths;
    for (const auto& dir :
         {paths.root, paths.include_dir(), paths.lock_dir(), paths.log_dir(), paths.spool_dir()})
        store::make_directory_for(dir, target.as);
    for (const auto& repo : backup.repositories) {
        if (repo.type == policy::BackupRepositoryType::posix)
            store::make_directory_for(repo.path, target.as);
    }
    write_owned_file(paths.config(), pgbackrest_conf(backup, target.cluster, paths), 0640,
                     target.as);
    const std::string secrets = secrets_conf(backup);
    if (secrets.empty()) {
        std::error_code ignored;
        fs::remove(paths.secrets(), ignored);
    } else {
        write_owned_file(paths.secrets(), secrets, 0600, target.as);
    }
}

std::string run_pgbackrest(const BackupTarget& target, const std::vector<std::string>& arguments) {
    std::vector<std::string> argv = pgbackrest_command(*target.config.backup, target.paths);
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    const auto result = store::run_program(argv, target.as ? &*target.as : nullptr);
    if (result.exit_code != 0) {
        throw Error(Errc::unavailable, "pgbackrest " + arguments.back() + " failed (exit " +
                                           std::to_string(result.exit_code) +
                                           "): " + store::one_line(result.output));
    }
    return result.output;
}

}  // namespace signet::ops
