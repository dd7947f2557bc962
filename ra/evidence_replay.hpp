#pragma once

#include "common/clock.hpp"
#include "ra/evidence.hpp"
#include "store/database.hpp"
#include "store/identity_evidence.hpp"

namespace signet::ra {

// The replay guard of one transaction: accept_once inserts (iss, jti) into evidence_replay on
// `transaction`, so a statement is used up exactly when the evidence stored with it commits. A
// statement refused later in the transaction, or a transaction that fails, consumes nothing.
// Of two transactions accepting the same statement at once, the second waits for the first's
// outcome (the primary key) and is refused when it commits. Lives no longer than the
// transaction.
class TransactionReplayGuard final : public EvidenceReplayGuard {
  public:
    TransactionReplayGuard(store::Connection& transaction, store::PostgresIdentityEvidence& store,
                           const Clock& clock)
        : transaction_(transaction), store_(store), clock_(clock) {}

    bool accept_once(const std::string& issuer, const std::string& jti,
                     Clock::time_point keep_until) override {
        return store_.record_statement_use(transaction_, issuer, jti, keep_until, clock_.now());
    }

  private:
    store::Connection& transaction_;
    store::PostgresIdentityEvidence& store_;
    const Clock& clock_;
};

}  // namespace signet::ra
