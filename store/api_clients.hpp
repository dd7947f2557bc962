#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::store {

using Sha256 = std::array<std::uint8_t, 32>;

// A caller of the /v1 API. No credential is kept: a client certificate is known by the SHA-256
// of its DER encoding, a bearer token by its SHA-256.
struct ApiClient {
    std::string name;
    std::vector<std::string> scopes;
    std::optional<Sha256> certificate_sha256;
    std::optional<Sha256> token_sha256;
    Clock::time_point created_at;  // from the injected clock, microsecond precision
};

// Narrow storage interfaces per consumer, as in Boulder's storage authority: the API's
// authentication only reads, so it gets the read-only interface.
class ApiClientReader {
  public:
    virtual ~ApiClientReader() = default;
    virtual std::optional<ApiClient> find_by_name(std::string_view name) = 0;
    virtual std::optional<ApiClient> find_by_certificate(const Sha256& certificate_sha256) = 0;
    virtual std::optional<ApiClient> find_by_token(const Sha256& token_sha256) = 0;
    virtual std::vector<ApiClient> list() = 0;  // by name
};

// What the operator's tools need as well. Writes take the caller's transaction, so that the
// audit event of the change commits with it (DESIGN.md invariant 3).
class ApiClientRepository : public ApiClientReader {
  public:
    // Errc::already_exists when the name, the certificate or the token is taken;
    // Errc::invalid_argument for an empty or overlong name or an empty scope.
    virtual void add(Connection& transaction, const ApiClient& client) = 0;
    // Errc::not_found when there is no such client.
    virtual void set_scopes(Connection& transaction, std::string_view name,
                            const std::vector<std::string>& scopes) = 0;
    virtual void remove(Connection& transaction, std::string_view name) = 0;
};

class PostgresApiClients final : public ApiClientRepository {
  public:
    explicit PostgresApiClients(Database& database) : database_(database) {}

    std::optional<ApiClient> find_by_name(std::string_view name) override;
    std::optional<ApiClient> find_by_certificate(const Sha256& certificate_sha256) override;
    std::optional<ApiClient> find_by_token(const Sha256& token_sha256) override;
    std::vector<ApiClient> list() override;

    void add(Connection& transaction, const ApiClient& client) override;
    void set_scopes(Connection& transaction, std::string_view name,
                    const std::vector<std::string>& scopes) override;
    void remove(Connection& transaction, std::string_view name) override;

  private:
    std::optional<ApiClient> find_one(const Statement& statement, const Param& key);
    Database& database_;
};

}  // namespace signet::store
