#pragma once

// The signers over the HSM's key objects, as hsm::Token hands them out (internal to hsm/): a
// token key found again by CKA_ID when its handle went stale, and a wrapped user key unwrapped
// into a session object for each signature; `leased`, which runs an operation on a pooled
// session and returns its result.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/bytes.hpp"
#include "common/handle.hpp"
#include "hsm/pkcs11.hpp"
#include "hsm/session_pool.hpp"
#include "hsm/signer.hpp"
#include "hsm/token.hpp"

namespace signet::hsm {

// Runs `operation(lease)` on a pooled session and returns its result.
template <class F>
auto leased(SessionPool& pool, F&& operation) -> decltype(operation(Lease{})) {
    std::optional<decltype(operation(Lease{}))> result;
    pool.run([&](const Lease& lease) { result.emplace(operation(lease)); });
    return std::move(*result);
}

// A key pair held as token objects: `key` is its private key's handle as found on a session of
// pool generation `generation`, `id` its CKA_ID, by which it is found again when the handle may
// have gone stale. `token` keeps the pool alive.
std::shared_ptr<const Signer> make_token_key_signer(std::shared_ptr<Token> token, SessionPool& pool,
                                                    KeyType type, Bytes id, CK_OBJECT_HANDLE key,
                                                    std::uint64_t generation,
                                                    EvpPkeyPtr public_key);

// A user key wrapped under the key-encryption key labelled `kek_label`, whose handle `kek` was
// found on a session of pool generation `generation`.
std::shared_ptr<const Signer> make_wrapped_key_signer(std::shared_ptr<Token> token,
                                                      SessionPool& pool, WrappedKey key,
                                                      const std::string& kek_label,
                                                      CK_OBJECT_HANDLE kek,
                                                      std::uint64_t generation);

}  // namespace signet::hsm
