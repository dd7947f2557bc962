#include "evidence/manifest.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "common/error.hpp"

namespace signet::evidence {

namespace {

constexpr std::size_t kMaxManifestBytes = 1024 * 1024;
constexpr std::size_t kMaxFiles = 4096;

[[noreturn]] void invalid(const std::string& message) {
    throw Error(Errc::invalid_argument, "manifest.json: " + message);
}

const nlohmann::json& member(const nlohmann::json& object, const char* key,
                             std::string_view where) {
    const auto it = object.find(key);
    if (it == object.end())
        invalid(std::string(where) + " has no '" + key + "'");
    return *it;
}

std::string string_member(const nlohmann::json& object, const char* key, std::string_view where) {
    const auto& value = member(object, key, where);
    if (!value.is_string())
        invalid(std::string(where) + "'s '" + key + "' is not a string");
    return value.get<std::string>();
}

bool lowercase_hex(std::string_view text, std::size_t length) {
    return text.size() == length && text.find_first_not_of("0123456789abcdef") == text.npos;
}

}  // namespace

std::string manifest_json(const Manifest& manifest) {
    // nlohmann's ordered_json keeps the members in the order written: one fixed text.
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (const ManifestFile& f : manifest.files)
        files.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
    const nlohmann::ordered_json doc = {{"format", manifest.format},
                                        {"contract", manifest.contract_id},
                                        {"created_at", format_utc(manifest.created_at)},
                                        {"files", std::move(files)}};
    return doc.dump();
}

Manifest parse_manifest(ByteView json) {
    if (json.size() > kMaxManifestBytes)
        invalid("over " + std::to_string(kMaxManifestBytes) + " bytes");
    const auto doc = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        invalid("not a JSON object");
    Manifest m;
    m.format = string_member(doc, "format", "the manifest");
    if (m.format != kPackageFormat)
        invalid("format '" + m.format + "' is not " + std::string(kPackageFormat));
    m.contract_id = string_member(doc, "contract", "the manifest");
    m.created_at = parse_utc(string_member(doc, "created_at", "the manifest"));
    const auto& files = member(doc, "files", "the manifest");
    if (!files.is_array() || files.size() > kMaxFiles)
        invalid("'files' is not an array of at most " + std::to_string(kMaxFiles) + " entries");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const std::string where = "files[" + std::to_string(i) + "]";
        const auto& f = files[i];
        if (!f.is_object())
            invalid(where + " is not an object");
        ManifestFile file;
        file.path = string_member(f, "path", where);
        const auto& size = member(f, "size", where);
        if (!size.is_number_unsigned())
            invalid(where + "'s 'size' is not a non-negative integer");
        file.size = size.get<std::uint64_t>();
        file.sha256 = string_member(f, "sha256", where);
        if (!lowercase_hex(file.sha256, 64))
            invalid(where + "'s 'sha256' is not 64 lowercase hex digits");
        if (!seen.insert(file.path).second)
            invalid("'" + file.path + "' is listed twice");
        m.files.push_back(std::move(file));
    }
    return m;
}

}  // namespace signet::evidence
