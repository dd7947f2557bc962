// signetctl backup, backup info, restore (ops/signetctl_backup.hpp): pgBackRest does the work;
// this file writes its configuration into the state directory, makes sure PostgreSQL archives
// its WAL there, and runs it as the cluster's user. The restore of the embedded cluster and the
// audit log check after it are signetctl_restore.cpp's.
#include "ops/signetctl_backup.hpp"

#include <filesystem>
#include <iostream>
#include <memory>

#include "common/error.hpp"
#include "ops/backup_config.hpp"
#include "ops/backup_restore.hpp"
#include "policy/config.hpp"
#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "store/postgres_programs.hpp"

namespace signet::ops {

const char* const kBackupUsage =
    R"(Backup commands (option --config FILE, or SIGNET_CONFIG; default signet.yaml: its backup
section, database and state_dir are used; pgBackRest does the work, docs/evidence.md):
  backup [--type full|diff|incr]         write STATE_DIR/pgbackrest/pgbackrest.conf, make sure
                                         PostgreSQL archives its WAL into every repository
                                         (the embedded cluster: set, restarted once if signetctl
                                         runs it; signetd's: restart signetd once; a DSN's: the
                                         settings to make are printed), create the stanza, check,
                                         then back up into EVERY repository (default full)
  backup info [--json]                   the backups and WAL archive of every repository
  restore [--latest | --target-time T] [--repo N]
                                         the embedded cluster only, with signetd stopped: moves
                                         the data directory aside (never deletes it), restores
                                         to the end of the archive or to RFC 3339 time T from
                                         repository N (default: the first that has a backup),
                                         promotes, then verifies the whole audit log
)";

namespace {

// The archiving settings as PostgreSQL has them now.
struct ArchiveSettings {
    std::string wal_level, archive_mode, archive_command, archive_timeout;
};

ArchiveSettings current_archive_settings(store::Database& db) {
    ArchiveSettings s;
    db.with_connection([&](store::Connection& c) {
        const auto rows = c.exec(
            "SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'archive_mode', "
            "'archive_command', 'archive_timeout')");
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const std::string name(rows[i]["name"].text());
            const std::string value(rows[i]["setting"].text());
            if (name == "wal_level")
                s.wal_level = value;
            else if (name == "archive_mode")
                s.archive_mode = value;
            else if (name == "archive_command")
                s.archive_command = value;
            else
                s.archive_timeout = value;
        }
    });
    return s;
}

// WAL archiving into the repositories (PostgreSQL 15 manual §26.3.1 "Setting Up WAL
// Archiving": wal_level replica or higher, archive_mode on — which takes a restart —, and an
// archive_command). The embedded cluster is Signet's to set (ALTER SYSTEM, kept in
// postgresql.auto.conf, so it survives every start and is restored with the backup); an
// external cluster is its operator's: the settings are printed for them.
void ensure_archiving(BackupTarget& target) {
    const auto& backup = *target.config.backup;
    const std::string command = archive_command(backup, target.paths);
    const std::string timeout = std::to_string(backup.archive_timeout.count());
    const ArchiveSettings now = current_archive_settings(*target.database);
    const bool command_ok = now.archive_command == command && now.archive_timeout == timeout;
    const bool mode_ok = now.archive_mode == "on" || now.archive_mode == "always";
    if (now.wal_level == "minimal" || ((!command_ok || !mode_ok) && !target.embedded_cluster)) {
        std::cout << "PostgreSQL must archive its WAL into the repositories. Set, on the server "
                     "(postgresql.conf or ALTER SYSTEM), then restart it:\n"
                  << "  wal_level = replica\n  archive_mode = on\n"
                  << "  archive_command = " << sql_literal(command) << "\n"
                  << "  archive_timeout = " << timeout << "\n";
        throw Error(Errc::failed_precondition,
                    "the database server does not archive its WAL into the backup repositories "
                    "yet (wal_level " +
                        now.wal_level + ", archive_mode " + now.archive_mode +
                        "): set what is printed above, restart it, and run backup again");
    }
    if (command_ok && mode_ok)
        return;
    target.database->with_connection([&](store::Connection& c) {
        c.exec("ALTER SYSTEM SET archive_command = " + sql_literal(command));
        c.exec("ALTER SYSTEM SET archive_timeout = " + sql_literal(timeout));
        if (!mode_ok)
            c.exec("ALTER SYSTEM SET archive_mode = 'on'");
        c.exec("SELECT pg_reload_conf()");
    });
    if (mode_ok) {
        std::cout << "archive_command set (reloaded): WAL goes to every repository\n";
        return;
    }
    if (!target.embedded) {
        throw Error(Errc::failed_precondition,
                    "WAL archiving is now configured for the embedded PostgreSQL but takes effect "
                    "only when PostgreSQL restarts (archive_mode), and signetd runs it: restart "
                    "signetd once, then run signetctl backup again");
    }
    std::cout << "archive_mode was off: restarting the embedded PostgreSQL to turn WAL archiving "
                 "on (needed once)\n";
    target.database.reset();
    target.embedded->stop();
    target.embedded->start();
    target.database = std::make_unique<store::Database>(
        store::DatabaseOptions{.dsn = target.embedded->dsn(), .pool_size = 1});
}

int backup_run(const Arguments& args) {
    args.allow({"config", "type"});
    const std::string type = args.option("type", nullptr, "full");
    if (type != "full" && type != "diff" && type != "incr")
        throw UsageError("--type must be full, diff or incr");
    BackupTarget target = open_backup_target(args, true);
    write_backup_files(target);
    ensure_archiving(target);
    // Idempotent: creates the stanza in every repository that lacks it, checks the others match.
    run_pgbackrest(target, {"stanza-create"});
    // Forces a WAL switch and waits until the segment is in every repository.
    run_pgbackrest(target, {"check"});
    const auto& repositories = target.config.backup->repositories;
    for (std::size_t i = 1; i <= repositories.size(); ++i) {
        std::cout << "repository " << i << ": " << type << " backup..." << std::flush;
        run_pgbackrest(target, {"--repo=" + std::to_string(i), "--type=" + type, "backup"});
        std::cout << " done\n";
    }
    std::cout << run_pgbackrest(target, {"info"});
    return 0;
}

int backup_info(const Arguments& args) {
    args.allow({"config", "json"});
    BackupTarget target = open_backup_target(args, false);
    if (!std::filesystem::exists(target.paths.config()))
        throw Error(Errc::failed_precondition,
                    "no " + target.paths.config().string() + " yet: run signetctl backup first");
    std::cout << run_pgbackrest(
        target, {args.options.contains("json") ? "--output=json" : "--output=text", "info"});
    return 0;
}

}  // namespace

std::optional<int> run_backup_command(const Arguments& args) {
    const auto& w = args.words;
    if (w.size() == 1 && w[0] == "backup")
        return backup_run(args);
    if (w.size() == 2 && w[0] == "backup" && w[1] == "info")
        return backup_info(args);
    if (w.size() == 1 && w[0] == "restore")
        return restore_embedded(args);
    return std::nullopt;
}

}  // namespace signet::ops
