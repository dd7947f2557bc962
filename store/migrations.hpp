#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::store {

// One step of the schema, compiled into the binary (store/migrations.cpp). Versions start at 1
// and have no gaps; a released migration is never edited, a change is a new one.
struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

// Every migration this binary knows, in version order.
std::span<const Migration> known_migrations() noexcept;

struct AppliedMigration {
    int version = 0;
    std::string name;
    Clock::time_point applied_at;
};

struct MigrationReport {
    int from_version = 0;
    int to_version = 0;
    std::vector<AppliedMigration> applied;  // by this call
};

// Brings the schema to the newest version: in one transaction holding
// pg_advisory_xact_lock(advisory_lock::kMigrations), so when several nodes start together one
// applies the migrations and the others wait, then find nothing left to do. Idempotent.
// Errc::failed_precondition when the database is newer than this binary (a version it does not
// know) or a recorded migration's name differs from the binary's (a different history).
MigrationReport migrate(Database& database);

// The highest applied version, 0 for an empty database.
int schema_version(Database& database);

// What schema_migrations records, by version; empty for an empty database.
std::vector<AppliedMigration> applied_migrations(Database& database);

}  // namespace signet::store
