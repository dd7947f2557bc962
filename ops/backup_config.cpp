// pgBackRest's configuration from signet.yaml's backup section (ops/backup_config.hpp). Option
// names are pgBackRest 2.45's (its "Configuration Reference": repo-type, repo-path,
// repo-retention-full, repo-s3-bucket ...); repositories are numbered in the order listed.
#include "ops/backup_config.hpp"

#include <algorithm>
#include <sstream>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/secret.hpp"

namespace signet::ops {

namespace {

using policy::BackupRepositoryType;

const char* type_name(BackupRepositoryType type) {
    switch (type) {
        case BackupRepositoryType::posix:
            return "posix";
        case BackupRepositoryType::s3:
            return "s3";
        case BackupRepositoryType::azure:
            return "azure";
        case BackupRepositoryType::gcs:
            return "gcs";
    }
    return "posix";
}

// pgBackRest reads `key=value` lines: a value must not end the line early.
std::string one_line_value(const std::string& key, const std::string& value) {
    if (value.empty() ||
        std::ranges::any_of(value, [](char c) { return c == '\n' || c == '\r' || c == '\0'; })) {
        throw Error(Errc::invalid_argument,
                    "pgBackRest option " + key + ": the value is empty or holds a line break");
    }
    return key + "=" + value + "\n";
}

// signet.yaml's object-store key -> pgBackRest's option after "repoN-TYPE-".
std::string option_name(const std::string& key) {
    if (key == "key_file")
        return "key";  // repo-gcs-key: the service key file's path
    std::string name = key;
    std::ranges::replace(name, '_', '-');
    return name;
}

std::string shell_quoted(const std::string& word) {
    std::string out = "'";
    for (char c : word) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

}  // namespace

std::string pgbackrest_conf(const policy::BackupSettings& backup, const ClusterLocation& cluster,
                            const BackupPaths& paths) {
    std::ostringstream conf;
    conf << "# Written by signetctl backup from signet.yaml's backup section: edits are lost.\n"
         << "# The object stores' keys are in " << paths.secrets().string() << " (0600).\n"
         << "[global]\n"
         << one_line_value("lock-path", paths.lock_dir().string())
         << one_line_value("log-path", paths.log_dir().string())
         << one_line_value("spool-path", paths.spool_dir().string())
         << "log-level-console=warn\nlog-level-file=info\n"
         // A backup starts at once (an immediate checkpoint), not at the next scheduled one.
         << "start-fast=y\n"
         << "process-max=" << backup.process_max << "\n";
    for (std::size_t i = 0; i < backup.repositories.size(); ++i) {
        const auto& repo = backup.repositories[i];
        const std::string prefix = "repo" + std::to_string(i + 1) + "-";
        const std::string type = type_name(repo.type);
        conf << "\n"
             << one_line_value(prefix + "type", type)
             << one_line_value(prefix + "path", repo.path.string()) << prefix
             << "retention-full-type=count\n"
             << prefix << "retention-full=" << repo.retention_full << "\n";
        if (repo.retention_diff)
            conf << prefix << "retention-diff=" << *repo.retention_diff << "\n";
        if (repo.type == BackupRepositoryType::posix)
            continue;
        for (const auto& [key, value] : repo.options)
            conf << one_line_value(prefix + type + "-" + option_name(key), value);
        if (!repo.verify_tls)
            conf << prefix << "storage-verify-tls=n\n";
    }
    conf << "\n[" << backup.stanza << "]\n"
         << one_line_value("pg1-path", cluster.data_dir.string())
         << one_line_value("pg1-socket-path", cluster.socket_dir.string())
         << "pg1-port=" << cluster.port << "\n"
         << one_line_value("pg1-user", cluster.user);
    return conf.str();
}

std::string secrets_conf(const policy::BackupSettings& backup) {
    std::string conf;
    for (std::size_t i = 0; i < backup.repositories.size(); ++i) {
        const auto& repo = backup.repositories[i];
        for (const auto& [key, source] : repo.secrets) {
            const std::string option = "repo" + std::to_string(i + 1) + "-" + type_name(repo.type) +
                                       "-" + option_name(key);
            const Secret secret = read_secret(source);
            if (std::ranges::any_of(secret.view(), [](char c) { return c == '\r' || c == '\0'; }))
                throw Error(Errc::invalid_argument,
                            option + " from " + source.describe() + " holds a control character");
            conf += option + "=";
            conf += secret.view();
            conf += "\n";
        }
    }
    return conf.empty() ? conf : "[global]\n" + conf;
}

std::vector<std::string> pgbackrest_command(const policy::BackupSettings& backup,
                                            const BackupPaths& paths) {
    // --config alone would skip the include directory; both are named.
    return {"pgbackrest", "--config=" + paths.config().string(),
            "--config-include-path=" + paths.include_dir().string(), "--stanza=" + backup.stanza};
}

std::string archive_command(const policy::BackupSettings& backup, const BackupPaths& paths) {
    std::string command;
    for (const auto& word : pgbackrest_command(backup, paths))
        command += (command.empty() ? "" : " ") + shell_quoted(word);
    return command + " archive-push %p";
}

std::string sql_literal(std::string_view value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'')
            out += '\'';
        out += c;
    }
    return out + "'";
}

std::string recovery_target_time(std::string_view rfc3339) {
    std::string text = format_utc(parse_utc(rfc3339));  // "2026-12-07T03:10:00.000000Z"
    text[10] = ' ';
    text.pop_back();
    return text + "+00";
}

}  // namespace signet::ops
