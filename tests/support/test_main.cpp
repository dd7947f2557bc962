// The Boost.Test entry point of every test executable.
#define BOOST_TEST_MODULE signet
#include <boost/test/unit_test.hpp>
