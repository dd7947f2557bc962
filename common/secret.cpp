#include "common/secret.hpp"

#include <openssl/crypto.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "common/error.hpp"

namespace signet {

namespace {
// Bound what a PIN file may hold, so a wrong path (a log, a device) is refused quickly.
constexpr std::size_t kMaxSecretBytes = 4096;
}  // namespace

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) {
    other.wipe();
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        value_ = std::move(other.value_);
        other.wipe();
    }
    return *this;
}

Secret::~Secret() {
    wipe();
}

void Secret::wipe() noexcept {
    if (!value_.empty())
        OPENSSL_cleanse(value_.data(), value_.size());
    value_.clear();
}

SecretSource SecretSource::parse(std::string_view spec) {
    if (spec.starts_with("file:") && spec.size() > 5) {
        return from_file(std::string(spec.substr(5)));
    }
    if (spec.starts_with("env:") && spec.size() > 4) {
        return from_env(std::string(spec.substr(4)));
    }
    // The rejected text is not echoed: a PIN typed where its source belongs must not be shown.
    throw Error(Errc::invalid_argument,
                "a secret source must be 'file:PATH' or 'env:VARIABLE' (a PIN itself is never "
                "accepted here)");
}

std::string SecretSource::describe() const {
    return (kind == Kind::file ? "file " : "environment variable ") + location;
}

Secret read_secret(const SecretSource& source) {
    if (source.kind == SecretSource::Kind::env) {
        const char* value = std::getenv(source.location.c_str());
        if (value == nullptr) {
            throw Error(Errc::not_found, "secret " + source.describe() + " is not set");
        }
        Secret secret{std::string(value)};
        if (secret.empty()) {
            throw Error(Errc::invalid_argument, "secret " + source.describe() + " is empty");
        }
        return secret;
    }
    std::ifstream in(source.location, std::ios::binary);
    if (!in)
        throw Error(Errc::not_found, "cannot open secret " + source.describe());
    std::string content;
    content.resize(kMaxSecretBytes + 1);
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<std::size_t>(in.gcount()));
    Secret raw{std::move(content)};
    if (raw.size() > kMaxSecretBytes) {
        throw Error(Errc::invalid_argument, "secret " + source.describe() + " is larger than " +
                                                std::to_string(kMaxSecretBytes) + " bytes");
    }
    // The secret is the first line; a trailing newline (as `echo` writes) is not part of it.
    std::string_view text = raw.view();
    text = text.substr(0, text.find_first_of("\r\n"));
    if (text.empty())
        throw Error(Errc::invalid_argument, "secret " + source.describe() + " is empty");
    return Secret{std::string(text)};
}

}  // namespace signet
