// signet.yaml's web section: the public verification page's limits and the operator console's
// sessions (issue 15), read into
// plain structs with their defaults; each mistake reported at its FILE:LINE:COLUMN.
#include <boost/test/unit_test.hpp>

#include "tests/policy/config_fixture.hpp"

using namespace signet;
using namespace signet::policy;
using namespace signet::policy::testing;

BOOST_AUTO_TEST_SUITE(config_web)

BOOST_AUTO_TEST_CASE(defaults_hold_when_the_section_is_absent) {
    Fixture f;
    const Config c = f.load(Fixture::base());
    BOOST_CHECK_EQUAL(c.web.verify.max_document_bytes, 32u * 1024 * 1024);
    BOOST_CHECK_EQUAL(c.web.verify.requests_per_minute, 20u);
    BOOST_CHECK_EQUAL(c.web.console.idle_minutes, 30u);
    BOOST_CHECK_EQUAL(c.web.console.absolute_hours, 12u);
    BOOST_CHECK_EQUAL(c.web.console.max_sessions, 1000u);
}

BOOST_AUTO_TEST_CASE(the_limits_are_read) {
    Fixture f;
    const Config c = f.load(Fixture::base() +
                            "web:\n"
                            "  verify:\n"
                            "    max_document_bytes: 1048576\n"
                            "    requests_per_minute: 3\n");
    BOOST_CHECK_EQUAL(c.web.verify.max_document_bytes, 1048576u);
    BOOST_CHECK_EQUAL(c.web.verify.requests_per_minute, 3u);
}

BOOST_AUTO_TEST_CASE(mistakes_are_reported_where_they_are) {
    Fixture f;
    const std::string yaml = Fixture::base() +
                             "web:\n"
                             "  verify:\n"
                             "    max_document_bytes: 0\n"
                             "    requests_per_minute: 10001\n"
                             "    burst: 4\n";
    const std::string message = f.error(yaml);
    check_line(message, place(f, yaml, "max_document_bytes: 0", "0") +
                            "web.verify.max_document_bytes: 0 is not a size (1-1073741824)");
    check_line(message, place(f, yaml, "requests_per_minute: 10001", "10001") +
                            "web.verify.requests_per_minute: 10001 is not a number of requests "
                            "(1-10000)");
    BOOST_CHECK(message.find("web.verify.burst") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_console_sessions_are_read_and_bounded) {
    Fixture f;
    const Config c = f.load(Fixture::base() +
                            "web:\n"
                            "  console:\n"
                            "    idle_minutes: 5\n"
                            "    absolute_hours: 2\n"
                            "    max_sessions: 10\n");
    BOOST_CHECK_EQUAL(c.web.console.idle_minutes, 5u);
    BOOST_CHECK_EQUAL(c.web.console.absolute_hours, 2u);
    BOOST_CHECK_EQUAL(c.web.console.max_sessions, 10u);

    const std::string yaml = Fixture::base() +
                             "web:\n"
                             "  console:\n"
                             "    idle_minutes: 0\n"
                             "    absolute_hours: 169\n"
                             "    remember_me: true\n";
    const std::string message = f.error(yaml);
    check_line(message, place(f, yaml, "idle_minutes: 0", "0") +
                            "web.console.idle_minutes: 0 is not a number of minutes (1-1440)");
    check_line(message, place(f, yaml, "absolute_hours: 169", "169") +
                            "web.console.absolute_hours: 169 is not a number of hours (1-168)");
    BOOST_CHECK(message.find("web.console.remember_me") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
