#include "common/exit_status.hpp"

#include <boost/test/unit_test.hpp>

using namespace signet;

BOOST_AUTO_TEST_SUITE(exit_status_table)

// The numbers are a public contract of both programs (scripts and service managers read them):
// pinned here, each error code to its status.
BOOST_AUTO_TEST_CASE(every_error_code_has_its_pinned_exit_status) {
    BOOST_CHECK_EQUAL(to_exit_code(ExitStatus::success), 0);
    BOOST_CHECK_EQUAL(to_exit_code(exit_status(Errc::hsm)), 1);
    BOOST_CHECK_EQUAL(to_exit_code(exit_status(Errc::crypto)), 1);
    BOOST_CHECK_EQUAL(to_exit_code(exit_status(Errc::io)), 1);
    BOOST_CHECK_EQUAL(to_exit_code(exit_status(Errc::internal)), 1);
    BOOST_CHECK_EQUAL(to_exit_code(exit_status(Errc::invalid_argument)), 2);
    BOOST_CHECK_EQUAL(to_exit_code(exit_status(Errc::not_found)), 3);
    BOOST_CHECK_EQUAL(to_exit_code(exit_status(Errc::permission_denied)), 4);
    BOOST_CHECK_EQUAL(to_exit_code(exit_status(Errc::already_exists)), 5);
    BOOST_CHECK_EQUAL(to_exit_code(exit_status(Errc::unavailable)), 6);
    BOOST_CHECK_EQUAL(to_exit_code(exit_status(Errc::failed_precondition)), 7);
}

BOOST_AUTO_TEST_CASE(the_help_text_lists_every_status_once_in_order) {
    const std::string help = exit_status_help();
    std::size_t previous = 0;
    for (int status = 0; status <= 7; ++status) {
        const std::string line = "\n  " + std::to_string(status) + "  ";
        const auto at = help.find(line);
        BOOST_REQUIRE_MESSAGE(at != std::string::npos, "no line for " << status << ":\n" << help);
        BOOST_CHECK_GT(at, previous);
        BOOST_CHECK_EQUAL(help.find(line, at + 1), std::string::npos);
        previous = at;
    }
}

BOOST_AUTO_TEST_SUITE_END()
