#include "policy/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/error.hpp"

namespace signet::policy {

namespace {

namespace fs = std::filesystem;

// Every problem found, each anchored to its place in the file.
class Problems {
  public:
    explicit Problems(std::string file) : file_(std::move(file)) {}

    void add(const YAML::Mark& mark, const std::string& key, const std::string& message) {
        std::ostringstream line;
        line << file_;
        // yaml-cpp counts from 0; editors count from 1. A mark of -1 means "no position".
        if (mark.line >= 0)
            line << ":" << mark.line + 1 << ":" << mark.column + 1;
        line << ": " << (key.empty() ? "" : key + ": ") << message;
        lines_.push_back(line.str());
    }
    bool empty() const { return lines_.empty(); }
    std::string joined() const {
        std::string all;
        for (const auto& l : lines_)
            all += (all.empty() ? "" : "\n") + l;
        return all;
    }

  private:
    std::string file_;
    std::vector<std::string> lines_;
};

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// A YAML mapping being read: remembers which keys were asked for, so that whatever is left is
// reported as unknown (with the closest known key as a suggestion).
class Map {
  public:
    Map(YAML::Node node, std::string path, Problems& problems, YAML::Mark mark)
        : node_(std::move(node)), path_(std::move(path)), problems_(problems), mark_(mark) {
        if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
            problems_.add(node_.Mark(), path_, "expected a mapping");
            node_ = YAML::Node();
        }
    }

    bool present() const { return node_.IsDefined() && node_.IsMap(); }
    const YAML::Mark& mark() const { return mark_; }
    Problems& problems() const { return problems_; }
    std::string key_path(const std::string& key) const {
        return path_.empty() ? key : path_ + "." + key;
    }

    YAML::Node take(const std::string& key) {
        known_.insert(key);
        if (!present())
            return YAML::Node(YAML::NodeType::Undefined);
        return node_[key];
    }

    Map section(const std::string& key) {
        YAML::Node child = take(key);
        return Map(child, key_path(key), problems_, child.IsDefined() ? child.Mark() : mark_);
    }

    void missing(const std::string& key) { problems_.add(mark_, key_path(key), "is required"); }

    // Reports the keys nobody asked for.
    void finish() const {
        if (!present())
            return;
        for (const auto& entry : node_) {
            const std::string key = entry.first.as<std::string>("");
            if (known_.contains(key))
                continue;
            std::string message = "unknown key";
            std::string best;
            std::size_t best_distance = 3;
            for (const auto& k : known_) {
                const std::size_t d = edit_distance(key, k);
                if (d < best_distance) {
                    best_distance = d;
                    best = k;
                }
            }
            if (!best.empty())
                message += " (did you mean '" + best + "'?)";
            problems_.add(entry.first.Mark(), key_path(key), message);
        }
    }

  private:
    YAML::Node node_;
    std::string path_;
    Problems& problems_;
    YAML::Mark mark_;
    std::set<std::string> known_;
};

bool present(const YAML::Node& n) {
    return n.IsDefined() && !n.IsNull();
}

// Scalar readers: each leaves `out` untouched when the key is absent, and reports a problem
// (leaving it untouched too) when the value is of the wrong kind or out of range.
bool read_string(Map& map, const std::string& key, std::string& out, bool required = false) {
    YAML::Node n = map.take(key);
    if (!present(n)) {
        if (required)
            map.missing(key);
        return false;
    }
    if (!n.IsScalar()) {
        map.problems().add(n.Mark(), map.key_path(key), "expected a string");
        return false;
    }
    out = n.as<std::string>();
    if (out.empty() && required) {
        map.problems().add(n.Mark(), map.key_path(key), "must not be empty");
        return false;
    }
    return true;
}

void read_bool(Map& map, const std::string& key, bool& out) {
    YAML::Node n = map.take(key);
    if (!present(n))
        return;
    bool value = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
        map.problems().add(n.Mark(), map.key_path(key),
                           "'" + n.as<std::string>("") + "' is not a boolean (true or false)");
        return;
    }
    out = value;
}

template <class Unsigned>
bool read_unsigned(Map& map, const std::string& key, Unsigned& out, unsigned long long min,
                   unsigned long long max, const std::string& what = "a number") {
    YAML::Node n = map.take(key);
    if (!present(n))
        return false;
    const std::string text = n.IsScalar() ? n.as<std::string>() : "";
    long long value = 0;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, value) ||
        text.find_first_not_of("0123456789+-") != std::string::npos) {
        map.problems().add(n.Mark(), map.key_path(key), "'" + text + "' is not " + what);
        return false;
    }
    if (value < 0 || static_cast<unsigned long long>(value) < min ||
        static_cast<unsigned long long>(value) > max) {
        map.problems().add(n.Mark(), map.key_path(key),
                           text + " is not " + what + " (" + std::to_string(min) + "-" +
                               std::to_string(max) + ")");
        return false;
    }
    out = static_cast<Unsigned>(value);
    return true;
}

template <class Duration>
void read_duration(Map& map, const std::string& key, Duration& out, unsigned long long min,
                   unsigned long long max) {
    unsigned long long count = 0;
    if (read_unsigned(map, key, count, min, max))
        out = Duration(static_cast<typename Duration::rep>(count));
}

bool read_string_list(Map& map, const std::string& key, std::vector<std::string>& out) {
    YAML::Node n = map.take(key);
    if (!present(n))
        return false;
    if (!n.IsSequence()) {
        map.problems().add(n.Mark(), map.key_path(key), "expected a list");
        return false;
    }
    out.clear();
    bool ok = true;
    for (std::size_t i = 0; i < n.size(); ++i) {
        if (!n[i].IsScalar()) {
            map.problems().add(n[i].Mark(), map.key_path(key) + "[" + std::to_string(i) + "]",
                               "expected a string");
            ok = false;
            continue;
        }
        out.push_back(n[i].as<std::string>());
    }
    return ok;
}

// Position of a list element, for messages about one entry of a list.
YAML::Mark element_mark(Map& map, const std::string& key, std::size_t index) {
    YAML::Node n = map.take(key);
    return n.IsSequence() && index < n.size() ? n[index].Mark() : map.mark();
}

fs::path resolve(const fs::path& base, const std::string& value) {
    fs::path p(value);
    return p.is_absolute() ? p.lexically_normal() : (base / p).lexically_normal();
}

// A path that must name an existing file.
bool read_existing_file(Map& map, const std::string& key, const fs::path& base, fs::path& out,
                        bool required, bool must_exist = true) {
    std::string text;
    if (!read_string(map, key, text, required))
        return false;
    const fs::path p = resolve(base, text);
    std::error_code ec;
    if (must_exist && !fs::is_regular_file(p, ec)) {
        map.problems().add(map.take(key).Mark(), map.key_path(key),
                           "file " + p.string() + " does not exist");
        return false;
    }
    out = p;
    return true;
}

bool read_oid(Map& map, const std::string& key, std::string& out) {
    std::string text;
    if (!read_string(map, key, text))
        return false;
    if (!is_valid_oid(text)) {
        map.problems().add(map.take(key).Mark(), map.key_path(key), "'" + text + "' is not an OID");
        return false;
    }
    out = text;
    return true;
}

void read_oid_list(Map& map, const std::string& key, std::vector<std::string>& out) {
    std::vector<std::string> values;
    if (!read_string_list(map, key, values))
        return;
    bool ok = true;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!is_valid_oid(values[i])) {
            map.problems().add(element_mark(map, key, i),
                               map.key_path(key) + "[" + std::to_string(i) + "]",
                               "'" + values[i] + "' is not an OID");
            ok = false;
        }
    }
    if (ok)
        out = values;
}

bool read_sha256_hex(Map& map, const std::string& key, std::optional<Bytes>& out) {
    std::string text;
    if (!read_string(map, key, text))
        return false;
    std::string compact;
    for (char c : text) {
        if (c != ':')
            compact.push_back(c);
    }
    try {
        Bytes value = from_hex(compact);
        if (value.size() == 32) {
            out = std::move(value);
            return true;
        }
    } catch (const Error&) {
    }
    map.problems().add(map.take(key).Mark(), map.key_path(key),
                       "is not a SHA-256 in hex (64 digits)");
    return false;
}

void read_url(Map& map, const std::string& key, std::string& out) {
    std::string text;
    if (!read_string(map, key, text))
        return;
    if (!text.starts_with("http://") && !text.starts_with("https://")) {
        map.problems().add(map.take(key).Mark(), map.key_path(key),
                           "'" + text + "' is not an http(s) URL");
        return;
    }
    out = text;
}

// --- Sections --------------------------------------------------------------------------------

void read_listener(Map& map, Listener& out) {
    read_bool(map, "enabled", out.enabled);
    read_string(map, "address", out.address);
    read_unsigned(map, "port", out.port, 1, 65535, "a port");
}

void read_https(Map& map, const fs::path& base, HttpsListener& out) {
    read_listener(map, out);
    Map tls = map.section("tls");
    const bool need_files = out.enabled;
    read_existing_file(tls, "certificate", base, out.tls.certificate, need_files, need_files);
    if (read_string(tls, "key", out.tls.key, need_files) && !out.tls.key_in_hsm()) {
        // A key file is re-read as a path; "hsm:LABEL" keys live in the HSM.
        const fs::path p = resolve(base, out.tls.key);
        std::error_code ec;
        if (need_files && !fs::is_regular_file(p, ec)) {
            tls.problems().add(tls.take("key").Mark(), tls.key_path("key"),
                               "file " + p.string() + " does not exist (or use hsm:LABEL)");
        }
        out.tls.key = p.string();
    } else if (out.tls.key_in_hsm() && out.tls.hsm_key_label().empty()) {
        tls.problems().add(tls.take("key").Mark(), tls.key_path("key"), "hsm: needs a key label");
    }
    fs::path client_ca;
    if (read_existing_file(tls, "client_ca", base, client_ca, false, need_files))
        out.tls.client_ca = client_ca;
    read_bool(tls, "require_client_certificate", out.tls.require_client_certificate);
    if (out.tls.require_client_certificate && !out.tls.client_ca) {
        tls.problems().add(tls.mark(), tls.key_path("client_ca"),
                           "is required when require_client_certificate is true");
    }
    tls.finish();
}

void read_limits(Map& map, Limits& out) {
    read_unsigned(map, "max_header_bytes", out.max_header_bytes, 1024, 1024 * 1024);
    read_unsigned(map, "max_body_bytes", out.max_body_bytes, 1, 1024ull * 1024 * 1024);
    read_duration(map, "read_timeout_ms", out.read_timeout, 100, 600'000);
    read_duration(map, "idle_timeout_ms", out.idle_timeout, 100, 3'600'000);
    read_unsigned(map, "max_connections", out.max_connections, 1, 1'000'000);
    read_duration(map, "shutdown_grace_ms", out.shutdown_grace, 0, 600'000);
    read_unsigned(map, "threads", out.threads, 0, 1024);
}

void read_hsm(Map& map, const fs::path& base, HsmSettings& out) {
    if (!map.present()) {
        map.problems().add(map.mark(), "hsm", "is required");
        return;
    }
    fs::path module;
    if (read_existing_file(map, "module", base, module, false))
        out.module = module;
    std::error_code ec;
    if (!fs::exists(out.module, ec)) {
        map.problems().add(map.mark(), map.key_path("module"),
                           "file " + out.module.string() + " does not exist");
    }
    read_string(map, "token", out.token, true);
    std::string pin;
    if (read_string(map, "pin", pin, true)) {
        try {
            out.pin = SecretSource::parse(pin);
            if (out.pin.kind == SecretSource::Kind::file) {
                out.pin.location = resolve(base, out.pin.location).string();
                if (!fs::is_regular_file(out.pin.location, ec)) {
                    map.problems().add(map.take("pin").Mark(), map.key_path("pin"),
                                       "file " + out.pin.location + " does not exist");
                }
            }
        } catch (const Error&) {
            // The value is not repeated: it may be a PIN typed where its source belongs.
            map.problems().add(map.take("pin").Mark(), map.key_path("pin"),
                               "must be file:PATH or env:VARIABLE (a PIN itself is never accepted; "
                               "the value is not shown)");
        }
    }
    read_unsigned(map, "pool_size", out.pool_size, 1, 1024);
}

void read_database(Map& map, DatabaseSettings& out) {
    std::string dsn;
    if (read_string(map, "dsn", dsn) && !dsn.empty())
        out.dsn = dsn;
    read_unsigned(map, "pool_size", out.pool_size, 1, 1024);
    read_duration(map, "connect_timeout_ms", out.connect_timeout, 100, 600'000);
}

void read_logging(Map& map, const fs::path& base, LoggingSettings& out) {
    std::string level;
    if (read_string(map, "level", level)) {
        static const std::map<std::string, LogLevel> levels{{"debug", LogLevel::debug},
                                                            {"info", LogLevel::info},
                                                            {"warn", LogLevel::warn},
                                                            {"error", LogLevel::error}};
        if (auto it = levels.find(level); it != levels.end()) {
            out.level = it->second;
        } else {
            map.problems().add(map.take("level").Mark(), map.key_path("level"),
                               "'" + level + "' is not one of debug, info, warn, error");
        }
    }
    std::string access_log;
    if (read_string(map, "access_log", access_log)) {
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
        root.problems().add(list.Mark(), "api_clients", "expected a list");
        return;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = "api_clients[" + std::to_string(i) + "]";
        Map entry(list[i], path, root.problems(), list[i].Mark());
        ApiClient client;
        if (read_string(entry, "name", client.name, true) && !names.insert(client.name).second) {
            entry.problems().add(entry.take("name").Mark(), entry.key_path("name"),
                                 "'" + client.name + "' is used by another client");
        }
        if (read_string_list(entry, "scopes", client.scopes)) {
            for (std::size_t s = 0; s < client.scopes.size(); ++s) {
                if (std::ranges::find(kKnownScopes, client.scopes[s]) == kKnownScopes.end()) {
                    std::string known;
                    for (const auto& k : kKnownScopes)
                        known += (known.empty() ? "" : ", ") + k;
                    entry.problems().add(
                        element_mark(entry, "scopes", s),
                        entry.key_path("scopes") + "[" + std::to_string(s) + "]",
                        "'" + client.scopes[s] + "' is not a scope (" + known + ")");
                }
            }
        }
        const bool has_cert =
            read_sha256_hex(entry, "certificate_sha256", client.certificate_sha256);
        const bool has_token = read_sha256_hex(entry, "token_sha256", client.token_sha256);
        if (!has_cert && !has_token && !present(entry.take("certificate_sha256")) &&
            !present(entry.take("token_sha256"))) {
            entry.problems().add(entry.mark(), path, "needs certificate_sha256 or token_sha256");
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

void read_profile(Map& map, unsigned max_assurance, CertificateProfile& out) {
    std::vector<std::string> key_types;
    if (read_string_list(map, "key_types", key_types)) {
        for (std::size_t i = 0; i < key_types.size(); ++i) {
            try {
                out.key_types.push_back(parse_key_type(key_types[i]));
            } catch (const Error& e) {
                map.problems().add(element_mark(map, "key_types", i),
                                   map.key_path("key_types") + "[" + std::to_string(i) + "]",
                                   e.what());
            }
        }
    } else if (!present(map.take("key_types"))) {
        map.missing("key_types");
    }
    if (!read_unsigned(map, "validity_days", out.validity_days, 1, 36500, "a validity in days") &&
        !present(map.take("validity_days"))) {
        map.missing("validity_days");
    }
    static const std::set<std::string> key_usages{
        "digitalSignature", "nonRepudiation", "contentCommitment", "keyEncipherment",
        "dataEncipherment", "keyAgreement",   "keyCertSign",       "cRLSign"};
    if (read_string_list(map, "key_usage", out.key_usage)) {
        for (std::size_t i = 0; i < out.key_usage.size(); ++i) {
            if (!key_usages.contains(out.key_usage[i])) {
                map.problems().add(
                    element_mark(map, "key_usage", i),
                    map.key_path("key_usage") + "[" + std::to_string(i) + "]",
                    "'" + out.key_usage[i] + "' is not a key usage (RFC 5280 §4.2.1.3)");
            }
        }
    }
    std::vector<std::string> ekus;
    if (read_string_list(map, "extended_key_usage", ekus)) {
        for (std::size_t i = 0; i < ekus.size(); ++i) {
            if (auto it = eku_names().find(ekus[i]); it != eku_names().end()) {
                out.extended_key_usage.push_back(it->second);
            } else if (is_valid_oid(ekus[i])) {
                out.extended_key_usage.push_back(ekus[i]);
            } else {
                map.problems().add(
                    element_mark(map, "extended_key_usage", i),
                    map.key_path("extended_key_usage") + "[" + std::to_string(i) + "]",
                    "'" + ekus[i] + "' is neither an OID nor a known extended key usage");
            }
        }
    }
    read_oid_list(map, "certificate_policies", out.certificate_policies);
    read_string(map, "subject_template", out.subject_template);
    Map aia = map.section("aia");
    read_url(aia, "ocsp_url", out.ocsp_url);
    read_url(aia, "ca_issuers_url", out.ca_issuers_url);
    aia.finish();
    read_url(map, "crl_distribution_point", out.crl_distribution_point);
    read_unsigned(map, "required_assurance", out.required_assurance, 0, max_assurance,
                  "an assurance level");
}

void read_ca(Map& map, unsigned max_assurance, CaSettings& out) {
    YAML::Node profiles = map.take("profiles");
    if (!present(profiles))
        return;
    if (!profiles.IsMap()) {
        map.problems().add(profiles.Mark(), map.key_path("profiles"),
                           "expected a mapping of profile names");
        return;
    }
    for (const auto& entry : profiles) {
        const std::string name = entry.first.as<std::string>("");
        Map profile(entry.second, map.key_path("profiles") + "." + name, map.problems(),
                    entry.first.Mark());
        CertificateProfile p;
        read_profile(profile, max_assurance, p);
        profile.finish();
        out.profiles[name] = std::move(p);
    }
}

void read_tsa(Map& map, TsaSettings& out) {
    read_oid(map, "policy_oid", out.policy_oid);
    read_oid_list(map, "accepted_policies", out.accepted_policies);
    std::vector<std::string> digests;
    if (read_string_list(map, "digests", digests)) {
        out.digests.clear();
        for (std::size_t i = 0; i < digests.size(); ++i) {
            try {
                out.digests.push_back(parse_digest(digests[i]));
            } catch (const Error&) {
                map.problems().add(element_mark(map, "digests", i),
                                   map.key_path("digests") + "[" + std::to_string(i) + "]",
                                   "'" + digests[i] + "' is not accepted (sha256, sha384, sha512)");
            }
        }
        if (digests.empty())
            map.problems().add(map.take("digests").Mark(), map.key_path("digests"),
                               "must not be empty");
    }
    // RFC 3161 §2.4.2 allows any accuracy; a TSA for signatures with legal effect keeps it within 1
    // s.
    read_duration(map, "accuracy_ms", out.accuracy, 1, 1000);
    read_unsigned(map, "precision", out.precision, 0, 6, "a number of fractional digits");
    read_bool(map, "allow_unsynchronized_clock", out.allow_unsynchronized_clock);
    read_bool(map, "include_chain", out.include_chain);
    read_string(map, "key_label", out.key_label);
}

Config parse(const YAML::Node& root, const fs::path& source, Problems& problems) {
    Config config;
    config.file = source;
    const fs::path base = source.has_parent_path() ? source.parent_path() : fs::current_path();
    Map top(root, "", problems, root.IsDefined() ? root.Mark() : YAML::Mark());
    if (!root.IsMap()) {
        problems.add(root.Mark(), "", "the configuration must be a YAML mapping");
        return config;
    }
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
    section(top, "identity", [&](Map& m) {
        read_unsigned(m, "max_assurance_level", config.identity.max_assurance_level, 1, 10);
    });
    section(top, "ca", [&](Map& m) { read_ca(m, config.identity.max_assurance_level, config.ca); });
    section(top, "tsa", [&](Map& m) { read_tsa(m, config.tsa); });
    section(top, "ocsp", [&](Map& m) {
        read_duration(m, "response_validity_seconds", config.ocsp.response_validity, 60,
                      7 * 24 * 3600);
        read_string(m, "key_label", config.ocsp.key_label);
    });
    section(top, "signing", [&](Map& m) {
        read_unsigned(m, "max_document_bytes", config.signing.max_document_bytes, 1,
                      1024ull * 1024 * 1024);
    });
    section(top, "otp", [&](Map& m) {
        read_unsigned(m, "digits", config.otp.digits, 6, 8, "a digit count");
        read_duration(m, "period_seconds", config.otp.period, 15, 300);
        read_unsigned(m, "window", config.otp.window, 0, 10);
    });
    top.finish();
    return config;
}

}  // namespace

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
    for (auto arc : arcs) {
        if (arc.empty() || arc.size() > 20 ||
            arc.find_first_not_of("0123456789") != std::string_view::npos)
            return false;
        if (arc.size() > 1 && arc[0] == '0')
            return false;
    }
    const int first = arcs[0][0] - '0';
    if (arcs[0].size() != 1 || first > 2)
        return false;
    if (first < 2 && (arcs[1].size() > 2 || std::stoi(std::string(arcs[1])) >= 40))
        return false;
    return true;
}

Config parse_config(std::string_view yaml, const fs::path& source) {
    Problems problems(source.string());
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        problems.add(e.mark, "", "YAML syntax error: " + e.msg);
        throw Error(Errc::invalid_argument, problems.joined());
    }
    Config config = parse(root, source, problems);
    if (!problems.empty())
        throw Error(Errc::invalid_argument, problems.joined());
    return config;
}

Config load_config(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(Errc::not_found, "cannot read configuration file " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    // Bound the input like every other parser (DESIGN.md invariant 7).
    if (text.str().size() > 1024 * 1024) {
        throw Error(Errc::invalid_argument, file.string() + ": larger than 1 MiB");
    }
    return parse_config(text.str(), fs::absolute(file));
}

}  // namespace signet::policy
