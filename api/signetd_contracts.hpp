#pragma once
// signetd's contracts (issue 13): the document vault, the contract service with our TSA
// time-stamping every event and its outbox notifier, its routes and GET /v1/signing/{token},
// the periodic expiry of contracts past their deadline, and the notification deliverer. Part of the signetd executable, like signetd_ra: it wires, it decides nothing.

#include <memory>
#include <string>

#include "api/health.hpp"
#include "api/router.hpp"
#include "audit/log.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "hsm/token.hpp"
#include "policy/config.hpp"
#include "ocsp/responder.hpp"
#include "ra/otp.hpp"
#include "ra/registry.hpp"
#include "ra/totp.hpp"
#include "sign/contracts.hpp"
#include "sign/validation_source.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "tsa/responder.hpp"

namespace signet::signetd {

// The certificate profiles whose required_assurance a person signer and a seal's organization
// must reach (ops/signet.example.yaml's names); a profile not configured asks for level 1.
inline constexpr const char* kPersonProfile = "personal";
inline constexpr const char* kSealProfile = "e-seal";

class ContractsNode {
  public:
    struct Dependencies {
        const policy::Config& config;
        std::shared_ptr<hsm::Token> token;
        store::Database& database;
        audit::AuditLog& audit;
        const Clock& clock;
        ra::Registry& registry;
        // Sole control (sign/contract_signing.hpp): the RA's codes, the CA's records, and our
        // OCSP responder for the validation data of each signature.
        ra::OtpChallenges& challenges;
        ra::Totp& totp;
        ra::OtpTransport sms;  // empty: no SMS gateway, only TOTP signs
        store::CertificateReader& certificates;
        std::shared_ptr<ocsp::Responder> ocsp;
        // nullptr when the TSA cannot sign: every contract transition is then refused (503)
        // with `tsa_unavailable`.
        std::shared_ptr<tsa::Responder> tsa;
        std::string tsa_unavailable;
        std::shared_ptr<Logger> log;
    };
    explicit ContractsNode(Dependencies dependencies);
    ~ContractsNode();
    ContractsNode(const ContractsNode&) = delete;
    ContractsNode& operator=(const ContractsNode&) = delete;

    void add_routes(api::Router& router);
    // Expires contracts past their deadline once a minute, and delivers the notifications
    // (sign/notification_deliverer.hpp), until stop().
    void start();
    void stop();
    // /healthz's "contracts" check: degraded while the HSM lacks the documents key or the TSA
    // cannot time-stamp (contracts cannot be created or change state meanwhile).
    api::HealthCheck health_check() const;
    // For the evidence packages (signetd_evidence): the contract service and the validation
    // data source (our OCSP responder, the certificates); they live as long as the node.
    sign::Contracts& service();
    sign::ValidationSource& validation();

  private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

}  // namespace signet::signetd
