// signetctl restore (ops/backup_restore.hpp): the embedded cluster brought back from a
// repository, to the end of the archive or to a point in time, promoted, then checked with the
// audit log's own verification (audit::verify over the whole log).
#include <signal.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "audit/log.hpp"
#include "audit/tree_verify.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "ops/appliance.hpp"
#include "ops/backup_restore.hpp"

namespace signet::ops {

namespace fs = std::filesystem;

namespace {

constexpr auto kRecoveryTimeout = std::chrono::minutes(30);

// The data directory a restore replaces, renamed beside it: a restore never deletes data.
fs::path move_aside(const fs::path& data_dir) {
    std::string stamp = format_utc(SystemClock().now()).substr(0, 19);  // 2026-12-07T03:10:00
    std::erase(stamp, ':');
    std::erase(stamp, '-');
    const fs::path aside = data_dir.parent_path() / ("postgres.before-restore-" + stamp + "Z");
    std::error_code ec;
    fs::rename(data_dir, aside, ec);
    if (ec)
        throw Error(Errc::io, "cannot move " + data_dir.string() + " aside: " + ec.message());
    return aside;
}

void refuse_live_server(const fs::path& data_dir) {
    const fs::path pid_file = data_dir / "postmaster.pid";
    if (!fs::exists(pid_file))
        return;
    pid_t pid = 0;
    try {
        pid = static_cast<pid_t>(std::stol(store::read_first_line(pid_file)));
    } catch (...) {
        return;
    }
    if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)) {
        throw Error(Errc::failed_precondition, "a PostgreSQL server (pid " + std::to_string(pid) +
                                                   ") still runs on " + data_dir.string() +
                                                   ": stop it first (pg_ctl stop -D " +
                                                   data_dir.string() + ")");
    }
}

// Recovery replays the archive, then (recovery_target_action=promote, or at the archive's end)
// the server leaves recovery on a new timeline. A recovery paused at its target is promoted.
void wait_for_promotion(store::Database& db) {
    const auto deadline = std::chrono::steady_clock::now() + kRecoveryTimeout;
    for (;;) {
        const bool done = db.with_connection([](store::Connection& c) {
            // The Result outlives its Row.
            const auto result = c.exec(
                "SELECT pg_is_in_recovery() AS recovering, CASE WHEN "
                "pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() "
                "ELSE 'not paused' END AS pause");
            const auto row = result.one();
            if (!row["recovering"].boolean())
                return true;
            if (row["pause"].text() == "paused")
                c.exec("SELECT pg_promote(true, 60)");
            return false;
        });
        if (done)
            return;
        if (std::chrono::steady_clock::now() > deadline)
            throw Error(Errc::unavailable,
                        "the restored cluster is still in recovery after 30 "
                        "minutes; see postgres.log in the state directory");
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

}  // namespace

int restore_embedded(const Arguments& args) {
    args.allow({"config", "latest", "target-time", "repo"});
    if (args.options.contains("latest") && args.options.contains("target-time"))
        throw UsageError("give --latest or --target-time, not both");
    auto config = policy::load_config(args.option("config", "SIGNET_CONFIG", "signet.yaml"));
    if (!config.backup)
        throw Error(Errc::failed_precondition, config.file.string() + " has no backup section");
    if (config.database.dsn) {
        throw Error(Errc::failed_precondition,
                    "signetctl restore brings back the embedded cluster; a database.dsn server is "
                    "restored on its own host with pgbackrest restore (docs/evidence.md runbook)");
    }
    std::vector<std::string> restore_args;
    std::string from = "the first repository holding a backup";
    if (args.options.contains("repo")) {
        const std::string repo = args.options.at("repo");
        const auto count = config.backup->repositories.size();
        if (repo.empty() || repo.size() > 2 ||
            repo.find_first_not_of("0123456789") != std::string::npos || std::stoul(repo) < 1 ||
            std::stoul(repo) > count)
            throw UsageError("--repo must be 1-" + std::to_string(count) +
                             " (signet.yaml's backup.repositories, in order)");
        restore_args.push_back("--repo=" + repo);
        from = "repository " + repo;
    }
    std::string to = "the end of the archive";
    if (args.options.contains("target-time")) {
        const std::string target = recovery_target_time(args.options.at("target-time"));
        restore_args.insert(restore_args.end(),
                            {"--type=time", "--target=" + target, "--target-action=promote"});
        to = target;
    }
    restore_args.push_back("restore");

    // Holds the state directory (refused while signetd or another signetctl does) without
    // starting anything.
    const fs::path state_dir = config.state_dir;
    store::EmbeddedPostgres embedded({.state_dir = state_dir, .start_server = false});
    refuse_live_server(embedded.data_dir());
    BackupTarget target{.config = std::move(config),
                        .paths = BackupPaths(embedded.state_dir()),
                        .cluster = {embedded.data_dir(), embedded.socket_dir(), 5432, "signet"},
                        .embedded_cluster = true,
                        .embedded = nullptr,
                        .database = nullptr,
                        .as = embedded.server_identity()};
    write_backup_files(target);
    std::optional<fs::path> aside;
    if (fs::exists(embedded.data_dir())) {
        aside = move_aside(embedded.data_dir());
        std::cout << "moved the data directory aside to " << aside->string() << "\n";
    }
    store::make_directory_for(embedded.data_dir(), target.as);
    std::cout << "restoring from " << from << " to " << to << "...\n" << std::flush;
    try {
        run_pgbackrest(target, restore_args);
    } catch (const Error& e) {
        // Nothing restored (no backup for that time, a repository unreachable): the data
        // directory as it was goes back in place, and what pgBackRest wrote goes.
        std::error_code ec;
        fs::remove_all(embedded.data_dir(), ec);
        if (aside)
            fs::rename(*aside, embedded.data_dir(), ec);
        throw Error(e.code(), std::string(e.what()) +
                                  (aside && !ec ? "; the data directory was put back" : ""));
    }
    embedded.start();
    store::Database database({.dsn = embedded.dsn(), .pool_size = 1});
    wait_for_promotion(database);
    std::cout << "recovered and promoted: the cluster takes writes\n";

    // The audit log, whole (audit::verify: every leaf hash recomputed, no gap in the sequence).
    const bool has_log = database.with_connection([](store::Connection& c) {
        return c.exec("SELECT to_regclass('audit_events') IS NOT NULL AS present")[0]["present"]
            .boolean();
    });
    if (!has_log) {
        std::cout
            << "audit log: none (the database was never migrated: signetd does it at start)\n";
        return 0;
    }
    SystemClock clock;
    audit::PostgresAuditLog log(database, clock);
    const auto report = audit::verify(log);
    const auto size = log.size();
    std::cout << "audit log: " << size << " events, " << report.checked << " checked";
    if (size > 0) {
        const auto last = log.read(size, size);
        if (!last.empty())
            std::cout << "; last #" << last.back().seq << " " << last.back().event.type << " at "
                      << format_utc(last.back().time);
    }
    std::cout << "\n";
    if (!report.ok()) {
        for (const auto& problem : report.problems)
            std::cout << "  " << problem << "\n";
        throw Error(Errc::failed_precondition, "the restored audit log does not verify");
    }
    std::cout << "audit log verified\n";

    // The Merkle tree and the checkpoints too (migration 13 on): a restored node serves proofs
    // from the stored subtree hashes, so they must agree with the restored leaves.
    const bool has_tree = database.with_connection([](store::Connection& c) {
        return c
            .exec("SELECT to_regclass('audit_checkpoints') IS NOT NULL AS present")[0]["present"]
            .boolean();
    });
    std::int64_t last_checkpoint = 0;
    if (has_tree) {
        const auto tree = audit::verify_tree(database);
        if (!tree.ok())
            throw Error(Errc::failed_precondition,
                        "the restored audit tree does not verify: " + *tree.first_problem);
        last_checkpoint = database.with_connection([](store::Connection& c) {
            return c.exec("SELECT coalesce(max(size), 0) AS size FROM audit_checkpoints")[0]["size"]
                .int64();
        });
        std::cout << "audit tree verified: " << tree.stored_subtrees << " stored subtrees, "
                  << tree.checkpoints << " checkpoints\n";
    }
    // The restore itself is an event of the log. After a point-in-time restore, events after
    // the target are gone and new ones take their sequence numbers: checkpoints a witness or an
    // earlier evidence package holds beyond `last_checkpoint` describe a history this log no
    // longer has (docs/evidence.md, "Restoring (PITR)"); this event is where the fork shows.
    log.record({.type = "audit.restored",
                .actor = operator_actor(),
                .object = "",
                .details = {{"from", from},
                            {"to", to},
                            {"last_event_before", size},
                            {"last_checkpoint_size", last_checkpoint}}});
    std::cout << "recorded audit.restored after event #" << size << "\n";
    return 0;
}

}  // namespace signet::ops
