#include "web/conditional.hpp"

#include <cstddef>

namespace signet::web {

namespace {

constexpr std::size_t kMaxFieldBytes = 4096;

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

}  // namespace

bool none_match_matches(std::string_view field, std::string_view etag) noexcept {
    field = field.substr(0, kMaxFieldBytes);
    std::size_t at = 0;
    auto skip_space = [&] {
        while (at < field.size() && is_space(field[at]))
            ++at;
    };
    const std::size_t first = field.find_first_not_of(" \t");
    const std::size_t last = field.find_last_not_of(" \t");
    if (first != std::string_view::npos && field.substr(first, last + 1 - first) == "*")
        return true;
    // entity-tag = [ W/ ] DQUOTE *etagc DQUOTE, separated by commas (RFC 9110 §8.8.3, §5.6.1).
    while (at < field.size()) {
        skip_space();
        if (field.substr(at, 1) == ",") {
            ++at;
            continue;
        }
        if (field.substr(at, 2) == "W/")
            at += 2;
        if (field.substr(at, 1) != "\"")
            return false;
        const std::size_t close = field.find('"', at + 1);
        if (close == std::string_view::npos)
            return false;
        if (field.substr(at, close + 1 - at) == etag)
            return true;
        at = close + 1;
        skip_space();
        if (at < field.size() && field[at] != ',')
            return false;
    }
    return false;
}

}  // namespace signet::web
