#pragma once

// One real PostgreSQL cluster per test executable (initdb costs a second or more), started by
// EmbeddedPostgres in a temporary state directory and stopped at exit. Each test that needs a
// clean slate takes a fresh database in it.
#include <boost/test/unit_test.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/process.hpp"

namespace signet::testing {

class TestCluster {
  public:
    static TestCluster& instance() {
        static TestCluster cluster;
        return cluster;
    }

    store::EmbeddedPostgres& server() { return *server_; }
    const std::filesystem::path& state_dir() const { return dir_.path(); }

    // An empty database `name` (dropped first if a previous test left it), and its DSN.
    std::string fresh_database(const std::string& name) {
        store::Database admin({.dsn = server_->dsn("postgres"), .pool_size = 1});
        admin.with_connection([&](store::Connection& c) {
            c.exec("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
            c.exec("CREATE DATABASE \"" + name + "\"");
        });
        return server_->dsn(name);
    }

    // A fresh database with the schema migrated.
    std::string migrated_database(const std::string& name) {
        const std::string dsn = fresh_database(name);
        store::Database database({.dsn = dsn, .pool_size = 1});
        store::migrate(database);
        return dsn;
    }

  private:
    // The state directory itself is the temporary directory: as root, PostgreSQL runs as the
    // postgres user, which must be able to walk down to it (EmbeddedPostgres adds o+x to the
    // state directory, but not to its parents).
    TempDir dir_{"signet-pg"};
    std::unique_ptr<store::EmbeddedPostgres> server_ =
        std::make_unique<store::EmbeddedPostgres>(store::EmbeddedPostgresOptions{
            .state_dir = dir_.path(), .unsafe_fast = true, .log = [](std::string_view m) {
                std::clog << "[postgres] " << m << "\n";
            }});
};

// Starts the shared cluster again at the end of the scope whatever happens, so a failing test
// that stopped it does not take the others down with it.
struct RestartGuard {
    store::EmbeddedPostgres& server;
    ~RestartGuard() {
        try {
            server.start();
        } catch (const std::exception& e) {
            BOOST_ERROR("could not restart the test cluster: " << e.what());
        }
    }
};

}  // namespace signet::testing
