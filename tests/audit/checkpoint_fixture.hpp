#pragma once

// The checkpoint tests' bed: a real SoftHSM token and PostgreSQL, a key ceremony with a root, an
// issuing CA, a TSA and the audit checkpoint signer, the TSA in process, and the audit log; the
// openssl command line as the independent verifier.
#include <memory>
#include <string>

#include "audit/checkpoints.hpp"
#include "audit/log.hpp"
#include "common/clock.hpp"
#include "hsm/token.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "store/tsa_tokens.hpp"
#include "tests/support/process.hpp"
#include "tsa/journal.hpp"
#include "tsa/responder.hpp"

namespace signet::testing {

struct CheckpointFixture {
    // `pool_size`: the connections of `database`, which everything here shares (the TSA's
    // journal too), as signetd's parts share its one pool.
    explicit CheckpointFixture(const std::string& database_name, std::size_t pool_size = 8);
    ~CheckpointFixture();

    // A checkpointer of this node (`made_by`), reading and making.
    std::unique_ptr<audit::PostgresCheckpoints> checkpointer(const std::string& made_by = "test");
    // Records `n` events.
    void record(int n);
    // Writes the bytes (or text) under dir and returns the path.
    std::string save(const std::string& name, ByteView bytes) const;
    std::string save(const std::string& name, const std::string& text) const;
    std::string root_pem() const { return (dir.path() / "out/root.pem").string(); }
    std::string issuing_pem() const { return (dir.path() / "out/issuing.pem").string(); }

    TempDir dir{"signet-checkpoint-test"};
    hsm::TokenConfig token_config;
    std::shared_ptr<hsm::Token> token;
    std::string dsn;
    std::unique_ptr<store::Database> database;
    std::shared_ptr<ManualClock> clock;
    std::unique_ptr<audit::PostgresAuditLog> audit;
    std::unique_ptr<store::PostgresCertificates> certificates;
    std::unique_ptr<store::PostgresTsaTokens> tsa_tokens;
    std::shared_ptr<tsa::GroupCommitJournal> journal;
    std::unique_ptr<tsa::Responder> tsa;
};

}  // namespace signet::testing
