#pragma once

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.hpp"

// Who is calling. A caller of a scoped route proves who it is with a client certificate (mutual
// TLS) or a bearer token; either maps to an API client with scopes. No credential is kept: a
// certificate is known by the SHA-256 of its DER encoding, a token by its SHA-256.
namespace signet::api {

// Errc::crypto if the certificate cannot be encoded.
Sha256Digest certificate_sha256(X509* certificate);

struct ApiClient {
    std::string name{};
    std::vector<std::string> scopes{};

    bool has_scope(std::string_view scope) const noexcept;
};

// Where the server looks clients up. Called on the request path, once per request that carries
// credentials; an implementation backed by a database should cache. Thread-safe.
class ClientDirectory {
  public:
    virtual ~ClientDirectory() = default;
    virtual std::shared_ptr<const ApiClient> find_by_certificate(
        const Sha256Digest& certificate_sha256) const = 0;
    // Implementations compare token hashes in constant time: how long a lookup takes must not
    // tell an attacker how close a guess came.
    virtual std::shared_ptr<const ApiClient> find_by_token(
        const Sha256Digest& token_sha256) const = 0;
};

// A fixed set of clients (from the configuration, or from the store at start).
class StaticClientDirectory final : public ClientDirectory {
  public:
    struct Entry {
        ApiClient client{};
        std::optional<Sha256Digest> certificate_sha256{};
        std::optional<Sha256Digest> token_sha256{};
    };

    // Errc::already_exists when two entries share a name, a certificate or a token.
    explicit StaticClientDirectory(std::vector<Entry> entries);

    std::shared_ptr<const ApiClient> find_by_certificate(
        const Sha256Digest& certificate_sha256) const override;
    std::shared_ptr<const ApiClient> find_by_token(const Sha256Digest& token_sha256) const override;

  private:
    std::map<Sha256Digest, std::shared_ptr<const ApiClient>> by_certificate_;
    // Scanned in full with CRYPTO_memcmp for every lookup.
    std::vector<std::pair<Sha256Digest, std::shared_ptr<const ApiClient>>> by_token_;
};

}  // namespace signet::api
