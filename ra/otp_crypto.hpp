#pragma once

#include <cstddef>
#include <string>

#include "common/bytes.hpp"
#include "common/secret.hpp"

namespace signet::ra {

// The cryptography behind one-time passwords, narrowed to what they need so that signetd backs
// it with the HSM (hsm::Token: its random generator, an HMAC key and the key-encryption key)
// and tests with an in-memory fake. No key ever leaves the implementation.
class OtpCrypto {
  public:
    virtual ~OtpCrypto() = default;
    // `n` bytes from a cryptographically secure generator (the HSM's C_GenerateRandom).
    virtual Bytes random(std::size_t n) = 0;
    // HMAC-SHA-256 (RFC 2104) of `data` under a secret key: a challenge's code is stored only
    // as this (a plain hash of 6 digits is brute-forced in microseconds; without the key, which
    // stays in the HSM, a dump of the table is worthless).
    virtual Bytes keyed_hash(ByteView data) = 0;
    // A TOTP seed encrypted under the key-encryption key, for storing; and back.
    virtual Bytes wrap_seed(ByteView seed) = 0;
    virtual Secret unwrap_seed(ByteView blob) = 0;
    // The label of the key-encryption key wrap_seed uses (stored next to each wrapped seed, so a
    // KEK rotation knows what to re-wrap).
    virtual std::string kek_label() const = 0;
};

}  // namespace signet::ra
