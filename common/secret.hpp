#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace signet {

// Sets up OpenSSL's secure heap (CRYPTO_secure_malloc_init), where Secret keeps its bytes: memory
// that is locked (mlock: never swapped), left out of core dumps (MADV_DONTDUMP) and wiped when
// freed. Call it once at program start, before any thread (signetd, signetctl and the tests do).
// OpenSSL's own private keys (a TLS key read from a file, ECDHE keys) live there too from then on,
// so it is sized for a busy server. Without it, Secret falls back to the ordinary heap, still
// wiped. Idempotent.
enum class SecureHeap { locked, not_locked, unavailable };
SecureHeap init_secure_heap() noexcept;
// For a startup log line: "locked", or why not.
std::string_view describe(SecureHeap state) noexcept;

struct SecretSource;

// A secret (a PIN, a passphrase) in OpenSSL's secure heap: locked in memory and wiped when its
// owner goes away. Never in a std::string, so no short-string buffer, reallocation or temporary
// leaves a copy behind. Move-only (a move hands the buffer over and leaves nothing in the source);
// never printed.
class Secret {
  public:
    Secret() noexcept = default;
    // Copies `value` into secure memory; wiping the caller's copy is the caller's business.
    explicit Secret(std::string_view value);
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    Secret(Secret&& other) noexcept;
    Secret& operator=(Secret&& other) noexcept;
    ~Secret();

    std::string_view view() const noexcept { return {data_, size_}; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

  private:
    friend Secret read_secret(const SecretSource& source);
    // An empty secret with `capacity` zeroed bytes of secure memory to fill.
    static Secret with_capacity(std::size_t capacity);
    void wipe() noexcept;

    char* data_ = nullptr;
    std::size_t size_ = 0;      // the secret's bytes
    std::size_t capacity_ = 0;  // what was allocated (and is wiped on free)
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

// Reads the secret straight into secure memory; a missing file, an unset or empty variable is
// Errc::not_found or Errc::invalid_argument naming the source (never the value).
// - A file is read with open/read into the Secret's own buffer (no stream buffer holds a copy);
//   the bytes after the first line are wiped there.
// - An environment variable is copied, then its value is wiped in place and the variable unset,
//   so neither the environment, child processes nor /proc/PID/environ keep it: it can be read
//   once per process. (Not thread-safe with other uses of the environment: read it at startup.)
Secret read_secret(const SecretSource& source);

}  // namespace signet
