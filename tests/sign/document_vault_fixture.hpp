#pragma once

// A DocumentVault on real parts: a fresh SoftHSM token holding the documents key, and a fresh
// migrated database in the executable's PostgreSQL cluster (tests/store/test_cluster.hpp).
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <random>
#include <string>

#include "common/clock.hpp"
#include "sign/document_vault.hpp"
#include "store/documents.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/softhsm.hpp"

namespace signet::testing {

inline constexpr std::size_t kKiB = 1024;
inline constexpr std::size_t kMiB = 1024 * 1024;

// `size` reproducible pseudo-random bytes (a different stream per seed).
inline Bytes random_bytes(std::size_t size, std::uint64_t seed = 1) {
    std::mt19937_64 generator(seed);
    Bytes out(size);
    for (auto& b : out)
        b = static_cast<std::uint8_t>(generator() >> 56);
    return out;
}

struct VaultFixture {
    // `database`: a name of the test's own (the cluster is shared by the executable's tests).
    explicit VaultFixture(const std::string& database, sign::DocumentVaultOptions options = {},
                          bool with_key = true)
        : dsn(TestCluster::instance().migrated_database(database)),
          vault(db, repository, token, clock, std::move(options)) {
        if (with_key)
            token->generate_kek(std::string(sign::kDefaultDocumentsKey));
    }

    // Writes `data` in pieces of `piece` bytes (the last one shorter).
    sign::StoredDocument store(ByteView data, std::size_t piece = 64 * kKiB) {
        sign::VaultWriter writer = vault.write();
        for (std::size_t at = 0; at < data.size(); at += piece)
            writer.write(data.subspan(at, std::min(piece, data.size() - at)));
        return writer.finish();
    }

    std::int64_t count(const std::string& sql) {
        return db.with_connection(
            [&](store::Connection& c) { return c.exec(sql).one()[0].int64(); });
    }
    std::int64_t documents() { return count("SELECT count(*) FROM documents"); }
    std::int64_t chunks() { return count("SELECT count(*) FROM document_chunks"); }

    void exec(const std::string& sql, std::initializer_list<store::Param> params = {}) {
        db.with_connection([&](store::Connection& c) { c.exec(sql, params); });
    }

    std::shared_ptr<hsm::Token> token = SoftHsm::instance().open_new_token("docs");
    std::string dsn;
    store::Database db{{.dsn = dsn,
                        .pool_size = 4,
                        .connect_timeout = std::chrono::seconds(2),
                        .acquire_timeout = std::chrono::milliseconds(2000),
                        .statement_timeout = std::chrono::milliseconds(5000)}};
    ManualClock clock{std::chrono::sys_days(std::chrono::year(2026) / 12 / 6) +
                      std::chrono::hours(5)};
    store::PostgresDocuments repository;
    sign::DocumentVault vault;
};

}  // namespace signet::testing
