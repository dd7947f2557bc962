// signet.yaml's audit section (policy/config_sections.hpp): the tamper-evident log's name, how
// often signetd makes a checkpoint, and where each checkpoint is sent (the witness); and the
// evidence section: how many evidence packages a node builds at once.
#include <algorithm>

#include "policy/config_sections.hpp"

namespace signet::policy::sections {

using namespace yaml;

namespace {

// The checkpoint body's first line (audit/checkpoint.hpp): no space or newline can split it.
bool is_log_name(const std::string& name) {
    return !name.empty() && name.size() <= 128 && std::ranges::all_of(name, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
    });
}

bool is_http_url(const std::string& url) {
    return (url.starts_with("http://") || url.starts_with("https://")) &&
           url.size() > url.find("//") + 2 &&
           url.find_first_of(" \t\r\n") == std::string::npos;
}

}  // namespace

void read_audit(Map& map, const std::filesystem::path& base, AuditSettings& out) {
    std::string name;
    if (read_string(map, "log_name", name)) {
        if (is_log_name(name))
            out.log_name = name;
        else
            map.add("log_name", "'" + name + "' is not a log name ([A-Za-z0-9._:/-], 1-128)");
    }
    read_duration(map, "checkpoint_interval", out.checkpoint_interval, 0, 86400);
    Map witness = map.section("witness");
    if (witness.present()) {
        read_path(witness, "file", base, out.witness_file, false, false);
        std::string url;
        if (read_string(witness, "url", url)) {
            if (is_http_url(url))
                out.witness_url = url;
            else
                witness.add("url", "'" + url + "' is not an http(s) URL");
        }
        if (!out.witness_file.empty() && !out.witness_url.empty())
            witness.add("url", "a witness is a file or a URL, not both");
        if (out.witness_file.empty() && out.witness_url.empty() && !witness.wrong_type())
            witness.add("file", "a witness needs a file or a url");
    }
    witness.finish();
}

void read_evidence(Map& map, EvidencePackageSettings& out) {
    read_unsigned(map, "max_concurrent_builds", out.max_concurrent_builds, 1, 64,
                  "a number of packages");
}

}  // namespace signet::policy::sections
