#pragma once
// signetd's tamper-evident log (issue 14): the checkpoint reader behind GET /v1/audit/..., and,
// when the key ceremony made the checkpoint key and the TSA can sign, a checkpoint every
// audit.checkpoint_interval seconds and one at shutdown, each offered to the witness
// (audit.witness). Part of the signetd executable, like signetd_wiring: it wires, it decides
// nothing.

#include <memory>

#include "api/router.hpp"
#include "audit/checkpoints.hpp"
#include "audit/log.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "hsm/token.hpp"
#include "policy/config.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "tsa/responder.hpp"

namespace signet::signetd {

class AuditNode {
  public:
    struct Dependencies {
        const policy::Config& config;
        std::shared_ptr<hsm::Token> token;
        store::Database& database;
        audit::PostgresAuditLog& audit;
        const Clock& clock;
        store::CertificateReader& certificates;
        std::shared_ptr<tsa::Responder> tsa;  // null: no checkpoints (they need a time-stamp)
        std::string node;                     // made_by of this node's checkpoints
        std::shared_ptr<Logger> log;
    };
    // Logs at start whether checkpoints will be made, and why not when they will not.
    explicit AuditNode(Dependencies dependencies);
    ~AuditNode();
    AuditNode(const AuditNode&) = delete;
    AuditNode& operator=(const AuditNode&) = delete;

    void add_routes(api::Router& router);
    // The interval's thread (none when checkpoints are not made or the interval is 0).
    void start();
    // Stops that thread, then makes the shutdown checkpoint (after the audit outbox was drained
    // and the last events recorded, so call it last). Failures are logged, never thrown.
    void stop() noexcept;
    // The node's checkpoints (reading only when they are not made), for the evidence packages.
    audit::PostgresCheckpoints& checkpoints();
    // Why checkpoints are not made ("" when they are): an evidence package needs them.
    const std::string& checkpoints_unavailable() const;

  private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

}  // namespace signet::signetd
