// The node's own sections of signet.yaml (policy/config_sections.hpp): listeners and their TLS
// files, limits, hsm (the module, the token, where the PIN comes from), database (a DSN without a
// password), logging, and the API clients with their scopes and credentials' fingerprints.
#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "common/error.hpp"
#include "policy/config_sections.hpp"

namespace signet::policy::sections {

namespace fs = std::filesystem;
using namespace yaml;

namespace {

// Listening addresses are IP literals: the server binds them as they are, without a resolver.
bool is_ip_address(const std::string& text) {
    std::string address = text;
    if (const auto percent = address.find('%'); percent != std::string::npos)
        address.resize(percent);  // an IPv6 zone, as in fe80::1%eth0
    in6_addr buffer{};
    return inet_pton(AF_INET, address.c_str(), &buffer) == 1 ||
           inet_pton(AF_INET6, address.c_str(), &buffer) == 1;
}

// Does a libpq connection string carry a password? Keyword form (password=...) or URI form
// (postgresql://user:secret@host, ...?password=...), as libpq parses them.
bool dsn_has_password(std::string_view dsn) {
    const std::string lower = lowercase(dsn);
    const bool uri = lower.starts_with("postgresql://") || lower.starts_with("postgres://");
    if (uri) {
        const std::size_t authority = lower.find("://") + 3;
        const std::size_t authority_end = lower.find_first_of("/?", authority);
        const std::size_t at = lower.rfind('@', authority_end);
        if (at != std::string::npos && at >= authority &&
            lower.substr(authority, at - authority).find(':') != std::string::npos)
            return true;
        const std::size_t query = lower.find('?');
        if (query == std::string::npos)
            return false;
        for (std::size_t p = lower.find("password=", query); p != std::string::npos;
             p = lower.find("password=", p + 1)) {
            if (lower[p - 1] == '?' || lower[p - 1] == '&')
                return true;
        }
        return false;
    }
    for (std::size_t p = lower.find("password"); p != std::string::npos;
         p = lower.find("password", p + 1)) {
        const bool starts_keyword = p == 0 || lower[p - 1] == ' ' || lower[p - 1] == '\t';
        const std::size_t after = lower.find_first_not_of(" \t", p + 8);
        if (starts_keyword && after != std::string::npos && lower[after] == '=')
            return true;
    }
    return false;
}

}  // namespace

void read_listener(Map& map, Listener& out) {
    read_bool(map, "enabled", out.enabled);
    std::string address;
    if (read_nonempty_string(map, "address", address)) {
        if (is_ip_address(address)) {
            out.address = address;
        } else {
            map.add("address",
                    "'" + address + "' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1, ::)");
        }
    }
    read_unsigned(map, "port", out.port, 1, 65535, "a port");
}

void read_https(Map& map, const fs::path& base, HttpsListener& out) {
    read_listener(map, out);
    Map tls = map.section("tls");
    // A disabled listener's files are not looked for: the example and new nodes name files that
    // the operator creates only when turning HTTPS on.
    const bool need_files = out.enabled;
    read_path(tls, "certificate", base, out.tls.certificate, need_files, need_files);
    std::string key;
    if (read_string(tls, "key", key, need_files)) {
        if (key.starts_with("hsm:")) {
            if (key.size() == 4)
                tls.add("key", "hsm: needs a key label, as in hsm:tls-server");
            else
                out.tls.key = key;
        } else if (key.empty()) {
            tls.add("key", "must not be empty");
        } else {
            const fs::path p = resolve(base, key);
            if (need_files && !is_existing_file(p))
                tls.add("key", "file " + p.string() + " does not exist (or use hsm:LABEL)");
            else
                out.tls.key = p.string();
        }
    }
    fs::path client_ca;
    if (read_path(tls, "client_ca", base, client_ca, false, need_files))
        out.tls.client_ca = client_ca;
    read_bool(tls, "require_client_certificate", out.tls.require_client_certificate);
    if (out.tls.require_client_certificate && !out.tls.client_ca && !present(tls.take("client_ca")))
        tls.missing("client_ca");  // which CAs would a client certificate be checked against?
    tls.finish();
}

void read_limits(Map& map, Limits& out) {
    read_unsigned(map, "max_header_bytes", out.max_header_bytes, 1024, 1024 * 1024, "a size");
    read_unsigned(map, "max_body_bytes", out.max_body_bytes, 1, 1024ull * 1024 * 1024, "a size");
    read_duration(map, "header_timeout_ms", out.header_timeout, 100, 600'000);
    read_duration(map, "read_timeout_ms", out.read_timeout, 100, 600'000);
    read_duration(map, "idle_timeout_ms", out.idle_timeout, 100, 3'600'000);
    read_unsigned(map, "max_connections", out.max_connections, 1, 1'000'000);
    read_duration(map, "shutdown_grace_ms", out.shutdown_grace, 0, 600'000);
    read_unsigned(map, "threads", out.threads, 0, 1024);
    read_unsigned(map, "worker_threads", out.worker_threads, 0, 4096);
}

void read_hsm(Map& map, const fs::path& base, HsmSettings& out) {
    if (!map.present()) {
        if (!map.wrong_type())
            map.problems().add(map.mark(), map.path(), "is required");
        return;
    }
    if (present(map.take("module"))) {
        read_path(map, "module", base, out.module, false, true);
    } else if (!is_existing_file(out.module)) {
        map.problems().add(map.mark(), map.key_path("module"),
                           "is not set and the default " + out.module.string() +
                               " does not exist; name the PKCS#11 module");
    }
    read_string(map, "token", out.token, true);
    if (!read_secret_source(map, "pin", base, "a PIN", out.pin) && !present(map.take("pin")))
        map.missing("pin");
    read_unsigned(map, "pool_size", out.pool_size, 1, 1024, "a session count");
    read_duration(map, "session_wait_ms", out.session_wait, 1, 600'000);
    read_duration(map, "retry_interval_ms", out.retry_interval, 10, 600'000);
    read_unsigned(map, "handshake_pool_size", out.handshake_pool_size, 1, 64, "a session count");
    read_duration(map, "handshake_session_wait_ms", out.handshake_session_wait, 1, 10'000);
}

void read_database(Map& map, DatabaseSettings& out) {
    std::string dsn;
    if (read_string(map, "dsn", dsn) && !dsn.empty()) {
        // Never echoed: a DSN may hold credentials.
        const std::string lower = lowercase(dsn);
        if (!lower.starts_with("postgresql://") && !lower.starts_with("postgres://") &&
            dsn.find('=') == std::string::npos) {
            map.add("dsn",
                    "is neither a postgresql:// URI nor keyword=value pairs (the value is not "
                    "shown)");
        } else if (dsn_has_password(dsn)) {
            map.add("dsn",
                    "contains a password; keep it out of the configuration: libpq reads it from "
                    "a password file (passfile=PATH or PGPASSFILE) or PGPASSWORD (the value is "
                    "not shown)");
        } else {
            out.dsn = dsn;
        }
    }
    read_unsigned(map, "pool_size", out.pool_size, 1, 1024, "a connection count");
    read_duration(map, "connect_timeout_ms", out.connect_timeout, 100, 600'000);
    read_duration(map, "wait_ms", out.wait, 10, 600'000);
    read_duration(map, "statement_timeout_ms", out.statement_timeout, 100, 3'600'000);
}

void read_logging(Map& map, const fs::path& base, LoggingSettings& out) {
    std::string level;
    if (read_string(map, "level", level)) {
        static const std::map<std::string, LogLevel> levels{{"debug", LogLevel::debug},
                                                            {"info", LogLevel::info},
                                                            {"warn", LogLevel::warn},
                                                            {"error", LogLevel::error}};
        if (auto it = levels.find(level); it != levels.end())
            out.level = it->second;
        else
            map.add("level", "'" + level + "' is not one of debug, info, warn, error");
    }
    std::string access_log;
    if (read_nonempty_string(map, "access_log", access_log)) {
        out.access_log = access_log == "stdout" || access_log == "stderr"
                             ? access_log
                             : resolve(base, access_log).string();
    }
}

void read_api_clients(Map& root, std::vector<ApiClient>& out) {
    YAML::Node list = root.take("api_clients");
    if (!present(list))
        return;
    if (!list.IsSequence()) {
        root.add("api_clients", "expected a list");
        return;
    }
    std::set<std::string> names;
    // A fingerprint names one client: two clients with the same one would make the scopes a
    // request gets depend on the order of this list.
    std::map<Bytes, std::size_t> certificate_owner;
    std::map<Bytes, std::size_t> token_owner;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = element_path("api_clients", i);
        if (!list[i].IsMap()) {
            root.problems().add(list[i].Mark(), path,
                                "expected a mapping (name, scopes, and certificate_sha256 or "
                                "token_sha256)");
            continue;
        }
        Map entry(list[i], path, root.problems(), list[i].Mark());
        ApiClient client;
        if (read_string(entry, "name", client.name, true) && !names.insert(client.name).second)
            entry.add("name", "'" + client.name + "' is used by another client");
        if (read_string_list(entry, "scopes", client.scopes)) {
            if (client.scopes.empty())
                entry.add("scopes", "must name at least one scope (" + joined(kKnownScopes) + ")");
            for (std::size_t s = 0; s < client.scopes.size(); ++s) {
                const std::string& scope = client.scopes[s];
                if (std::ranges::find(kKnownScopes, scope) == kKnownScopes.end()) {
                    const std::string hint = did_you_mean(scope, kKnownScopes);
                    add_element_problem(
                        entry, "scopes", s,
                        "'" + scope + "' is not a scope" +
                            (hint.empty() ? " (" + joined(kKnownScopes) + ")" : hint));
                }
            }
        } else if (!present(entry.take("scopes"))) {
            entry.missing("scopes");
        }
        const bool has_certificate =
            read_sha256_hex(entry, "certificate_sha256", client.certificate_sha256);
        const bool has_token = read_sha256_hex(entry, "token_sha256", client.token_sha256);
        if (!present(entry.take("certificate_sha256")) && !present(entry.take("token_sha256")))
            entry.problems().add(entry.mark(), path, "needs certificate_sha256 or token_sha256");
        if (has_certificate) {
            const auto [owner, fresh] = certificate_owner.emplace(*client.certificate_sha256, i);
            if (!fresh)
                entry.add("certificate_sha256",
                          "is also " + element_path("api_clients", owner->second) + "'s");
        }
        if (has_token) {
            const auto [owner, fresh] = token_owner.emplace(*client.token_sha256, i);
            if (!fresh)
                entry.add("token_sha256",
                          "is also " + element_path("api_clients", owner->second) + "'s");
        }
        entry.finish();
        out.push_back(std::move(client));
    }
}

}  // namespace signet::policy::sections
