#include "tests/support/softhsm.hpp"

#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace signet::testing {

namespace {
std::mutex g_mutex;
}

SoftHsm& SoftHsm::instance() {
    static SoftHsm softhsm;
    return softhsm;
}

SoftHsm::SoftHsm() {
    std::filesystem::create_directories(dir() / "tokens");
    const auto conf = dir() / "softhsm2.conf";
    write_file(conf, "directories.tokendir = " + (dir() / "tokens").string() +
                         "\nobjectstore.backend = file\nlog.level = ERROR\n"
                         "slots.removable = false\n");
    // Must be set before the module is first loaded (C_Initialize reads it).
    setenv("SOFTHSM2_CONF", conf.c_str(), 1);
    pin_file_ = dir() / "user.pin";
    write_file(pin_file_, std::string(kUserPin) + "\n");
}

hsm::TokenConfig SoftHsm::new_token(const std::string& prefix) {
    std::string label;
    {
        std::lock_guard lock(g_mutex);
        label = prefix + "-" + std::to_string(next_token_++);
    }
    auto result = run_command({"softhsm2-util", "--init-token", "--free", "--label", label,
                               "--pin", kUserPin, "--so-pin", kSoPin});
    if (result.exit_code != 0) {
        throw std::runtime_error("softhsm2-util --init-token failed: " + result.output);
    }
    hsm::TokenConfig config;
    config.module_path = kModulePath;
    config.token_label = label;
    config.pin = SecretSource::from_file(pin_file_);
    config.pool_size = 8;
    return config;
}

std::shared_ptr<hsm::Token> SoftHsm::open_new_token(const std::string& prefix) {
    return hsm::Token::open(new_token(prefix));
}

}  // namespace signet::testing
