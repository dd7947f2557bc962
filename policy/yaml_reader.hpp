#pragma once

// The YAML reading shared by policy's parsers (signet.yaml, the ceremony file): every problem is
// collected with its FILE:LINE:COLUMN and key, unknown keys are reported with a suggestion, and
// each reader leaves its output untouched when the key is absent or wrong. Internal to policy/.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/secret.hpp"

namespace signet::policy::yaml {

namespace fs = std::filesystem;

// Every problem found, each anchored to its place in the file.
class Problems {
  public:
    explicit Problems(std::string file) : file_(std::move(file)) {}

    void add(const YAML::Mark& mark, const std::string& key, const std::string& message) {
        std::ostringstream text;
        text << file_;
        // yaml-cpp counts from 0; editors count from 1. A mark of -1 means "no position".
        if (mark.line >= 0)
            text << ":" << mark.line + 1 << ":" << mark.column + 1;
        text << ": " << (key.empty() ? "" : key + ": ") << message;
        problems_.push_back({mark.line, mark.column, text.str()});
    }
    bool empty() const { return problems_.empty(); }

    // One line per problem, in the order of the file, so that an operator fixes them top to
    // bottom (they are found section by section, not in file order).
    std::string joined() const {
        std::vector<Problem> sorted = problems_;
        std::ranges::stable_sort(sorted, [](const Problem& a, const Problem& b) {
            return std::tie(a.line, a.column) < std::tie(b.line, b.column);
        });
        std::string all;
        const Problem* previous = nullptr;
        for (const auto& problem : sorted) {
            if (previous != nullptr && previous->text == problem.text)
                continue;
            all += (all.empty() ? "" : "\n") + problem.text;
            previous = &problem;
        }
        return all;
    }

  private:
    struct Problem {
        int line;
        int column;
        std::string text;
    };
    std::string file_;
    std::vector<Problem> problems_;
};

std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to a misspelt `word`, or "" when none is close enough to be a likely typo.
template <class Candidates>
std::string closest(std::string_view word, const Candidates& candidates) {
    std::string best;
    // Two edits at most, and fewer than the word's length: "ab" is not a typo of "xy".
    std::size_t best_distance = std::min<std::size_t>(3, word.size());
    for (const auto& candidate : candidates) {
        const std::size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view word, const auto& candidates) {
    const std::string best = closest(word, candidates);
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string element_path(const std::string& path, std::size_t index);

// ASCII letters in lower case (header names, DSN keywords compare so).
std::string lowercase(std::string_view text);

// yaml-cpp keeps every copy of a repeated key and lookups see only the first, so a second
// "port:" further down would be silently ignored; an operator must hear about it.
void report_odd_keys(const YAML::Node& mapping, const std::string& path, Problems& problems);

// A YAML mapping being read: remembers which keys were asked for, so that whatever is left is
// reported as unknown (with the closest known key as a suggestion).
class Map {
  public:
    Map(YAML::Node node, std::string path, Problems& problems, YAML::Mark mark)
        : node_(std::move(node)), path_(std::move(path)), problems_(problems), mark_(mark) {
        if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
            problems_.add(node_.Mark(), path_, "expected a mapping");
            wrong_type_ = true;
            node_ = YAML::Node(YAML::NodeType::Undefined);
        } else if (present()) {
            report_odd_keys(node_, path_, problems_);
        }
    }

    bool present() const { return node_.IsDefined() && node_.IsMap(); }
    // The node is there but is not a mapping (already reported).
    bool wrong_type() const { return wrong_type_; }
    const YAML::Mark& mark() const { return mark_; }
    Problems& problems() const { return problems_; }
    const std::string& path() const { return path_; }
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

    void add(const std::string& key, const std::string& message) {
        YAML::Node n = take(key);
        problems_.add(n.IsDefined() ? n.Mark() : mark_, key_path(key), message);
    }

    // A required key is absent. Not repeated when the mapping itself was of the wrong kind.
    void missing(const std::string& key) {
        if (!wrong_type_)
            problems_.add(mark_, key_path(key), "is required");
    }

    // Reports the keys nobody asked for.
    void finish() const {
        if (!present())
            return;
        for (const auto& entry : node_) {
            if (!entry.first.IsScalar())
                continue;  // reported by report_odd_keys
            const std::string key = entry.first.as<std::string>();
            if (known_.contains(key))
                continue;
            problems_.add(entry.first.Mark(), key_path(key),
                          "unknown key" + did_you_mean(key, known_));
        }
    }

  private:
    YAML::Node node_;
    std::string path_;
    Problems& problems_;
    YAML::Mark mark_;
    bool wrong_type_ = false;
    std::set<std::string> known_;
};

bool present(const YAML::Node& n);

// A mapping of names to mappings under `key` (ca.profiles, identity.evidence.levels): each entry
// read by `read(name, entry)`, its Map anchored at the name, then its unknown keys reported.
// `expected` is the message when the value is not a mapping.
template <class Read>
void read_named_mappings(Map& map, const std::string& key, const std::string& expected,
                         Read&& read) {
    YAML::Node entries = map.take(key);
    if (!present(entries))
        return;
    if (!entries.IsMap()) {
        map.add(key, expected);
        return;
    }
    report_odd_keys(entries, map.key_path(key), map.problems());
    for (const auto& entry : entries) {
        if (!entry.first.IsScalar())
            continue;  // reported by report_odd_keys
        const std::string name = entry.first.as<std::string>();
        Map child(entry.second, map.key_path(key) + "." + name, map.problems(), entry.first.Mark());
        read(name, child);
        child.finish();
    }
}

// Scalar readers: each leaves `out` untouched when the key is absent, and reports a problem
// (leaving it untouched too) when the value is of the wrong kind or out of range.
bool read_string(Map& map, const std::string& key, std::string& out, bool required = false);

// An optional string that, when given, must say something (a label, an address).
bool read_nonempty_string(Map& map, const std::string& key, std::string& out);

void read_bool(Map& map, const std::string& key, bool& out);

template <class Unsigned>
bool read_unsigned(Map& map, const std::string& key, Unsigned& out, unsigned long long min,
                   unsigned long long max, const std::string& what = "a number") {
    YAML::Node n = map.take(key);
    if (!present(n))
        return false;
    const std::string text = n.IsScalar() ? n.as<std::string>() : "";
    long long value = 0;
    // Digits only: yaml-cpp would also take 0x10, 1e3 or 010, which nobody means for a port.
    if (!n.IsScalar() || text.empty() ||
        text.find_first_not_of("0123456789+-") != std::string::npos ||
        !YAML::convert<long long>::decode(n, value)) {
        map.add(key, "'" + text + "' is not " + what);
        return false;
    }
    if (value < 0 || static_cast<unsigned long long>(value) < min ||
        static_cast<unsigned long long>(value) > max) {
        map.add(key, text + " is not " + what + " (" + std::to_string(min) + "-" +
                         std::to_string(max) + ")");
        return false;
    }
    out = static_cast<Unsigned>(value);
    return true;
}

template <class Duration>
bool read_duration(Map& map, const std::string& key, Duration& out, unsigned long long min,
                   unsigned long long max) {
    unsigned long long count = 0;
    if (!read_unsigned(map, key, count, min, max, "a duration"))
        return false;
    out = Duration(static_cast<typename Duration::rep>(count));
    return true;
}

bool read_string_list(Map& map, const std::string& key, std::vector<std::string>& out);

// A problem with one entry of a list, at that entry's place.
void add_element_problem(Map& map, const std::string& key, std::size_t index,
                         const std::string& message);

fs::path resolve(const fs::path& base, const std::string& value);

bool is_existing_file(const fs::path& p);

// A path, resolved against the configuration's directory; when `must_exist`, it must name an
// existing file.
bool read_path(Map& map, const std::string& key, const fs::path& base, fs::path& out, bool required,
               bool must_exist);

// A secret's source (common/secret.hpp): "file:PATH" (resolved; the file must exist) or
// "env:VARIABLE". `what` names the secret in messages ("a PIN"). No message repeats the value: it
// may be the secret itself, typed where its source belongs (DESIGN.md invariant 6).
bool read_secret_source(Map& map, const std::string& key, const fs::path& base,
                        std::string_view what, SecretSource& out);

// A decimal number from 0 to 1 (a score).
bool read_fraction(Map& map, const std::string& key, double& out);

bool read_oid(Map& map, const std::string& key, std::string& out);

void read_oid_list(Map& map, const std::string& key, std::vector<std::string>& out);

bool read_sha256_hex(Map& map, const std::string& key, std::optional<Bytes>& out);

void read_url(Map& map, const std::string& key, std::string& out);

}  // namespace signet::policy::yaml

namespace signet::policy::yaml {

// The one YAML document in `text` (at most `max_bytes`). Syntax errors, a size over the bound
// and a second document are reported to `problems`; the result is then a null node.
YAML::Node parse_document(std::string_view text, std::size_t max_bytes, Problems& problems);

// The whole of `file`, refused (before reading) when larger than `max_bytes`. `what` names the
// file in messages ("configuration file"). Errc::not_found, invalid_argument or io.
std::string read_bounded_file(const fs::path& file, std::size_t max_bytes, std::string_view what);

}  // namespace signet::policy::yaml
