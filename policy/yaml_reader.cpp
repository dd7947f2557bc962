#include "policy/yaml_reader.hpp"

#include <yaml-cpp/eventhandler.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <tuple>

#include "common/error.hpp"
#include "policy/config.hpp"

namespace signet::policy::yaml {

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

std::string lowercase(std::string_view text) {
    std::string lower(text);
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower;
}

std::string element_path(const std::string& path, std::size_t index) {
    return path + "[" + std::to_string(index) + "]";
}

// yaml-cpp keeps every copy of a repeated key and lookups see only the first, so a second
// "port:" further down would be silently ignored; an operator must hear about it.
void report_odd_keys(const YAML::Node& mapping, const std::string& path, Problems& problems) {
    std::map<std::string, YAML::Mark> seen;
    for (const auto& entry : mapping) {
        if (!entry.first.IsScalar()) {
            problems.add(entry.first.Mark(), path, "a key must be a plain name");
            continue;
        }
        const std::string key = entry.first.as<std::string>();
        const auto [first, inserted] = seen.emplace(key, entry.first.Mark());
        if (!inserted) {
            problems.add(entry.first.Mark(), path.empty() ? key : path + "." + key,
                         "appears twice (first at line " + std::to_string(first->second.line + 1) +
                             "); only one is allowed");
        }
    }
}

bool present(const YAML::Node& n) {
    return n.IsDefined() && !n.IsNull();
}

// Scalar readers: each leaves `out` untouched when the key is absent, and reports a problem
// (leaving it untouched too) when the value is of the wrong kind or out of range.
bool read_string(Map& map, const std::string& key, std::string& out, bool required) {
    YAML::Node n = map.take(key);
    if (!present(n)) {
        if (required)
            map.missing(key);
        return false;
    }
    if (!n.IsScalar()) {
        map.add(key, "expected a string");
        return false;
    }
    std::string value = n.as<std::string>();
    if (value.empty() && required) {
        map.add(key, "must not be empty");
        return false;
    }
    out = std::move(value);
    return true;
}

// An optional string that, when given, must say something (a label, an address).
bool read_nonempty_string(Map& map, const std::string& key, std::string& out) {
    std::string value;
    if (!read_string(map, key, value))
        return false;
    if (value.empty()) {
        map.add(key, "must not be empty");
        return false;
    }
    out = std::move(value);
    return true;
}

void read_bool(Map& map, const std::string& key, bool& out) {
    YAML::Node n = map.take(key);
    if (!present(n))
        return;
    bool value = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
        map.add(key, "'" + n.as<std::string>("") + "' is not a boolean (true or false)");
        return;
    }
    out = value;
}

bool read_string_list(Map& map, const std::string& key, std::vector<std::string>& out) {
    YAML::Node n = map.take(key);
    if (!present(n))
        return false;
    if (!n.IsSequence()) {
        map.add(key, "expected a list");
        return false;
    }
    std::vector<std::string> values;
    bool ok = true;
    for (std::size_t i = 0; i < n.size(); ++i) {
        if (!n[i].IsScalar()) {
            map.problems().add(n[i].Mark(), element_path(map.key_path(key), i),
                               "expected a string");
            ok = false;
            continue;
        }
        values.push_back(n[i].as<std::string>());
    }
    if (ok)
        out = std::move(values);
    return ok;
}

// A problem with one entry of a list, at that entry's place.
void add_element_problem(Map& map, const std::string& key, std::size_t index,
                         const std::string& message) {
    YAML::Node list = map.take(key);
    const YAML::Mark mark =
        list.IsSequence() && index < list.size() ? list[index].Mark() : map.mark();
    map.problems().add(mark, element_path(map.key_path(key), index), message);
}

fs::path resolve(const fs::path& base, const std::string& value) {
    const fs::path p(value);
    fs::path resolved = p.is_absolute() ? p.lexically_normal() : (base / p).lexically_normal();
    // "." and "dir/" normalise to "base/"; without the trailing separator paths compare equal.
    if (!resolved.has_filename() && resolved.has_relative_path())
        resolved = resolved.parent_path();
    return resolved;
}

bool is_existing_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

// A path, resolved against the configuration's directory; when `must_exist`, it must name an
// existing file.
bool read_path(Map& map, const std::string& key, const fs::path& base, fs::path& out, bool required,
               bool must_exist) {
    std::string text;
    if (!read_string(map, key, text, required))
        return false;
    if (text.empty()) {
        map.add(key, "must not be empty");
        return false;
    }
    const fs::path p = resolve(base, text);
    if (must_exist && !is_existing_file(p)) {
        map.add(key, "file " + p.string() + " does not exist");
        return false;
    }
    out = p;
    return true;
}

namespace {

// An environment variable's name as a shell would accept it.
bool is_variable_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9'))
        return false;
    return std::ranges::all_of(name, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

}  // namespace

bool read_secret_source(Map& map, const std::string& key, const fs::path& base,
                        std::string_view what, SecretSource& out) {
    std::string text;
    if (!read_string(map, key, text, false))
        return false;
    SecretSource source;
    try {
        source = SecretSource::parse(text);
    } catch (const Error&) {
        map.add(key, "must be file:PATH or env:VARIABLE (" + std::string(what) +
                         " itself is never accepted; the value is not shown)");
        return false;
    }
    if (source.kind == SecretSource::Kind::file) {
        source.location = resolve(base, source.location).string();
        if (!is_existing_file(source.location)) {
            map.add(key, "file " + source.location + " does not exist");
            return false;
        }
    } else if (!is_variable_name(source.location)) {
        map.add(key,
                "env: needs an environment variable's name (letters, digits and _, not starting "
                "with a digit); the value is not shown");
        return false;
    }
    out = std::move(source);
    return true;
}

bool read_fraction(Map& map, const std::string& key, double& out) {
    YAML::Node n = map.take(key);
    if (!present(n))
        return false;
    const std::string text = n.IsScalar() ? n.as<std::string>() : "";
    // Plain decimals only ("0.9", "1"): not yaml-cpp's .inf, .nan or hexadecimal.
    double value = 0;
    if (!n.IsScalar() || text.empty() ||
        text.find_first_not_of("0123456789.") != std::string::npos ||
        !YAML::convert<double>::decode(n, value) || value < 0 || value > 1) {
        map.add(key, "'" + text + "' is not a number from 0 to 1");
        return false;
    }
    out = value;
    return true;
}

bool read_oid(Map& map, const std::string& key, std::string& out) {
    std::string text;
    if (!read_string(map, key, text))
        return false;
    if (!is_valid_oid(text)) {
        map.add(key, "'" + text + "' is not an OID (dotted decimal, e.g. 1.3.6.1.4.1.99999.1)");
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
            add_element_problem(map, key, i, "'" + values[i] + "' is not an OID");
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
    // openssl x509 -fingerprint prints AA:BB:...; sha256sum prints aabb...: both are fine.
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
    map.add(key, "is not a SHA-256 in hex (64 digits)");
    return false;
}

void read_url(Map& map, const std::string& key, std::string& out) {
    std::string text;
    if (!read_string(map, key, text))
        return;
    // Relying parties fetch these over plain HTTP (RFC 5280 §4.2.2.1, §4.2.1.13).
    const bool http = text.starts_with("http://") && text.size() > 7;
    const bool https = text.starts_with("https://") && text.size() > 8;
    if ((!http && !https) || text.find_first_of(" \t") != std::string::npos) {
        map.add(key, "'" + text + "' is not an http(s) URL");
        return;
    }
    out = text;
}

namespace {

// Where each document of a stream starts, and its first node (the mark a node of it would
// report), from yaml-cpp's event parser; the events themselves are not needed.
class DocumentStarts final : public YAML::EventHandler {
  public:
    std::vector<YAML::Mark> starts;
    std::vector<YAML::Mark> first_nodes;

    void OnDocumentStart(const YAML::Mark& mark) override {
        starts.push_back(mark);
        first_nodes.push_back(mark);
        node_seen_ = false;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  const std::string&) override {
        node(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnMapEnd() override {}

  private:
    void node(const YAML::Mark& mark) {
        if (!node_seen_ && !first_nodes.empty())
            first_nodes.back() = mark;
        node_seen_ = true;
    }
    bool node_seen_ = false;
};

// Checks that `text` holds one document. Not YAML::LoadAll: yaml-cpp 0.7 never gets past a
// token that cannot start a node (a ',' outside [] or {}, as in ",\n"), and LoadAll then
// appends empty documents forever (found by fuzz/policy_fuzz.cpp). A document that starts
// where the previous one did is that token: a syntax error, and the parse stops.
void check_one_document(const std::string& text, Problems& problems) {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    DocumentStarts documents;
    // Three documents at most: the first, a second to report, and one more to tell a real
    // second document from one that did not move.
    while (documents.starts.size() < 3 && parser.HandleNextDocument(documents)) {
        const auto& starts = documents.starts;
        if (starts.size() >= 2 && starts.back().pos == starts[starts.size() - 2].pos) {
            const YAML::Mark stuck = starts.back();
            const char at = static_cast<std::size_t>(stuck.pos) < text.size()
                                ? text[static_cast<std::size_t>(stuck.pos)]
                                : ' ';
            problems.add(stuck, "",
                         std::string("YAML syntax error: unexpected '") +
                             (at >= 0x20 && at < 0x7f ? std::string(1, at) : std::string("?")) +
                             "' (a ',' outside [ ] or { }?)");
            return;
        }
    }
    if (documents.starts.size() > 1)
        problems.add(documents.first_nodes[1], "", "a second YAML document; the file holds one");
}

}  // namespace

YAML::Node parse_document(std::string_view text, std::size_t max_bytes, Problems& problems) {
    // Bound the input like every other parser (DESIGN.md invariant 7).
    if (text.size() > max_bytes) {
        problems.add(YAML::Mark::null_mark(), "",
                     "larger than " + std::to_string(max_bytes / 1024) + " KiB");
        return YAML::Node();
    }
    const std::string copy(text);
    try {
        check_one_document(copy, problems);
        if (!problems.empty())
            return YAML::Node();
        // The first document only; check_one_document has seen that there is no other.
        return YAML::Load(copy);
    } catch (const YAML::Exception& e) {
        problems.add(e.mark, "", "YAML syntax error: " + e.msg);
        return YAML::Node();
    }
}

std::string read_bounded_file(const fs::path& file, std::size_t max_bytes, std::string_view what) {
    const std::string name = std::string(what) + " " + file.string();
    std::error_code ec;
    const fs::file_status status = fs::status(file, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        throw Error(Errc::io, "cannot read " + name + ": " + ec.message());
    if (!fs::exists(status))
        throw Error(Errc::not_found, name + " does not exist");
    if (!fs::is_regular_file(status))
        throw Error(Errc::invalid_argument, file.string() + " is not a file");
    // Checked before reading, so a huge file is not read into memory only to be refused.
    if (fs::file_size(file, ec) > max_bytes) {
        throw Error(Errc::invalid_argument,
                    file.string() + ": larger than " + std::to_string(max_bytes / 1024) + " KiB");
    }
    std::ifstream in(file, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.is_open() || in.bad())
        throw Error(Errc::io, "cannot read " + name);
    return text;
}

}  // namespace signet::policy::yaml
