#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "hsm/token.hpp"
#include "tests/support/process.hpp"

namespace signet::testing {

// A real SoftHSM 2 installation in a temporary directory, one per test process (a PKCS#11
// module is initialized once per process, and SoftHSM reads SOFTHSM2_CONF then). Each test gets
// its own freshly initialized token in it.
class SoftHsm {
public:
    static SoftHsm& instance();

    static constexpr const char* kModulePath = "/usr/lib/softhsm/libsofthsm2.so";
    static constexpr const char* kUserPin = "1234-test-pin";
    static constexpr const char* kSoPin = "5678-test-so-pin";

    // Initializes a new token (label `prefix-N`, unique in the process) and returns the
    // configuration that opens it, with the user PIN in a file.
    hsm::TokenConfig new_token(const std::string& prefix = "test");

    // Opens a new token: the usual first line of an HSM test.
    std::shared_ptr<hsm::Token> open_new_token(const std::string& prefix = "test");

    const std::filesystem::path& dir() const noexcept { return dir_.path(); }
    const std::filesystem::path& pin_file() const noexcept { return pin_file_; }

private:
    SoftHsm();
    TempDir dir_{"signet-softhsm"};
    std::filesystem::path pin_file_;
    int next_token_ = 0;
};

}  // namespace signet::testing
