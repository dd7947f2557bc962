#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace signet::testing {

// Runs one of the browser drivers next to their node_modules in the build directory
// (tests/web/NAME.mjs, playwright-core driving Debian's chromium) with `arguments`, requires it
// to exit 0, and returns the JSON object it printed last: what the browser saw. Chromium may
// print lines of its own before it, so the report is the last line that starts with '{'.
nlohmann::json run_browser_driver(const std::string& script, const std::vector<std::string>& arguments);

// Whether a member of that report is a string holding `what` (a member the driver did not
// report is null: false, never undefined behaviour).
inline bool contains(const nlohmann::json& text, const std::string& what) {
    return text.is_string() && text.get<std::string>().find(what) != std::string::npos;
}

}  // namespace signet::testing
