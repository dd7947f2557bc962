#pragma once

// Shared by the RA's parsers (internal to ra/): the one way they refuse a field, and trimming.

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace signet::ra::detail {

// Errc::invalid_argument "'FIELD': RULE": the field and the rule broken, never the value.
[[noreturn]] inline void refuse(std::string_view field, std::string_view rule) {
    throw Error(Errc::invalid_argument, "'" + std::string(field) + "': " + std::string(rule));
}

// `text` without leading and trailing ASCII white space.
inline std::string_view trim(std::string_view text) noexcept {
    constexpr std::string_view kSpace = " \t\r\n\f\v";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

}  // namespace signet::ra::detail
