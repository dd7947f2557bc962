#include "api/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <set>

#include "common/error.hpp"
#include "common/handle.hpp"

namespace signet::api {

Sha256Digest certificate_sha256(X509* certificate) {
    // X509_digest hashes the DER encoding, which is what an operator gets from
    // `openssl x509 -noout -fingerprint -sha256`.
    Sha256Digest digest{};
    unsigned int size = 0;
    check_openssl(X509_digest(certificate, EVP_sha256(), digest.data(), &size),
                  "certificate fingerprint");
    return digest;
}

bool ApiClient::has_scope(std::string_view scope) const noexcept {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

StaticClientDirectory::StaticClientDirectory(std::vector<Entry> entries) {
    std::set<std::string> names;
    for (Entry& entry : entries) {
        if (!names.insert(entry.client.name).second) {
            throw Error(Errc::already_exists, "API client '" + entry.client.name + "' twice");
        }
        auto client = std::make_shared<const ApiClient>(std::move(entry.client));
        if (entry.certificate_sha256 &&
            !by_certificate_.emplace(*entry.certificate_sha256, client).second) {
            throw Error(Errc::already_exists,
                        "API client '" + client->name + "': certificate already mapped");
        }
        if (entry.token_sha256) {
            for (const auto& [hash, other] : by_token_) {
                if (hash == *entry.token_sha256) {
                    throw Error(Errc::already_exists,
                                "API client '" + client->name + "': token already mapped");
                }
            }
            by_token_.emplace_back(*entry.token_sha256, client);
        }
    }
}

std::shared_ptr<const ApiClient> StaticClientDirectory::find_by_certificate(
    const Sha256Digest& certificate_sha256) const {
    // A certificate is public: an ordinary lookup leaks nothing.
    const auto found = by_certificate_.find(certificate_sha256);
    return found == by_certificate_.end() ? nullptr : found->second;
}

std::shared_ptr<const ApiClient> StaticClientDirectory::find_by_token(
    const Sha256Digest& token_sha256) const {
    // Every entry is compared, in constant time, whether or not an earlier one matched.
    std::shared_ptr<const ApiClient> match;
    for (const auto& [hash, client] : by_token_) {
        if (CRYPTO_memcmp(hash.data(), token_sha256.data(), hash.size()) == 0)
            match = client;
    }
    return match;
}

}  // namespace signet::api
