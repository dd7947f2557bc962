#pragma once

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/bytes.hpp"

namespace signet {

using Sha256Digest = std::array<std::uint8_t, 32>;

// `data` hashed with `md` (any digest OpenSSL has; a fetched one saves a fetch per call).
// Errc::crypto if OpenSSL fails.
Bytes digest_of(const EVP_MD* md, ByteView data);

// SHA-256 with a digest fetched once. Errc::crypto if OpenSSL fails.
Sha256Digest sha256_of(std::string_view data);
Sha256Digest sha256_of(ByteView data);

// SHA-256 of data that arrives in pieces (a document streamed in). Move-only. Errc::crypto if
// OpenSSL fails; Errc::failed_precondition when used after finish().
class Sha256Stream {
  public:
    Sha256Stream();
    Sha256Stream(Sha256Stream&&) noexcept;
    Sha256Stream& operator=(Sha256Stream&&) noexcept;
    ~Sha256Stream();

    void update(ByteView piece);
    Sha256Digest finish();

  private:
    struct Context;
    std::unique_ptr<Context> context_;
};

}  // namespace signet
