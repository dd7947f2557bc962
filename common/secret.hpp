#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace signet {

// A secret (a PIN, a passphrase) held in memory that is wiped when the owner goes away
// (OPENSSL_cleanse, which the compiler may not elide). Move-only; never printed.
class Secret {
  public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    Secret(Secret&& other) noexcept;
    Secret& operator=(Secret&& other) noexcept;
    ~Secret();

    std::string_view view() const noexcept { return value_; }
    std::size_t size() const noexcept { return value_.size(); }
    bool empty() const noexcept { return value_.empty(); }

  private:
    void wipe() noexcept;
    std::string value_;
};

// Where a secret comes from: a file (first line, without the newline) or an environment
// variable. Never argv (DESIGN.md invariant 6).
struct SecretSource {
    enum class Kind { file, env };
    Kind kind = Kind::file;
    std::string location;  // the path or the variable's name

    static SecretSource from_file(std::filesystem::path path) {
        return {Kind::file, path.string()};
    }
    static SecretSource from_env(std::string variable) { return {Kind::env, std::move(variable)}; }

    // Parses "file:PATH" or "env:NAME" (the form the configuration and the CLI use).
    static SecretSource parse(std::string_view spec);

    // Describes the source without revealing the secret, e.g. "file /etc/signet/pin".
    std::string describe() const;
};

// Reads the secret; a missing file, an unset or empty variable is Errc::not_found or
// Errc::invalid_argument naming the source (never the value).
Secret read_secret(const SecretSource& source);

}  // namespace signet
