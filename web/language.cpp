#include "web/language.hpp"

#include <cstddef>
#include <optional>

namespace signet::web {

namespace {

constexpr std::size_t kMaxFieldBytes = 4096;
constexpr int kMaxRanges = 64;

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// The language range's primary subtag, lower case, or "*" (RFC 4647 §2.1).
std::optional<std::string_view> language_of(std::string_view range) {
    if (range == "*")
        return kEnglish;
    const std::string_view primary = range.substr(0, range.find('-'));
    if (primary.size() != 2)
        return std::nullopt;
    const char a = lower(primary[0]);
    const char b = lower(primary[1]);
    if (a == 'z' && b == 'h')
        return kChinese;
    if (a == 'e' && b == 'n')
        return kEnglish;
    return std::nullopt;
}

// The weight in thousandths (RFC 9110 §12.4.2: qvalue = 0[.ddd] / 1[.000]), or nullopt when
// malformed. `params` is what follows the range, e.g. ";q=0.8".
std::optional<int> weight_of(std::string_view params) {
    int weight = 1000;
    while (!params.empty()) {
        params = trim(params);
        if (params.empty())
            break;
        if (params.front() != ';')
            return std::nullopt;
        params = trim(params.substr(1));
        const std::size_t end = params.find(';');
        const std::string_view param = trim(params.substr(0, end));
        params = end == std::string_view::npos ? std::string_view() : params.substr(end);
        if (param.size() < 2 || lower(param[0]) != 'q' || param[1] != '=')
            continue;  // another parameter: not ours to judge
        const std::string_view q = param.substr(2);
        if (q.empty() || (q[0] != '0' && q[0] != '1') || q.size() > 5 ||
            (q.size() > 1 && q[1] != '.'))
            return std::nullopt;
        int value = (q[0] - '0') * 1000;
        int scale = 100;
        for (std::size_t i = 2; i < q.size(); ++i, scale /= 10) {
            if (q[i] < '0' || q[i] > '9')
                return std::nullopt;
            value += (q[i] - '0') * scale;
        }
        if (value > 1000)
            return std::nullopt;
        weight = value;
    }
    return weight;
}

}  // namespace

std::string_view preferred_language(std::string_view field) noexcept {
    field = field.substr(0, kMaxFieldBytes);
    std::string_view best = kEnglish;
    int best_weight = 0;
    for (int ranges = 0; !field.empty() && ranges < kMaxRanges; ++ranges) {
        const std::size_t comma = field.find(',');
        const std::string_view element = field.substr(0, comma);
        field = comma == std::string_view::npos ? std::string_view() : field.substr(comma + 1);
        const std::size_t semicolon = element.find(';');
        const std::string_view range = trim(element.substr(0, semicolon));
        const auto weight = weight_of(
            semicolon == std::string_view::npos ? std::string_view() : element.substr(semicolon));
        if (!weight)
            return kEnglish;
        const auto language = language_of(range);
        if (language && *weight > best_weight) {
            best = *language;
            best_weight = *weight;
        }
    }
    return best;
}

}  // namespace signet::web
