#include "tests/web/browser_driver.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/support/process.hpp"

namespace signet::testing {

nlohmann::json run_browser_driver(const std::string& script, const std::vector<std::string>& arguments) {
    std::vector<std::string> argv{"node", built_file("tests/web/" + script).string()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    const auto run = run_command(argv);
    BOOST_REQUIRE_MESSAGE(run.exit_code == 0, script << ": " << run.output);
    const std::size_t newline = run.output.rfind("\n{");
    nlohmann::json report = nlohmann::json::parse(
        run.output.substr(newline == std::string::npos ? 0 : newline + 1), nullptr, false);
    BOOST_REQUIRE_MESSAGE(!report.is_discarded(), script << ": " << run.output);
    BOOST_TEST_MESSAGE(script << " saw: " << report.dump());
    return report;
}

}  // namespace signet::testing
