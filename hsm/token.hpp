#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/secret.hpp"
#include "hsm/module.hpp"
#include "hsm/session_pool.hpp"
#include "hsm/signer.hpp"

namespace signet::hsm {

struct TokenConfig {
    std::filesystem::path module_path;
    std::string token_label;
    SecretSource pin;           // never argv (DESIGN.md invariant 6)
    std::size_t pool_size = 8;  // sessions kept open for concurrent signing
    // How long an operation waits for a free session before Errc::unavailable.
    std::chrono::milliseconds session_wait{5000};
    // While the HSM is away, operations fail at once with Errc::unavailable; one tries it again
    // this often.
    std::chrono::milliseconds retry_interval{1000};
};

struct KeyInfo {
    std::string label;
    Bytes id;
    std::string object_class;  // "private-key" or "secret-key"
    std::string algorithm;     // "ec-p256"... for key pairs, "aes-256" for a key-encryption key
    bool sensitive = false;
    bool extractable = true;
};

// A user key: the private half wrapped (CKM_AES_KEY_WRAP_PAD, RFC 5649) under a key-encryption
// key that never leaves the HSM. The blob lives in the database; it is useless without the HSM.
struct WrappedKey {
    KeyType type;
    Bytes wrapped_private_key;  // the RFC 5649 blob
    Bytes public_key_der;       // SubjectPublicKeyInfo
};

// A logged-in token with a pool of sessions: the one object through which Signet uses its HSM.
// Thread-safe.
class Token : public std::enable_shared_from_this<Token> {
  public:
    // Loads the module, finds the token by label, opens the pool and logs in with the PIN read
    // from its source. A wrong PIN is Errc::permission_denied and is never retried here.
    static std::shared_ptr<Token> open(const TokenConfig& config);

    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;
    ~Token();

    const Module& module() const noexcept { return *module_; }
    TokenInfo info() const;

    // Runs `operation` on a pooled session. When the session turns out to be gone (closed,
    // invalid handle, device removed, logged out after a token reset), every session opened
    // until then is dropped and the operation runs once more on a fresh one, logged in again.
    // If the HSM is still away, Errc::unavailable, and from then on at once (no call waits on a
    // dead module) until a try every retry_interval finds it back. Errc::unavailable as well
    // when no session is free within session_wait.
    void with_session(const std::function<void(CK_SESSION_HANDLE)>& operation);

    template <class F>
    auto run(F&& operation) -> decltype(operation(CK_SESSION_HANDLE{})) {
        using R = decltype(operation(CK_SESSION_HANDLE{}));
        if constexpr (std::is_void_v<R>) {
            with_session(std::forward<F>(operation));
        } else {
            std::optional<R> result;
            with_session([&](CK_SESSION_HANDLE s) { result.emplace(operation(s)); });
            return std::move(*result);
        }
    }

    // Token keys (CA, TSA, OCSP): generated in the HSM as token objects, CKA_SENSITIVE true,
    // CKA_EXTRACTABLE false, CKA_PRIVATE true, with a label and an ID (the SHA-1 of the public
    // key's bits, RFC 5280 §4.2.1.2 method 1, so it doubles as the certificate's key identifier).
    // Errc::already_exists if a key with the label is there.
    std::shared_ptr<const Signer> generate_key(KeyType type, const std::string& label);
    std::shared_ptr<const Signer> find_key(const std::string& label);  // Errc::not_found
    // The same key, signing on a pool of its own (`sessions` sessions, waiting at most `wait`
    // for one): for interactive signing that must not queue behind bulk work (the HTTPS key,
    // whose handshakes sign on the server's I/O threads). The pool lives as long as the token.
    std::shared_ptr<const Signer> find_key_on_own_pool(const std::string& label,
                                                       std::size_t sessions,
                                                       std::chrono::milliseconds wait);
    std::shared_ptr<const Signer> find_key_by_id(ByteView id);         // Errc::not_found
    std::vector<KeyInfo> list_keys();

    // The AES-256 key-encryption key for user keys, a token object that can wrap and unwrap and
    // do nothing else. Errc::already_exists if the label is taken.
    void generate_kek(const std::string& label);
    bool has_kek(const std::string& label);

    // A user key pair made in the HSM; its private half leaves only wrapped under the KEK.
    WrappedKey generate_wrapped_key(KeyType type, const std::string& kek_label);
    // A signer that unwraps the blob into a session object, signs and destroys it, each time.
    std::shared_ptr<const Signer> wrapped_signer(WrappedKey key, const std::string& kek_label);

    // A 256-bit HMAC key (CKK_GENERIC_SECRET) as a token object that can sign and verify and
    // do nothing else: sensitive, never extractable, private. The RA's keyed hash of identity
    // numbers: the same number is found again without the number being kept. Errc::already_exists
    // if a secret key has the label. (hsm/secret_keys.cpp)
    void generate_hmac_key(const std::string& label);
    bool has_hmac_key(const std::string& label);
    // HMAC-SHA-256 (RFC 2104, CKM_SHA256_HMAC) of `data` under the HMAC key labelled `label`,
    // computed inside the token. Errc::not_found when there is no such key.
    Bytes hmac_sha256(const std::string& label, ByteView data);

    // A small secret (a TOTP seed: 16 to 64 bytes) wrapped under the key-encryption key
    // (CKM_AES_KEY_WRAP_PAD, RFC 5649), for the database; and back. The secret passes through
    // the token only as a short-lived session object. A blob that was tampered with or wrapped
    // under another key is Errc::invalid_argument; a missing KEK Errc::not_found.
    Bytes wrap_secret(const std::string& kek_label, ByteView secret);
    Secret unwrap_secret(const std::string& kek_label, ByteView blob);

    // Random bytes from the HSM (C_GenerateRandom).
    Bytes random(std::size_t size);

    // Counters for tests and metrics: losses seen (each replaced the pool's sessions).
    std::uint64_t sessions_replaced() const noexcept;
    // Up, or down with the reason (for /healthz); down only once a loss outlived its retry.
    HsmState state() const;

    struct Impl;  // the session pool

  private:
    Token() = default;
    std::shared_ptr<Module> module_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace signet::hsm
