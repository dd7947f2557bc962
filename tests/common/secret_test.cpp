#include "common/secret.hpp"

#include <openssl/crypto.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <optional>

#include "common/error.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using signet::testing::expect_error;
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

// Memory is inspected, not the interface: a wiped secret still says empty() when its bytes
// linger somewhere.

namespace {

// True when any `run` consecutive bytes of `needle` occur in `region`.
bool holds_part_of(std::string_view region, std::string_view needle, std::size_t run = 5) {
    for (std::size_t i = 0; i + run <= needle.size(); ++i) {
        if (region.find(needle.substr(i, run)) != std::string_view::npos)
            return true;
    }
    return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_secret_lives_in_the_secure_heap_and_is_wiped_there) {
    BOOST_REQUIRE_EQUAL(CRYPTO_secure_malloc_initialized(), 1);  // tests/support/test_main.cpp
    TempDir dir;
    const std::string canary = "heap-canary-0123456789abcdefghij";
    write_file(dir / "pin", canary + "\n");
    const std::size_t used_before = CRYPTO_secure_used();
    const char* where = nullptr;
    {
        Secret pin = read_secret(SecretSource::from_file(dir / "pin"));
        BOOST_CHECK_EQUAL(pin.view(), canary);
        BOOST_CHECK_GT(CRYPTO_secure_used(), used_before);
        BOOST_REQUIRE_EQUAL(CRYPTO_secure_allocated(pin.view().data()), 1);
        Secret copy{std::string("made-from-a-string")};
        BOOST_CHECK_EQUAL(CRYPTO_secure_allocated(copy.view().data()), 1);
        where = pin.view().data();
    }
    BOOST_CHECK_EQUAL(CRYPTO_secure_used(), used_before);
    // The secure heap stays mapped: where the PIN was, no run of it is left (the allocator's
    // own free-list pointers may now sit in the first bytes).
    BOOST_CHECK(!holds_part_of(std::string_view(where, canary.size()), canary));
}

BOOST_AUTO_TEST_CASE(a_moved_from_secret_keeps_nothing_of_it) {
    // Short enough for a std::string's inline buffer, where a move used to leave it.
    const std::string canary = "sso-Pin-4711";
    std::optional<Secret> source;
    source.emplace(std::string(canary));
    Secret target = std::move(*source);
    BOOST_CHECK_EQUAL(target.view(), canary);
    const std::string_view old_storage(reinterpret_cast<const char*>(&*source), sizeof(Secret));
    BOOST_CHECK(!holds_part_of(old_storage, canary));
    BOOST_CHECK(source->empty());
    // And move-assignment frees what the target held.
    const std::size_t used = CRYPTO_secure_used();
    Secret other{std::string("other-secret")};
    BOOST_CHECK_GT(CRYPTO_secure_used(), used);
    other = std::move(target);
    BOOST_CHECK_EQUAL(other.view(), canary);
    BOOST_CHECK_EQUAL(CRYPTO_secure_used(), used);
}

BOOST_AUTO_TEST_CASE(a_secret_from_the_environment_is_gone_from_it) {
    const std::string canary = "env-canary-pin-8086";
    setenv("SIGNET_TEST_ENV_SECRET", canary.c_str(), 1);
    const char* where = std::getenv("SIGNET_TEST_ENV_SECRET");
    BOOST_REQUIRE(where != nullptr);
    Secret pin = read_secret(SecretSource::from_env("SIGNET_TEST_ENV_SECRET"));
    BOOST_CHECK_EQUAL(pin.view(), canary);
    BOOST_CHECK(std::getenv("SIGNET_TEST_ENV_SECRET") == nullptr);
    for (char** entry = environ; *entry != nullptr; ++entry)
        BOOST_CHECK(!holds_part_of(*entry, canary));
    // glibc keeps the string setenv made (it never frees them): its bytes are wiped.
    BOOST_CHECK(!holds_part_of(std::string_view(where, canary.size()), canary));
    // Read once: a second read finds nothing, and says so without the value.
    expect_error([] { read_secret(SecretSource::from_env("SIGNET_TEST_ENV_SECRET")); },
                 Errc::not_found, "SIGNET_TEST_ENV_SECRET is not set");
}

BOOST_AUTO_TEST_CASE(a_secret_file_is_read_into_the_secret_alone) {
    TempDir dir;
    const std::string first = "file-canary-pin-1997";
    const std::string rest = "second-line-canary\nthird\n";
    write_file(dir / "pin", first + "\n" + rest);
    Secret pin = read_secret(SecretSource::from_file(dir / "pin"));
    BOOST_CHECK_EQUAL(pin.view(), first);
    // The file went straight into the secret's secure buffer (no stream buffer), and what
    // followed the first line is wiped there.
    BOOST_REQUIRE_EQUAL(CRYPTO_secure_allocated(pin.view().data()), 1);
    const std::string_view region(pin.view().data(), first.size() + 1 + rest.size());
    BOOST_CHECK(region.substr(first.size()).find_first_not_of('\0') == std::string_view::npos);
    BOOST_CHECK(!holds_part_of(region.substr(first.size()), rest));
}

BOOST_AUTO_TEST_SUITE_END()
