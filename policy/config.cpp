// Loading signet.yaml (policy/config.hpp): the file read within its bound, the sections read in
// turn (their readers: config_node.cpp, config_services.cpp, config_ra.cpp), every problem
// reported at once; the checks of single values services share (is_valid_oid, precision_step).
#include "policy/config.hpp"

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "policy/config_sections.hpp"
#include "policy/yaml_reader.hpp"

namespace signet::policy {

namespace {

namespace fs = std::filesystem;
using namespace yaml;

// A configuration is a few kilobytes; anything near this is not one.
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

using namespace sections;

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
    section(top, "identity", [&](Map& m) { read_identity(m, base, config.identity); });
    section(top, "ca", [&](Map& m) { read_ca(m, config.identity.max_assurance_level, config.ca); });
    section(top, "tsa", [&](Map& m) { read_tsa(m, config.tsa); });
    section(top, "ocsp", [&](Map& m) { read_ocsp(m, config.ocsp); });
    section(top, "audit", [&](Map& m) { read_audit(m, base, config.audit); });
    section(top, "evidence", [&](Map& m) { read_evidence(m, config.evidence); });
    section(top, "signing", [&](Map& m) { read_signing(m, base, config.api_clients, config.signing); });
    // otp after ca: TOTP seeds are wrapped by ca.user_key_kek unless otp names another key.
    section(top, "otp", [&](Map& m) { read_otp(m, base, config.ca.user_key_kek, config.otp); });
    section(top, "web", [&](Map& m) { read_web(m, config.web); });
    if (Map backup = top.section("backup"); backup.present()) {
        config.backup.emplace();
        read_backup(backup, base, *config.backup);
        backup.finish();
    }
    if (Map csc = top.section("csc"); csc.present()) {
        config.csc.emplace();
        read_csc(csc, *config.csc);
        csc.finish();
    }
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
