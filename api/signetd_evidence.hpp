#pragma once
// signetd's evidence packages (issue 14): GET /v1/contracts/{id}/evidence over
// evidence::PackageBuilder, with the ceremony's `evidence-seal` (certificate and HSM key), our
// TSA and the node's checkpoints. Part of the signetd executable, like signetd_audit: it wires,
// it decides nothing.

#include <memory>
#include <string>

#include "api/router.hpp"
#include "audit/checkpoints.hpp"
#include "audit/log.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "hsm/token.hpp"
#include "sign/contracts.hpp"
#include "sign/validation_source.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "store/subjects.hpp"
#include "tsa/responder.hpp"

namespace signet::signetd {

class EvidenceNode {
  public:
    struct Dependencies {
        std::shared_ptr<hsm::Token> token;
        store::Database& database;
        audit::PostgresAuditLog& audit;
        const Clock& clock;
        store::CertificateReader& certificates;
        store::SubjectReader& subjects;
        sign::Contracts& contracts;
        sign::ValidationSource& validation;
        audit::PostgresCheckpoints& checkpoints;
        std::string checkpoints_unavailable;  // "" when `checkpoints` makes checkpoints
        std::shared_ptr<tsa::Responder> tsa;  // null: the TSA cannot sign
        std::shared_ptr<Logger> log;
        unsigned max_concurrent_builds = 2;  // signet.yaml evidence.max_concurrent_builds
    };
    // Loads the evidence seal; logs at start whether packages can be made, and what is missing
    // when not (the route then answers 503 naming it).
    explicit EvidenceNode(Dependencies dependencies);
    ~EvidenceNode();
    EvidenceNode(const EvidenceNode&) = delete;
    EvidenceNode& operator=(const EvidenceNode&) = delete;

    void add_routes(api::Router& router);

  private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

}  // namespace signet::signetd
