#pragma once
// What signetctl's CA and RA commands work with, opened from signet.yaml: the database (migrated),
// the HSM token, the audit log and the repositories.

#include <cstdint>
#include <memory>
#include <string>

#include "audit/log.hpp"
#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "hsm/token.hpp"
#include "ops/cli.hpp"
#include "ops/configured_store.hpp"
#include "store/certificates.hpp"
#include "store/subjects.hpp"

namespace signet::ops {

// "operator:LOGIN": who an audit event says acted.
std::string operator_actor();

// --NAME as an integer (UsageError otherwise, or when it is missing).
std::int64_t integer_option(const Arguments& args, const std::string& name);

struct Appliance {
    ConfiguredDatabase store;
    policy::Config& config = store.config;
    std::shared_ptr<hsm::Token> token;
    std::unique_ptr<store::Database>& database = store.database;
    SystemClock clock;
    std::unique_ptr<audit::PostgresAuditLog> audit;
    std::unique_ptr<store::PostgresCertificates> certificates;
    std::unique_ptr<store::PostgresSubjects> subjects;

    explicit Appliance(const Arguments& args);
    // Deferred audit events (issuances) are moved into the log before the command ends.
    ~Appliance();
    Appliance(const Appliance&) = delete;
    Appliance& operator=(const Appliance&) = delete;

    ca::Authority authority();
};

}  // namespace signet::ops
