#include "policy/config.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <tuple>

#include "common/error.hpp"
#include "policy/yaml_reader.hpp"

namespace signet::policy {

namespace {

namespace fs = std::filesystem;
using namespace yaml;

// A configuration is a few kilobytes; anything near this is not one.
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// Listening addresses are IP literals: the server binds them as they are, without a resolver.
bool is_ip_address(const std::string& text) {
    std::string address = text;
    if (const auto percent = address.find('%'); percent != std::string::npos)
        address.resize(percent);  // an IPv6 zone, as in fe80::1%eth0
    in6_addr buffer{};
    return inet_pton(AF_INET, address.c_str(), &buffer) == 1 ||
           inet_pton(AF_INET6, address.c_str(), &buffer) == 1;
}

// --- Sections --------------------------------------------------------------------------------

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

// An environment variable's name as a shell would accept it.
bool is_variable_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9'))
        return false;
    return std::ranges::all_of(name, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
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
    std::string pin;
    if (read_string(map, "pin", pin, true)) {
        // No message below repeats the value: it may be a PIN typed where its source belongs
        // (DESIGN.md invariant 6).
        try {
            SecretSource source = SecretSource::parse(pin);
            if (source.kind == SecretSource::Kind::file) {
                source.location = resolve(base, source.location).string();
                if (!is_existing_file(source.location))
                    map.add("pin", "file " + source.location + " does not exist");
                else
                    out.pin = std::move(source);
            } else if (!is_variable_name(source.location)) {
                map.add("pin",
                        "env: needs an environment variable's name (letters, digits and _, not "
                        "starting with a digit); the value is not shown");
            } else {
                out.pin = std::move(source);
            }
        } catch (const Error&) {
            map.add("pin",
                    "must be file:PATH or env:VARIABLE (a PIN itself is never accepted; the "
                    "value is not shown)");
        }
    }
    read_unsigned(map, "pool_size", out.pool_size, 1, 1024, "a session count");
    read_duration(map, "session_wait_ms", out.session_wait, 1, 600'000);
    read_duration(map, "retry_interval_ms", out.retry_interval, 10, 600'000);
}

std::string lowercase(std::string_view text) {
    std::string lower(text);
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower;
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

std::string joined(const std::vector<std::string>& words) {
    std::string all;
    for (const auto& w : words)
        all += (all.empty() ? "" : ", ") + w;
    return all;
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

// Extended key usage names Signet's profiles use, and their OIDs (RFC 5280 §4.2.1.12, RFC 9336).
const std::map<std::string, std::string>& eku_names() {
    static const std::map<std::string, std::string> names{
        {"serverAuth", "1.3.6.1.5.5.7.3.1"},       {"clientAuth", "1.3.6.1.5.5.7.3.2"},
        {"codeSigning", "1.3.6.1.5.5.7.3.3"},      {"emailProtection", "1.3.6.1.5.5.7.3.4"},
        {"timeStamping", "1.3.6.1.5.5.7.3.8"},     {"OCSPSigning", "1.3.6.1.5.5.7.3.9"},
        {"documentSigning", "1.3.6.1.5.5.7.3.36"},
    };
    return names;
}

// The KeyUsage bits of RFC 5280 §4.2.1.3 (contentCommitment is nonRepudiation's newer name).
const std::set<std::string>& key_usage_names() {
    static const std::set<std::string> names{
        "digitalSignature", "nonRepudiation", "contentCommitment", "keyEncipherment",
        "dataEncipherment", "keyAgreement",   "keyCertSign",       "cRLSign",
        "encipherOnly",     "decipherOnly"};
    return names;
}

void read_profile(Map& map, unsigned max_assurance, CertificateProfile& out) {
    if (!read_nonempty_string(map, "issuer", out.issuer) && !present(map.take("issuer")))
        map.missing("issuer");
    std::vector<std::string> key_types;
    if (read_string_list(map, "key_types", key_types)) {
        if (key_types.empty())
            map.add("key_types", "must name at least one key type");
        for (std::size_t i = 0; i < key_types.size(); ++i) {
            try {
                out.key_types.push_back(parse_key_type(key_types[i]));
            } catch (const Error& e) {
                add_element_problem(map, "key_types", i, e.what());
            }
        }
    } else if (!present(map.take("key_types"))) {
        map.missing("key_types");
    }
    if (!read_unsigned(map, "validity_days", out.validity_days, 1, 36500, "a validity in days") &&
        !present(map.take("validity_days"))) {
        map.missing("validity_days");
    }
    if (read_string_list(map, "key_usage", out.key_usage)) {
        for (std::size_t i = 0; i < out.key_usage.size(); ++i) {
            if (!key_usage_names().contains(out.key_usage[i])) {
                add_element_problem(map, "key_usage", i,
                                    "'" + out.key_usage[i] + "' is not a key usage" +
                                        did_you_mean(out.key_usage[i], key_usage_names()) +
                                        " (RFC 5280 §4.2.1.3)");
            }
        }
    }
    std::vector<std::string> ekus;
    if (read_string_list(map, "extended_key_usage", ekus)) {
        std::vector<std::string> known_ekus;
        for (const auto& [name, oid] : eku_names())
            known_ekus.push_back(name);
        for (std::size_t i = 0; i < ekus.size(); ++i) {
            if (auto it = eku_names().find(ekus[i]); it != eku_names().end()) {
                out.extended_key_usage.push_back(it->second);
            } else if (is_valid_oid(ekus[i])) {
                out.extended_key_usage.push_back(ekus[i]);
            } else {
                const std::string hint = did_you_mean(ekus[i], known_ekus);
                add_element_problem(map, "extended_key_usage", i,
                                    "'" + ekus[i] +
                                        "' is neither an OID nor a known extended key "
                                        "usage" +
                                        (hint.empty() ? " (" + joined(known_ekus) + ")" : hint));
            }
        }
    }
    read_oid_list(map, "certificate_policies", out.certificate_policies);
    read_nonempty_string(map, "subject_template", out.subject_template);
    Map aia = map.section("aia");
    read_url(aia, "ocsp_url", out.ocsp_url);
    read_url(aia, "ca_issuers_url", out.ca_issuers_url);
    aia.finish();
    read_url(map, "crl_distribution_point", out.crl_distribution_point);
    read_unsigned(map, "required_assurance", out.required_assurance, 0, max_assurance,
                  "an assurance level");
}

// Profile names are what API callers and operators type ("personal", "e-seal").
bool is_profile_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    });
}

void read_crl(Map& map, CrlSettings& out) {
    const bool validity_given = read_duration(map, "validity_hours", out.validity, 1, 8760);
    const bool refresh_given = read_duration(map, "refresh_hours", out.refresh, 1, 8760);
    // A relying party must always find a current CRL: the next one is made before this one ends.
    if ((validity_given || refresh_given) && out.refresh >= out.validity) {
        map.add(refresh_given ? "refresh_hours" : "validity_hours",
                "refresh_hours (" + std::to_string(out.refresh.count()) +
                    ") must be less than validity_hours (" + std::to_string(out.validity.count()) +
                    ")");
    }
}

void read_ca(Map& map, unsigned max_assurance, CaSettings& out) {
    {
        Map crl = map.section("crl");
        read_crl(crl, out.crl);
        crl.finish();
    }
    read_nonempty_string(map, "user_key_kek", out.user_key_kek);
    YAML::Node profiles = map.take("profiles");
    if (!present(profiles))
        return;
    if (!profiles.IsMap()) {
        map.add("profiles", "expected a mapping of profile names");
        return;
    }
    report_odd_keys(profiles, map.key_path("profiles"), map.problems());
    for (const auto& entry : profiles) {
        if (!entry.first.IsScalar())
            continue;
        const std::string name = entry.first.as<std::string>();
        const std::string path = map.key_path("profiles") + "." + name;
        if (!is_profile_name(name)) {
            map.problems().add(entry.first.Mark(), path,
                               "is not a profile name (letters, digits, '-' and '_')");
        }
        Map profile(entry.second, path, map.problems(), entry.first.Mark());
        CertificateProfile p;
        read_profile(profile, max_assurance, p);
        profile.finish();
        out.profiles.emplace(name, std::move(p));
    }
}

void read_tsa(Map& map, TsaSettings& out) {
    read_oid(map, "policy_oid", out.policy_oid);
    read_oid_list(map, "accepted_policies", out.accepted_policies);
    std::vector<std::string> digests;
    if (read_string_list(map, "digests", digests)) {
        if (digests.empty())
            map.add("digests", "must name at least one digest (sha256, sha384, sha512)");
        std::vector<Digest> parsed;
        for (std::size_t i = 0; i < digests.size(); ++i) {
            try {
                parsed.push_back(parse_digest(digests[i]));
            } catch (const Error&) {
                // SHA-1 and MD5 are refused on purpose (RFC 5816 moved away from SHA-1).
                add_element_problem(
                    map, "digests", i,
                    "'" + digests[i] + "' is not accepted (sha256, sha384, sha512)");
            }
        }
        if (!parsed.empty())
            out.digests = std::move(parsed);
    }
    // RFC 3161 §2.4.2 allows any accuracy; a TSA for signatures with legal effect keeps it
    // within 1 s.
    const bool accuracy_given = read_duration(map, "accuracy_ms", out.accuracy, 1, 1000);
    const bool precision_given =
        read_unsigned(map, "precision", out.precision, 0, 6, "a number of fractional digits");
    // RFC 3161 section 2.4.2: the accuracy is the deviation around UTC of genTime. genTime is
    // the clock cut to `precision` digits, so it is off by up to the clock's error plus one
    // step, and the TSA issues only while both fit in the accuracy (tsa/responder.hpp,
    // assess_clock). A step as large as the accuracy leaves no room for any clock error: no
    // token could ever be issued. 0 digits (steps of 1 s) fit no accuracy; 3 digits (1 ms)
    // need 2 ms at least.
    const auto step = precision_step(out.precision);
    const auto accuracy = std::chrono::duration_cast<std::chrono::microseconds>(out.accuracy);
    if ((accuracy_given || precision_given) && step >= accuracy) {
        map.add(precision_given ? "precision" : "accuracy_ms",
                std::to_string(out.precision) + " fractional digits (steps of " +
                    std::to_string(step.count()) + " us) leave no room for the clock's error " +
                    "within an accuracy of " + std::to_string(out.accuracy.count()) +
                    " ms: use more digits or a larger accuracy_ms");
    }
    read_bool(map, "allow_unsynchronized_clock", out.allow_unsynchronized_clock);
    read_bool(map, "include_chain", out.include_chain);
    read_bool(map, "include_tsa_name", out.include_tsa_name);
    std::string signing_digest;
    if (read_string(map, "signing_digest", signing_digest)) {
        try {
            out.signing_digest = parse_digest(signing_digest);
        } catch (const Error&) {
            map.add("signing_digest",
                    "'" + signing_digest + "' is not accepted (sha256, sha384, sha512)");
        }
    }
    read_nonempty_string(map, "key_label", out.key_label);
}

void read_ocsp(Map& map, OcspSettings& out) {
    // RFC 5019 §4: responses are pre-signed and cached; a week is the usual upper bound.
    read_duration(map, "response_validity_seconds", out.response_validity, 60, 7 * 24 * 3600);
    read_nonempty_string(map, "key_label", out.key_label);
}

void read_otp(Map& map, OtpSettings& out) {
    // RFC 6238 §5.2 and RFC 4226 §5.3: 6 to 8 digits; 30 s steps; a small resynchronisation window.
    read_unsigned(map, "digits", out.digits, 6, 8, "a digit count");
    read_duration(map, "period_seconds", out.period, 15, 300);
    read_unsigned(map, "window", out.window, 0, 10, "a number of periods");
}

Config parse(const YAML::Node& root, const fs::path& source, Problems& problems) {
    Config config;
    config.file = source;
    const fs::path base = source.has_parent_path() ? source.parent_path() : fs::current_path();
    if (!root.IsDefined() || root.IsNull()) {
        problems.add(YAML::Mark::null_mark(), "", "is empty (state_dir and hsm are required)");
        return config;
    }
    if (!root.IsMap()) {
        problems.add(root.Mark(), "", "the configuration must be a YAML mapping of sections");
        return config;
    }
    Map top(root, "", problems, root.Mark());

    std::string state_dir;
    if (read_string(top, "state_dir", state_dir, true))
        config.state_dir = resolve(base, state_dir);

    // Reads one section with `read`, then reports the keys in it that nobody asked for.
    auto section = [](Map& parent, const std::string& key, auto&& read) {
        Map map = parent.section(key);
        read(map);
        map.finish();
    };
    section(top, "listeners", [&](Map& listeners) {
        section(listeners, "http", [&](Map& m) { read_listener(m, config.http); });
        section(listeners, "https", [&](Map& m) { read_https(m, base, config.https); });
        if (config.http.enabled && config.https.enabled && config.http.port == config.https.port &&
            config.http.address == config.https.address) {
            problems.add(listeners.mark(), "listeners",
                         "http and https use the same address and port");
        }
    });
    section(top, "limits", [&](Map& m) { read_limits(m, config.limits); });
    section(top, "hsm", [&](Map& m) { read_hsm(m, base, config.hsm); });
    section(top, "database", [&](Map& m) { read_database(m, config.database); });
    section(top, "logging", [&](Map& m) { read_logging(m, base, config.logging); });
    read_api_clients(top, config.api_clients);
    // identity before ca: a profile's required_assurance is bounded by the identity levels.
    section(top, "identity", [&](Map& m) {
        read_unsigned(m, "max_assurance_level", config.identity.max_assurance_level, 1, 10,
                      "an assurance level");
    });
    section(top, "ca", [&](Map& m) { read_ca(m, config.identity.max_assurance_level, config.ca); });
    section(top, "tsa", [&](Map& m) { read_tsa(m, config.tsa); });
    section(top, "ocsp", [&](Map& m) { read_ocsp(m, config.ocsp); });
    section(top, "signing", [&](Map& m) {
        read_unsigned(m, "max_document_bytes", config.signing.max_document_bytes, 1,
                      1024ull * 1024 * 1024, "a size");
    });
    section(top, "otp", [&](Map& m) { read_otp(m, config.otp); });
    top.finish();
    return config;
}

}  // namespace

std::chrono::microseconds precision_step(unsigned precision) noexcept {
    long long step = 1'000'000;
    for (unsigned digit = 0; digit < precision && step > 1; ++digit)
        step /= 10;
    return std::chrono::microseconds(step);
}

bool is_valid_oid(std::string_view oid) {
    std::vector<std::string_view> arcs;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = oid.find('.', start);
        arcs.push_back(oid.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    if (arcs.size() < 2)
        return false;
    // Arcs may be long: UUID-based OIDs under 2.25 (X.667) have 39-digit arcs.
    for (auto arc : arcs) {
        if (arc.empty() || arc.find_first_not_of("0123456789") != std::string_view::npos)
            return false;
        if (arc.size() > 1 && arc[0] == '0')
            return false;
    }
    // X.660: the first arc is 0 (itu-t), 1 (iso) or 2 (joint); under 0 and 1 the second is
    // below 40 (the first two arcs share one encoded number, 40 * first + second).
    if (arcs[0].size() != 1 || arcs[0][0] > '2')
        return false;
    if (arcs[0][0] < '2' && (arcs[1].size() > 2 || std::stoi(std::string(arcs[1])) >= 40))
        return false;
    return true;
}

Config parse_config(std::string_view yaml, const fs::path& source) {
    Problems problems(source.string());
    const YAML::Node document = parse_document(yaml, kMaxConfigBytes, problems);
    if (!problems.empty())
        throw Error(Errc::invalid_argument, problems.joined());
    Config config = parse(document, source, problems);
    if (!problems.empty())
        throw Error(Errc::invalid_argument, problems.joined());
    return config;
}

Config load_config(const fs::path& file) {
    const std::string text = read_bounded_file(file, kMaxConfigBytes, "configuration file");
    return parse_config(text, fs::absolute(file).lexically_normal());
}

}  // namespace signet::policy
