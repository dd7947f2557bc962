#pragma once

#include <boost/test/unit_test.hpp>

#include <string>

#include "common/error.hpp"

namespace signet::testing {

// Checks that `operation` throws signet::Error with `code` and a message containing `needle`.
template <class F>
void expect_error(F&& operation, Errc code, const std::string& needle) {
    try {
        operation();
        BOOST_ERROR("expected an error containing '" << needle << "'");
    } catch (const Error& e) {
        BOOST_TEST_MESSAGE("error as expected: " << e.what());
        BOOST_CHECK_EQUAL(to_string(e.code()), to_string(code));
        BOOST_CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos,
                            "'" << e.what() << "' does not contain '" << needle << "'");
    }
}

}  // namespace signet::testing
