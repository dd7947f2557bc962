#include "api/query.hpp"

#include <charconv>

#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::api {

std::map<std::string, std::string> query_parameters(std::string_view query) {
    std::map<std::string, std::string> out;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty())
            continue;
        if (pair.find('%') != std::string_view::npos)
            throw Error(Errc::invalid_argument, "percent-encoded query parameters are not used");
        const auto eq = pair.find('=');
        const std::string key(pair.substr(0, eq));
        const std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
        if (!out.emplace(key, value).second)
            throw Error(Errc::invalid_argument,
                        "query parameter " + quote_input(key) + " given twice");
    }
    return out;
}

std::int64_t query_integer(std::string_view value, std::string_view name, std::int64_t min,
                           std::int64_t max) {
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || number < min ||
        number > max)
        throw Error(Errc::invalid_argument, "'" + std::string(name) + "' must be an integer from " +
                                                std::to_string(min) + " to " + std::to_string(max));
    return number;
}

}  // namespace signet::api
