#include "store/api_clients.hpp"

#include <algorithm>

namespace signet::store {

namespace {

#define SIGNET_API_CLIENT_COLUMNS "name, scopes, certificate_sha256, token_sha256, created_at"

constexpr Statement kFindByName{"api_clients.find_by_name", "SELECT " SIGNET_API_CLIENT_COLUMNS
                                                            " FROM api_clients WHERE name = $1"};
constexpr Statement kFindByCertificate{"api_clients.find_by_certificate",
                                       "SELECT " SIGNET_API_CLIENT_COLUMNS
                                       " FROM api_clients WHERE certificate_sha256 = $1::bytea"};
constexpr Statement kFindByToken{"api_clients.find_by_token",
                                 "SELECT " SIGNET_API_CLIENT_COLUMNS
                                 " FROM api_clients WHERE token_sha256 = $1::bytea"};
constexpr Statement kList{"api_clients.list",
                          "SELECT " SIGNET_API_CLIENT_COLUMNS " FROM api_clients ORDER BY name"};
constexpr Statement kInsert{
    "api_clients.insert",
    "INSERT INTO api_clients (name, scopes, certificate_sha256, token_sha256, created_at) "
    "VALUES ($1, $2::text[], $3::bytea, $4::bytea, $5::timestamptz)"};
constexpr Statement kSetScopes{"api_clients.set_scopes",
                               "UPDATE api_clients SET scopes = $2::text[] WHERE name = $1"};
constexpr Statement kDelete{"api_clients.delete", "DELETE FROM api_clients WHERE name = $1"};

#undef SIGNET_API_CLIENT_COLUMNS

std::optional<Sha256> sha256_column(const Field& field) {
    if (field.is_null())
        return std::nullopt;
    const Bytes bytes = field.bytes();
    if (bytes.size() != 32)
        throw Error(Errc::internal, "api_clients holds a SHA-256 that is not 32 bytes");
    Sha256 out;
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
}

ApiClient from_row(const Row& row) {
    ApiClient client;
    client.name = row["name"].as<std::string>();
    client.scopes = row["scopes"].text_array();
    client.certificate_sha256 = sha256_column(row["certificate_sha256"]);
    client.token_sha256 = sha256_column(row["token_sha256"]);
    client.created_at = row["created_at"].time();
    return client;
}

void check_name(std::string_view name) {
    if (name.empty() || name.size() > 200) {
        throw Error(Errc::invalid_argument, "an API client's name has 1 to 200 characters");
    }
}

void check_scopes(const std::vector<std::string>& scopes) {
    for (const auto& scope : scopes) {
        if (scope.empty())
            throw Error(Errc::invalid_argument, "an API client's scope cannot be empty");
    }
}

}  // namespace

std::optional<ApiClient> PostgresApiClients::find_one(const Statement& statement,
                                                      const Param& key) {
    return database_.with_connection([&](Connection& connection) -> std::optional<ApiClient> {
        const Result rows = connection.exec(statement, std::span<const Param>(&key, 1));
        if (rows.empty())
            return std::nullopt;
        return from_row(rows.one());
    });
}

std::optional<ApiClient> PostgresApiClients::find_by_name(std::string_view name) {
    return find_one(kFindByName, Param(name));
}

std::optional<ApiClient> PostgresApiClients::find_by_certificate(const Sha256& certificate_sha256) {
    return find_one(kFindByCertificate, Param(certificate_sha256));
}

std::optional<ApiClient> PostgresApiClients::find_by_token(const Sha256& token_sha256) {
    return find_one(kFindByToken, Param(token_sha256));
}

std::vector<ApiClient> PostgresApiClients::list() {
    return database_.with_connection([](Connection& connection) {
        const Result rows = connection.exec(kList);
        std::vector<ApiClient> clients;
        clients.reserve(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i)
            clients.push_back(from_row(rows[i]));
        return clients;
    });
}

void PostgresApiClients::add(Connection& transaction, const ApiClient& client) {
    check_name(client.name);
    check_scopes(client.scopes);
    transaction.exec(kInsert, {client.name, Param::text_array(client.scopes),
                               client.certificate_sha256, client.token_sha256, client.created_at});
}

void PostgresApiClients::set_scopes(Connection& transaction, std::string_view name,
                                    const std::vector<std::string>& scopes) {
    check_scopes(scopes);
    if (transaction.exec(kSetScopes, {name, Param::text_array(scopes)}).affected_rows() == 0) {
        throw Error(Errc::not_found, "no API client named '" + std::string(name) + "'");
    }
}

void PostgresApiClients::remove(Connection& transaction, std::string_view name) {
    if (transaction.exec(kDelete, {name}).affected_rows() == 0) {
        throw Error(Errc::not_found, "no API client named '" + std::string(name) + "'");
    }
}

}  // namespace signet::store
