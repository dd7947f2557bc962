#include "common/secret.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "common/error.hpp"

namespace signet {

namespace {

// Bound what a PIN file may hold, so a wrong path (a log, a device) is refused quickly.
constexpr std::size_t kMaxSecretBytes = 4096;

// OpenSSL keeps every private key of the default provider there once the heap exists (ECDHE keys
// of each TLS handshake, ECDSA nonces, a file TLS key): 1 MiB holds thousands at once, and fits
// the usual RLIMIT_MEMLOCK (8 MiB). Allocations are rounded up to powers of two of at least 16.
constexpr std::size_t kSecureHeapBytes = std::size_t{1} << 20;
constexpr std::size_t kSecureHeapMinimum = 16;

// Closes a file descriptor however the read ends.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0)
            ::close(fd);
    }
};

}  // namespace

SecureHeap init_secure_heap() noexcept {
    static std::once_flag once;
    static SecureHeap state = SecureHeap::unavailable;
    std::call_once(once, [] {
        if (CRYPTO_secure_malloc_initialized() == 1) {
            state = SecureHeap::locked;  // someone set it up before us; OpenSSL tells no more
            return;
        }
        switch (CRYPTO_secure_malloc_init(kSecureHeapBytes, kSecureHeapMinimum)) {
            case 1:
                state = SecureHeap::locked;
                break;
            case 2:  // the heap works, but mlock failed (RLIMIT_MEMLOCK)
                state = SecureHeap::not_locked;
                break;
            default:
                state = SecureHeap::unavailable;
                break;
        }
    });
    return state;
}

std::string_view describe(SecureHeap state) noexcept {
    switch (state) {
        case SecureHeap::locked:
            return "locked";
        case SecureHeap::not_locked:
            return "not locked in memory (mlock refused: raise RLIMIT_MEMLOCK, e.g. "
                   "LimitMEMLOCK= in the systemd unit); secrets are still wiped";
        case SecureHeap::unavailable:
            return "unavailable (secrets are kept on the ordinary heap, still wiped)";
    }
    return "unknown";
}

Secret Secret::with_capacity(std::size_t capacity) {
    Secret secret;
    if (capacity == 0)
        return secret;
    // Without the secure heap (not initialized), CRYPTO_secure_zalloc is the ordinary heap.
    secret.data_ = static_cast<char*>(OPENSSL_secure_zalloc(capacity));
    if (secret.data_ == nullptr)
        throw Error(Errc::unavailable, "the secure heap is full");
    secret.capacity_ = capacity;
    return secret;
}

Secret::Secret(std::string_view value) : Secret(with_capacity(value.size())) {
    if (!value.empty())
        std::memcpy(data_, value.data(), value.size());
    size_ = value.size();
}

Secret::Secret(Secret&& other) noexcept
    : data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
    other.data_ = nullptr;
    other.size_ = 0;
    other.capacity_ = 0;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        data_ = other.data_;
        size_ = other.size_;
        capacity_ = other.capacity_;
        other.data_ = nullptr;
        other.size_ = 0;
        other.capacity_ = 0;
    }
    return *this;
}

Secret::~Secret() {
    wipe();
}

void Secret::wipe() noexcept {
    // Cleanses the whole allocation (OPENSSL_cleanse, which the compiler may not elide), then
    // frees it.
    if (data_ != nullptr)
        OPENSSL_secure_clear_free(data_, capacity_);
    data_ = nullptr;
    size_ = 0;
    capacity_ = 0;
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

namespace {

Secret read_from_environment(const SecretSource& source) {
    char* value = std::getenv(source.location.c_str());
    if (value == nullptr)
        throw Error(Errc::not_found, "secret " + source.describe() + " is not set");
    const std::size_t size = std::strlen(value);
    if (size == 0)
        throw Error(Errc::invalid_argument, "secret " + source.describe() + " is empty");
    Secret secret(std::string_view(value, size));
    // unsetenv only drops the entry: the bytes stay where they were (the process's initial
    // stack, which /proc/PID/environ shows, or glibc's copy from setenv). Wipe them first.
    OPENSSL_cleanse(value, size);
    ::unsetenv(source.location.c_str());
    return secret;
}

}  // namespace

Secret read_secret(const SecretSource& source) {
    if (source.kind == SecretSource::Kind::env)
        return read_from_environment(source);
    Fd file{::open(source.location.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0)
        throw Error(Errc::not_found, "cannot open secret " + source.describe());
    // A regular file is read into a buffer of its size (plus one byte, to notice growth);
    // anything else (a pipe, /dev/fd/N) into one of the bound.
    struct stat info{};
    std::size_t capacity = kMaxSecretBytes + 1;
    if (::fstat(file.fd, &info) == 0 && S_ISREG(info.st_mode) &&
        static_cast<std::size_t>(info.st_size) < kMaxSecretBytes) {
        capacity = static_cast<std::size_t>(info.st_size) + 1;
    }
    Secret secret = Secret::with_capacity(capacity);
    std::size_t total = 0;
    while (total < capacity) {
        const ssize_t n = ::read(file.fd, secret.data_ + total, capacity - total);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw Error(Errc::io, "cannot read secret " + source.describe());
        if (n == 0)
            break;
        total += static_cast<std::size_t>(n);
    }
    if (total == capacity) {
        throw Error(Errc::invalid_argument,
                    "secret " + source.describe() + " is larger than " +
                        std::to_string(kMaxSecretBytes) + " bytes (or grew while being read)");
    }
    // The secret is the first line; a trailing newline (as `echo` writes) is not part of it. The
    // rest is wiped where it was read.
    const std::size_t line = std::string_view(secret.data_, total).find_first_of("\r\n");
    secret.size_ = line == std::string_view::npos ? total : line;
    OPENSSL_cleanse(secret.data_ + secret.size_, capacity - secret.size_);
    if (secret.empty())
        throw Error(Errc::invalid_argument, "secret " + source.describe() + " is empty");
    return secret;
}

}  // namespace signet
