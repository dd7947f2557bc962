// signetd: the Signet server. It loads signet.yaml, opens the HSM, starts (or connects to) the
// database and applies the migrations, then serves until SIGTERM/SIGINT. This file wires the
// pieces together (with the helpers of signetd_wiring.hpp) and holds no business rule.
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "api/ca_routes.hpp"
#include "api/ocsp_routes.hpp"
#include "api/openapi_route.hpp"
#include "api/server.hpp"
#include "api/signetd_audit.hpp"
#include "api/signetd_ocsp.hpp"
#include "api/signetd_contracts.hpp"
#include "api/signetd_evidence.hpp"
#include "api/signetd_csc.hpp"
#include "api/signetd_ra.hpp"
#include "api/signetd_wiring.hpp"
#include "api/tsa_routes.hpp"
#include "audit/log.hpp"
#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/exit_status.hpp"
#include "common/log.hpp"
#include "common/secret.hpp"
#include "hsm/token.hpp"
#include "policy/config.hpp"
#include "signet/version.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"
#include "store/subjects.hpp"
#include "store/tsa_tokens.hpp"
#include "tsa/identity.hpp"
#include "tsa/journal.hpp"
#include "tsa/responder.hpp"
#include "tsa/serials.hpp"

namespace {

using namespace signet;
using namespace signet::signetd;

const char* const kUsage = R"(usage: signetd [--config FILE] [--help] [--version]

The Signet server. FILE is signet.yaml (default ./signet.yaml); see ops/signet.example.yaml.
It serves until SIGTERM or SIGINT, then finishes the requests in flight (limits.shutdown_grace_ms),
closes its pools and stops the embedded PostgreSQL; that clean stop exits 0. A request whose
handler is still running after the grace (stuck on a hung database or HSM) is abandoned and
logged, and signetd exits 1 at once, without the orderly stop that could wait on it.
)";

int serve(const std::string& config_path) {
    // Before any thread: the PIN and OpenSSL's private keys live in the locked secure heap.
    const SecureHeap secure_heap = init_secure_heap();
    const policy::Config config = policy::load_config(config_path);
    auto log = std::make_shared<Logger>(LogDestination::standard_error(),
                                        LoggerOptions{.minimum = config.logging.level});
    auto access_log = std::make_shared<Logger>(destination(config.logging.access_log));
    log->info("signetd starting", {{"version", kVersion}, {"config", config.file.string()}});
    if (secure_heap != SecureHeap::locked)
        log->warn("secure heap", {{"state", describe(secure_heap)}});

    hsm::TokenConfig token_config{config.hsm.module,       config.hsm.token,
                                  config.hsm.pin,          config.hsm.pool_size,
                                  config.hsm.session_wait, config.hsm.retry_interval};
    auto token = hsm::Token::open(token_config);
    log->info("hsm ready", {{"module", config.hsm.module.string()}, {"token", config.hsm.token}});

    // Declared before the pool so that it stops after the pool has closed its connections.
    std::optional<store::EmbeddedPostgres> embedded;
    std::string dsn;
    if (config.database.dsn) {
        dsn = *config.database.dsn;
    } else {
        embedded.emplace(store::EmbeddedPostgresOptions{
            .state_dir = config.state_dir, .log = [log](std::string_view message) {
                log->info("postgres", {{"detail", message}});
            }});
        dsn = embedded->dsn();
    }
    store::Database db(store::DatabaseOptions{
        .dsn = dsn,
        .pool_size = config.database.pool_size,
        .connect_timeout =
            // libpq counts whole seconds: rounded up, never to 0 (no bound at all).
            std::chrono::ceil<std::chrono::seconds>(config.database.connect_timeout),
        .acquire_timeout = config.database.wait,
        .statement_timeout = config.database.statement_timeout});
    const auto migrated = store::migrate(db);
    log->info("database ready", {{"schema_version", migrated.to_version},
                                 {"embedded", config.database.dsn ? false : true}});

    SystemClock clock;
    audit::PostgresAuditLog audit(db, clock);
    const std::string node = "node:" + host_name() + ":" + std::to_string(getpid());
    audit.record({"node.started",
                  "system",
                  node,
                  {{"version", kVersion}, {"schema_version", migrated.to_version}}});
    sync_api_clients(config, db, audit);

    api::Router router;
    // Liveness: answers while the process serves, whatever its dependencies say (/healthz tells
    // those). Also the trivial route of `ops/bench http`.
    api::Route livez;
    livez.method = api::http::verb::get;
    livez.path = "/livez";
    livez.listeners = api::ListenerSet::both();
    livez.runs_on_io_thread = true;  // waits for nothing
    livez.handler = [](const api::Request&) {
        return api::Response::json("{\"status\":\"ok\"}\n");
    };
    router.add(std::move(livez));

    // Deferred audit events (issuances) enter the log in batches: one append lock and one commit
    // for many events.
    std::jthread audit_drainer([&audit, log](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
            std::size_t moved = 0;
            try {
                moved = audit.drain(1000);
            } catch (const std::exception& e) {
                log->warn("audit outbox drain failed", {{"error", e.what()}});
            }
            if (moved < 1000) {
                std::unique_lock lock(mutex);
                wake.wait_for(lock, stop, std::chrono::milliseconds(100), [] { return false; });
            }
        }
    });

    // The CA: the keys the ceremony made, the profiles of signet.yaml.
    store::PostgresCertificates certificates(db);
    store::PostgresSubjects subjects(db);
    ca::Authority authority({token, db, certificates, subjects, audit, clock, config.ca});
    api::add_ca_routes(router, authority, certificates, clock);
    api::add_openapi_route(router);

    // The registration authority: subjects, identity evidence, one-time passwords.
    RaNode ra_node({config, token, db, audit, clock, authority, log});
    ra_node.add_routes(router);

    // CRLs are made again on schedule (and after each revocation, by the Authority). The check
    // is cheap; publishing happens only when ca.crl.refresh_hours says so.
    std::jthread crl_refresher([&authority, log](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
            try {
                for (const auto& crl : authority.refresh_crls())
                    log->info("crl published", {{"ca", crl.issuer_ca}, {"number", crl.number}});
            } catch (const std::exception& e) {
                log->warn("crl refresh failed", {{"error", e.what()}});
            }
            std::unique_lock lock(mutex);
            wake.wait_for(lock, stop, std::chrono::minutes(1), [] { return false; });
        }
    });

    // The TSA (RFC 3161): tokens recorded in groups before they are signed. Without a TSA
    // certificate (no ceremony yet), or with one that does not fit its key, the node still
    // serves the rest and /tsa answers systemFailure with the reason; /healthz says it.
    auto metrics = std::make_shared<MetricsRegistry>();
    store::PostgresTsaTokens tsa_tokens(db);
    auto tsa_journal = std::make_shared<tsa::GroupCommitJournal>(db, tsa_tokens);
    tsa_journal->register_metrics(*metrics);
    authority.register_metrics(*metrics);
    std::shared_ptr<tsa::Responder> tsa_responder;
    std::string tsa_unavailable = "the TSA has no certificate yet (run the key ceremony)";
    try {
        if (auto identity = tsa::load_signing_identity(certificates, *token, config.tsa.key_label)) {
            auto clock_ref = std::shared_ptr<const Clock>(&clock, [](const Clock*) {});
            tsa_responder = std::make_shared<tsa::Responder>(tsa::ResponderOptions{
                config.tsa, std::move(*identity), clock_ref,
                std::make_shared<tsa::RandomSerials>(
                    [token](std::size_t n) { return token->random(n); }),
                tsa_journal, host_name() + ":" + std::to_string(getpid()), log, metrics});
            log->info("tsa ready", {{"policy", config.tsa.policy_oid},
                                    {"clock", tsa_responder->clock_verdict().detail}});
        } else {
            log->warn("tsa without a certificate: /tsa answers systemFailure",
                      {{"hint", "run the key ceremony with a tsa section, then restart"}});
        }
    } catch (const Error& e) {
        tsa_unavailable = std::string("the TSA cannot sign: ") + e.what();
        log->error("tsa unavailable", {{"error", e.what()}});
    }
    api::add_tsa_routes(router, tsa_responder, tsa_unavailable);

    // OCSP (RFC 6960, RFC 5019): every certificate's response pre-signed and kept in memory,
    // re-signed on revocation at any node (LISTEN), the responder certificates renewed ahead.
    OcspNode ocsp_node({config, token, db, dsn, certificates, audit, clock, log, *metrics});
    ocsp_node.start();
    api::add_ocsp_routes(router, ocsp_node.responder(), config.ocsp.max_request_bytes, clock);

    // Contracts (issue 13): documents encrypted in the vault, every transition time-stamped by
    // the TSA above; contracts past their deadline expired once a minute; each party's
    // signature authorized by its one-time password, its validation data from the OCSP node.
    ContractsNode contracts_node({config, token, db, audit, clock, ra_node.registry(),
                                  ra_node.challenges(), ra_node.totp(), ra_node.sms_transport(),
                                  certificates, ocsp_node.responder(), tsa_responder,
                                  tsa_unavailable, log});
    contracts_node.add_routes(router);
    contracts_node.start();
    add_verify_route(router, config, certificates, clock);
    add_web_routes(router, config, certificates, clock);
    auto console_sessions = add_console_routes(router, config, clock, audit);

    // The tamper-evident log (issue 14): GET /v1/audit/..., and signed, time-stamped checkpoints
    // on the interval and at shutdown when the ceremony made the checkpoint key.
    AuditNode audit_node({config, token, db, audit, clock, certificates, tsa_responder, node, log});
    audit_node.add_routes(router);
    audit_node.start();

    // Evidence packages (issue 14): GET /v1/contracts/{id}/evidence, sealed by the ceremony's
    // evidence-seal, proofs against the checkpoints above; 503 naming what is missing.
    EvidenceNode evidence_node({token, db, audit, clock, certificates, subjects,
                                contracts_node.service(), contracts_node.validation(),
                                audit_node.checkpoints(), audit_node.checkpoints_unavailable(),
                                tsa_responder, log, config.evidence.max_concurrent_builds});
    evidence_node.add_routes(router);

    // The CSC API (issue 17): other platforms sign with their users' wrapped keys under
    // /csc/v2, each signature authorized by the subject's one-time password (SCAL2).
    const auto clients = client_directory(config);
    const auto remote_signing = add_csc_api(
        router, {config, *token, db, certificates, ra_node.challenges(), ra_node.totp(),
                 ra_node.sms_transport(), tsa_responder, audit, clock, *clients, log});

    register_metrics(*metrics, *token, db, clock);
    auto checks = health_checks(*token, db, clock);
    checks.push_back(api::tsa_health_check(tsa_responder, clock, tsa_unavailable));
    checks.push_back(ocsp_node.health_check());
    checks.push_back(ra_node.health_check());
    checks.push_back(contracts_node.health_check());
    api::ServerContext context{clients, metrics, log, access_log,
                               std::move(checks)};
    context.sessions = std::move(console_sessions);
    api::Server server(server_options(config, *token), std::move(router), std::move(context));
    server.stop_on_signals();
    log->info("signetd serving", {{"http_port", static_cast<unsigned>(server.http_port())},
                                  {"https_port", static_cast<unsigned>(server.https_port())}});
    server.run();

    if (const std::size_t abandoned = server.abandoned_requests(); abandoned > 0) {
        // A handler stuck past the shutdown grace (on a hung database or HSM) still uses the
        // pools, the token and the database that an orderly stop would close under it, and that
        // stop could wait as long as the handler does. Exit now: every record a client was
        // answered for is already committed (DESIGN.md invariant 2), the audit outbox is
        // drained at the next start, and the embedded PostgreSQL recovers from an immediate
        // stop. The threads below and the pools are simply not joined.
        log->error("exiting without an orderly stop: requests were abandoned",
                   {{"abandoned_requests", abandoned}});
        if (embedded)
            embedded->stop_without_waiting();
        log->flush();
        if (access_log)
            access_log->flush();
        std::_Exit(to_exit_code(ExitStatus::failure));
    }

    ocsp_node.stop();
    contracts_node.stop();
    crl_refresher.request_stop();
    crl_refresher.join();
    audit_drainer.request_stop();
    audit_drainer.join();
    try {
        while (audit.drain(1000) > 0) {
        }
    } catch (const Error& e) {
        log->warn("audit outbox left undrained (the next start drains it)", {{"error", e.what()}});
    }
    log->info("signetd stopping");
    try {
        audit.record({"node.stopped", "system", node, {}});
    } catch (const Error& e) {
        log->warn("could not record the stop in the audit log", {{"error", e.what()}});
    }
    // Last: the shutdown checkpoint covers every event of this run, the stop included.
    audit_node.stop();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path = "signet.yaml";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--version") {
            std::cout << "signetd " << signet::kVersion << "\n";
            return 0;
        }
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage << "\n" << signet::exit_status_help();
            return 0;
        }
        if (arg == "--config" && i + 1 < argc) {
            config_path = argv[++i];
        } else if (arg.starts_with("--config=")) {
            config_path = arg.substr(9);
        } else {
            std::cerr << "signetd: unknown option '" << arg << "' (try --help)\n";
            return signet::to_exit_code(signet::ExitStatus::usage);
        }
    }
    try {
        return serve(config_path);
    } catch (const signet::Error& e) {
        std::cerr << "signetd: " << e.what() << "\n";
        return signet::to_exit_code(signet::exit_status(e.code()));
    } catch (const std::exception& e) {
        std::cerr << "signetd: internal error: " << e.what() << "\n";
        return signet::to_exit_code(signet::ExitStatus::failure);
    }
}
