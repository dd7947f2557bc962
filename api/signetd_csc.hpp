#pragma once
// signetd's CSC API (issue 17, docs/csc.md): the remote-signing service (csc/) over the node's
// HSM, database, RA one-time passwords, TSA and audit log, and its routes under /csc/v2. Part of
// the signetd executable, like signetd_wiring: it wires, it decides nothing.

#include <memory>

#include "api/auth.hpp"
#include "api/router.hpp"
#include "audit/log.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "csc/remote_signing.hpp"
#include "hsm/token.hpp"
#include "policy/config.hpp"
#include "ra/otp.hpp"
#include "ra/totp.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "tsa/responder.hpp"

namespace signet::signetd {

struct CscDependencies {
    const policy::Config& config;
    hsm::Token& token;  // owned by a shared_ptr (csc/postgres_remote_signing.hpp)
    store::Database& database;
    store::CertificateReader& certificates;
    ra::OtpChallenges& challenges;
    ra::Totp& totp;
    ra::OtpTransport sms;                  // empty without an SMS gateway: TOTP only
    std::shared_ptr<tsa::Responder> tsa;  // null when the TSA cannot sign
    audit::AuditLog& audit;
    const Clock& clock;
    const api::ClientDirectory& clients;  // the platforms (API clients with scope csc)
    std::shared_ptr<Logger> log;
};

// The service and its routes when signet.yaml has a `csc` section, the node serves HTTPS and
// the TSA can sign (signatures/timestamp and signDoc's B-T need it); otherwise nothing is
// routed (/csc/v2 answers 404) and a log line says why. The service outlives the router's use
// of it: keep the result until the server has stopped.
std::unique_ptr<csc::RemoteSigning> add_csc_api(api::Router& router, CscDependencies deps);

}  // namespace signet::signetd
