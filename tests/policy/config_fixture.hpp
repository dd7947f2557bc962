#pragma once

// The configuration tests' fixture (tests/policy/config_test.cpp, config_ra_test.cpp): files
// written into a fresh directory, loaded, and their messages checked line by line.

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "policy/config.hpp"
#include "tests/support/process.hpp"

namespace signet::policy::testing {

using signet::testing::TempDir;
using signet::testing::write_file;

// Writes configurations into a fresh directory that holds a PIN file, and loads them.
struct Fixture {
    TempDir dir;
    Fixture() { write_file(dir / "pin", "1234\n"); }

    // The smallest valid configuration (4 lines); tests append sections from line 5 on.
    static std::string base() {
        return "state_dir: var\n"
               "hsm:\n"
               "  token: signet-dev\n"
               "  pin: file:pin\n";
    }
    std::filesystem::path file() const { return dir / "signet.yaml"; }
    Config load(const std::string& yaml) const {
        write_file(file(), yaml);
        return load_config(file());
    }
    // The error's message for `yaml`, which must be refused with Errc::invalid_argument.
    std::string error(const std::string& yaml) const {
        try {
            load(yaml);
        } catch (const Error& e) {
            BOOST_CHECK_EQUAL(to_string(e.code()), to_string(Errc::invalid_argument));
            BOOST_TEST_MESSAGE(e.what());
            return e.what();
        }
        BOOST_ERROR("the configuration was accepted:\n" << yaml);
        return "";
    }
    // "FILE:LINE:COLUMN: " as the messages start, 1-based like an editor.
    std::string at(int line, int column) const {
        return file().string() + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
    }
};

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// Checks that `message` has exactly the line `expected` (a whole problem, not a fragment).
inline void check_line(const std::string& message, const std::string& expected) {
    const auto lines = lines_of(message);
    BOOST_CHECK_MESSAGE(std::ranges::find(lines, expected) != lines.end(),
                        "no line\n  " << expected << "\nin\n"
                                      << message);
}

inline bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

inline std::string source_dir() {
    const char* source = std::getenv("SIGNET_SOURCE_DIR");
    BOOST_REQUIRE_MESSAGE(source != nullptr, "SIGNET_SOURCE_DIR is not set (run through ctest)");
    return source;
}

// "FILE:LINE:COLUMN: " of `token` inside the first occurrence of `snippet` in `yaml`.
inline std::string place(const Fixture& f, const std::string& yaml, const std::string& snippet,
                         const std::string& token) {
    const std::size_t start = yaml.find(snippet);
    BOOST_REQUIRE_MESSAGE(start != std::string::npos, "no '" << snippet << "' in the YAML");
    const std::size_t at = yaml.find(token, start);
    BOOST_REQUIRE(at != std::string::npos);
    const std::size_t line_start =
        yaml.rfind('\n', at) == std::string::npos ? 0 : yaml.rfind('\n', at) + 1;
    const auto line = std::count(yaml.begin(), yaml.begin() + static_cast<long>(at), '\n') + 1;
    return f.at(static_cast<int>(line), static_cast<int>(at - line_start + 1));
}

// A fresh key pair of `type` ("EC" with a curve, "RSA" with bits, "ED25519").
inline EvpPkeyPtr make_key(const char* type, const char* curve = nullptr, std::size_t bits = 0) {
    EVP_PKEY* key = curve != nullptr ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve)
                    : bits != 0      ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, bits)
                                     : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    BOOST_REQUIRE(key != nullptr);
    return EvpPkeyPtr(key);
}

inline std::string pem_of(EVP_PKEY* key, bool private_key = false) {
    BioPtr out(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE(private_key ? PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0,
                                                         nullptr, nullptr) == 1
                              : PEM_write_bio_PUBKEY(out.get(), key) == 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace signet::policy::testing
