// signet.yaml's backup section (policy/config_sections.hpp): pgBackRest's stanza, the
// repositories (a directory, or the S3, Azure and GCS object stores pgBackRest speaks), their
// retention, and where each object store's credentials come from. The values end up as
// pgBackRest's repoN-* options (ops/backup_config.cpp); the names here follow them.
#include <algorithm>
#include <set>

#include "policy/config_sections.hpp"

namespace signet::policy::sections {

using namespace yaml;

namespace {

constexpr std::size_t kMaxRepositories = 4;
constexpr unsigned long long kMaxRetention = 9'999'999;  // pgBackRest's bound for a count

bool is_stanza_name(const std::string& name) {
    return !name.empty() && name.size() <= 64 && std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
    });
}

// A value that goes into pgbackrest.conf as `key=value` on one line: no line break, no NUL, and
// printable, so nothing can add an option of its own.
bool is_conf_value(const std::string& value) {
    return !value.empty() && value.size() <= 1024 && std::ranges::all_of(value, [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    });
}

// An option the object store needs (required) or may take, copied as text.
void read_option(Map& repo, const std::string& key, BackupRepository& out, bool required,
                 const std::vector<std::string>& allowed = {}) {
    std::string value;
    if (!read_string(repo, key, value, required))
        return;
    if (!is_conf_value(value)) {
        repo.add(key, "must be 1-1024 printable characters");
        return;
    }
    if (!allowed.empty() && std::ranges::find(allowed, value) == allowed.end()) {
        repo.add(key, "must be one of: " + joined(allowed));
        return;
    }
    out.options[key] = value;
}

void read_secret(Map& repo, const fs::path& base, const std::string& key, std::string_view what,
                 BackupRepository& out, bool required) {
    SecretSource source;
    if (read_secret_source(repo, key, base, what, source))
        out.secrets[key] = std::move(source);
    else if (required && !present(repo.take(key)))
        repo.missing(key);
}

void read_object_store(Map& repo, const fs::path& base, BackupRepository& out) {
    std::string prefix = "/signet";
    if (read_string(repo, "path", prefix) && (!prefix.starts_with("/") || !is_conf_value(prefix)))
        repo.add("path", "must be an absolute prefix inside the bucket or container, e.g. /signet");
    out.path = prefix;
    read_bool(repo, "verify_tls", out.verify_tls);
    switch (out.type) {
        case BackupRepositoryType::s3: {
            read_option(repo, "bucket", out, true);
            read_option(repo, "endpoint", out, true);
            read_option(repo, "region", out, true);
            read_option(repo, "uri_style", out, false, {"host", "path"});
            read_option(repo, "key_type", out, false, {"shared", "auto", "web-id"});
            // shared (pgBackRest's default): an access key pair; auto/web-id: the instance's role.
            const bool shared =
                !out.options.contains("key_type") || out.options["key_type"] == "shared";
            read_secret(repo, base, "key", "an S3 access key", out, shared);
            read_secret(repo, base, "key_secret", "an S3 secret key", out, shared);
            break;
        }
        case BackupRepositoryType::azure:
            read_option(repo, "account", out, true);
            read_option(repo, "container", out, true);
            read_option(repo, "endpoint", out, false);
            read_option(repo, "key_type", out, false, {"shared", "sas"});
            read_secret(repo, base, "key", "an Azure key", out, true);
            break;
        case BackupRepositoryType::gcs: {
            read_option(repo, "bucket", out, true);
            read_option(repo, "endpoint", out, false);
            read_option(repo, "key_type", out, false, {"service", "auto"});
            // service (the default): the service account's JSON key file, which pgBackRest reads
            // itself; the file is the secret's source, so only its path is kept.
            const bool service =
                !out.options.contains("key_type") || out.options["key_type"] == "service";
            fs::path key_file;
            if (read_path(repo, "key_file", base, key_file, service, true))
                out.options["key_file"] = key_file.string();
            break;
        }
        case BackupRepositoryType::posix:
            break;
    }
}

void read_repository(Map& repo, const fs::path& base, BackupRepository& out) {
    std::string type;
    if (!read_string(repo, "type", type, true))
        return;
    static const std::map<std::string, BackupRepositoryType> kTypes{
        {"posix", BackupRepositoryType::posix},
        {"s3", BackupRepositoryType::s3},
        {"azure", BackupRepositoryType::azure},
        {"gcs", BackupRepositoryType::gcs}};
    const auto found = kTypes.find(type);
    if (found == kTypes.end()) {
        repo.add("type", "must be one of: posix, s3, azure, gcs");
        return;
    }
    out.type = found->second;
    if (out.type == BackupRepositoryType::posix) {
        std::string dir;
        if (read_string(repo, "path", dir, true)) {
            if (dir.empty() || !is_conf_value(dir))
                repo.add("path", "must be a directory's path (printable, one line)");
            else
                out.path = resolve(base, dir).lexically_normal();
        }
    } else {
        read_object_store(repo, base, out);
    }
    Map retention = repo.section("retention");
    read_unsigned(retention, "full", out.retention_full, 1, kMaxRetention, "a number of backups");
    unsigned diff = 0;
    if (read_unsigned(retention, "diff", diff, 1, kMaxRetention, "a number of backups"))
        out.retention_diff = diff;
    retention.finish();
}

}  // namespace

void read_backup(Map& m, const fs::path& base, BackupSettings& out) {
    if (read_string(m, "stanza", out.stanza) && !is_stanza_name(out.stanza))
        m.add("stanza", "must be 1-64 of A-Z, a-z, 0-9, '_', '.', '-'");
    read_duration(m, "archive_timeout_seconds", out.archive_timeout, 0, 86'400);
    read_unsigned(m, "process_max", out.process_max, 1, 64, "a number of processes");

    YAML::Node list = m.take("repositories");
    if (!present(list)) {
        m.missing("repositories");
        return;
    }
    if (!list.IsSequence() || list.size() == 0 || list.size() > kMaxRepositories) {
        m.add("repositories", "expected a list of 1-" + std::to_string(kMaxRepositories) +
                                  " repositories ({type: posix, path: DIR} or an object store)");
        return;
    }
    std::set<fs::path> directories;
    for (std::size_t i = 0; i < list.size(); ++i) {
        Map repo(list[i], element_path(m.key_path("repositories"), i), m.problems(),
                 list[i].Mark());
        if (repo.wrong_type())
            continue;
        BackupRepository repository;
        read_repository(repo, base, repository);
        repo.finish();
        if (repository.type == BackupRepositoryType::posix && !repository.path.empty() &&
            !directories.insert(repository.path).second) {
            add_element_problem(m, "repositories", i,
                                "the directory " + repository.path.string() +
                                    " is already another repository; two sites need two places");
        }
        out.repositories.push_back(std::move(repository));
    }
}

}  // namespace signet::policy::sections
