// signet.yaml's csc section (policy/config.hpp CscSettings): what the CSC API's `info` method
// says about the service (CSC API v2.0.0.2 §11.1), and the lifetimes of what the service issues.
#include <algorithm>
#include <cctype>

#include "common/text.hpp"
#include "policy/config_sections.hpp"

namespace signet::policy::sections {

using namespace yaml;

namespace {

bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// RFC 5646 §2.1's shape: a primary language subtag of 2-8 letters, then subtags of 1-8 letters
// or digits joined by '-' ("en-US", "zh-Hans-CN"). The registry's lists are not checked: a
// platform shows the tag, Signet does not interpret it.
bool is_language_tag(const std::string& tag) {
    if (tag.empty() || tag.size() > 64)
        return false;
    std::size_t start = 0;
    bool first = true;
    while (start <= tag.size()) {
        const std::size_t dash = std::min(tag.find('-', start), tag.size());
        const std::string_view sub(tag.data() + start, dash - start);
        if (sub.empty() || sub.size() > 8)
            return false;
        if (first && (sub.size() < 2 || !std::ranges::all_of(sub, is_alpha)))
            return false;
        if (!std::ranges::all_of(sub, is_alnum))
            return false;
        first = false;
        start = dash + 1;
    }
    return true;
}

// An absolute https URI without whitespace (RFC 3986 §3: scheme "://" authority). The logo is
// fetched by the platform's users' browsers, so plain http would be mixed content.
bool is_https_uri(const std::string& uri) {
    return uri.starts_with("https://") && uri.size() > 8 && uri.size() <= 2048 &&
           std::ranges::none_of(uri, [](char c) {
               return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
           });
}

// Characters, not bytes: the spec's limits are on the string shown ("max 255 chars"); text
// that is not UTF-8 fits no limit.
bool fits(const std::string& s, std::size_t min, std::size_t max) {
    const auto length = utf8_length(s);
    return length && *length >= min && *length <= max;
}

}  // namespace

void read_csc(Map& map, CscSettings& out) {
    if (read_string(map, "name", out.name, true) &&
        !fits(out.name, 1, 255))
        map.add("name", "must be 1 to 255 characters");
    std::string logo;
    if (read_string(map, "logo", logo, true)) {
        if (is_https_uri(logo))
            out.logo = logo;
        else
            map.add("logo", "'" + logo.substr(0, 64) + "' is not an https URI");
    }
    std::string region;
    if (read_string(map, "region", region)) {
        if (region.size() == 2 && std::ranges::all_of(region, [](char c) {
                return c >= 'A' && c <= 'Z';
            }))
            out.region = region;
        else
            map.add("region", "'" + region.substr(0, 16) +
                                  "' is not an ISO 3166-1 alpha-2 code (two capitals: CN, DE)");
    }
    std::string lang;
    if (read_string(map, "lang", lang)) {
        if (is_language_tag(lang))
            out.lang = lang;
        else
            map.add("lang", "'" + lang.substr(0, 16) + "' is not an RFC 5646 language tag (en-US)");
    }
    if (read_string(map, "description", out.description) && !fits(out.description, 0, 255))
        map.add("description", "must be at most 255 characters");
    read_duration(map, "access_token_seconds", out.access_token_lifetime, 60, 86400);
    read_unsigned(map, "refresh_token_days", out.refresh_token_days, 0, 365, "a number of days");
    read_duration(map, "sad_seconds", out.sad_lifetime, 30, 3600);
    read_unsigned(map, "multisign", out.multisign, 1, 1000, "a number of signatures");
}

}  // namespace signet::policy::sections
