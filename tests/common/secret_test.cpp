#include "common/secret.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "common/error.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using signet::testing::TempDir;
using signet::testing::write_file;

BOOST_AUTO_TEST_SUITE(secret)

BOOST_AUTO_TEST_CASE(reads_the_first_line_of_a_file) {
    TempDir dir;
    write_file(dir / "pin", "s3cret\nsecond line\n");
    Secret pin = read_secret(SecretSource::parse("file:" + (dir / "pin").string()));
    BOOST_CHECK_EQUAL(pin.view(), "s3cret");
    write_file(dir / "crlf", "abc\r\n");
    BOOST_CHECK_EQUAL(read_secret(SecretSource::from_file(dir / "crlf")).view(), "abc");
}

BOOST_AUTO_TEST_CASE(reads_an_environment_variable) {
    setenv("SIGNET_TEST_SECRET", "from-env", 1);
    BOOST_CHECK_EQUAL(read_secret(SecretSource::parse("env:SIGNET_TEST_SECRET")).view(),
                      "from-env");
}

BOOST_AUTO_TEST_CASE(errors_name_the_source_never_the_value) {
    TempDir dir;
    write_file(dir / "empty", "\n");
    try {
        read_secret(SecretSource::from_file(dir / "empty"));
        BOOST_ERROR("an empty secret was accepted");
    } catch (const Error& e) {
        BOOST_CHECK(e.code() == Errc::invalid_argument);
        BOOST_CHECK(std::string(e.what()).find((dir / "empty").string()) != std::string::npos);
    }
    BOOST_CHECK_THROW(read_secret(SecretSource::from_file(dir / "missing")), Error);
    unsetenv("SIGNET_TEST_UNSET");
    BOOST_CHECK_THROW(read_secret(SecretSource::from_env("SIGNET_TEST_UNSET")), Error);
    write_file(dir / "huge", std::string(10000, 'x'));
    try {
        read_secret(SecretSource::from_file(dir / "huge"));
        BOOST_ERROR("an oversized secret file was accepted");
    } catch (const Error& e) {
        BOOST_CHECK(std::string(e.what()).find("xxxx") == std::string::npos);
    }
    try {
        SecretSource::parse("1234");
        BOOST_ERROR("a bare PIN was taken as a secret source");
    } catch (const Error& e) {
        BOOST_CHECK(std::string(e.what()).find("1234") == std::string::npos);
    }
    BOOST_CHECK_THROW(SecretSource::parse("file:"), Error);
}

BOOST_AUTO_TEST_CASE(moved_from_secret_is_empty) {
    Secret a{std::string("value")};
    Secret b = std::move(a);
    BOOST_CHECK(a.empty());
    BOOST_CHECK_EQUAL(b.view(), "value");
}

BOOST_AUTO_TEST_SUITE_END()
