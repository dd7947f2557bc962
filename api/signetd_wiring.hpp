#pragma once

// signetd's wiring helpers (signetd_main.cpp builds the node with them): the configuration
// mapped onto the server's options and client directory, the health checks and metrics of the
// HSM, database and clock, the TSA's signing identity as the key ceremony left it, and the API
// clients mirrored into the database with an audit event per change. Part of the signetd
// executable, not of signet_api.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/auth.hpp"
#include "api/health.hpp"
#include "api/router.hpp"
#include "api/server.hpp"
#include "audit/log.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "hsm/token.hpp"
#include "policy/config.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"

namespace signet::signetd {

// logging.access_log: "stdout", "stderr" or a file.
LogDestination destination(const std::string& where);
std::string host_name();

std::shared_ptr<const api::ClientDirectory> client_directory(const policy::Config& config);
// The listeners, limits and TLS of signet.yaml; a TLS key in the HSM goes through the bridge.
api::ServerOptions server_options(const policy::Config& config, hsm::Token& token);

// /healthz's checks of the HSM, the database and the clock.
std::vector<api::HealthCheck> health_checks(hsm::Token& token, store::Database& db,
                                            const Clock& clock);
// /metrics' gauges of the clock, the HSM's session replacements and the database pool.
void register_metrics(MetricsRegistry& metrics, hsm::Token& token, store::Database& db,
                      const Clock& clock);

// signet.yaml is the source of truth for the API clients; the api_clients table mirrors it so
// that every change of who may call the API is an audit event (DESIGN.md invariant 3).
void sync_api_clients(const policy::Config& config, store::Database& db, audit::AuditLog& audit);

// POST /v1/verify (api/verify_routes.hpp): bounded by signing.max_document_bytes, chains
// trusted when they lead to one of this appliance's root CAs (read from `certificates` per
// request). `certificates` and `clock` outlive the router.
void add_verify_route(api::Router& router, const policy::Config& config,
                      store::CertificateReader& certificates, const Clock& clock);
// The pages people see (web/web_routes.hpp): GET /verify and its assets, POST /verify/report,
// bounded by the web section; chains trusted as for POST /v1/verify.
void add_web_routes(api::Router& router, const policy::Config& config,
                    store::CertificateReader& certificates, const Clock& clock);
// The operator console (web/console_routes.hpp): GET /console and its session routes, the
// sessions bounded by web.console; the server takes the returned sessions as credentials
// (ServerContext::sessions). Each login and logout is an audit event (console.login,
// console.logout) naming the API client. `clock` and `audit` outlive them.
std::shared_ptr<api::SessionCredentials> add_console_routes(api::Router& router,
                                                            const policy::Config& config,
                                                            const Clock& clock,
                                                            audit::AuditLog& audit);

}  // namespace signet::signetd
