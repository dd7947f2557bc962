// signetd: the Signet server. It loads signet.yaml, opens the HSM, starts (or connects to) the
// database and applies the migrations, then serves until SIGTERM/SIGINT. This file wires the
// pieces together and holds no business rule.
#include <openssl/pem.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "api/ca_routes.hpp"
#include "api/server.hpp"
#include "api/tsa_routes.hpp"
#include "audit/log.hpp"
#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/exit_status.hpp"
#include "common/log.hpp"
#include "common/secret.hpp"
#include "hsm/bridge.hpp"
#include "hsm/token.hpp"
#include "policy/config.hpp"
#include "signet/version.hpp"
#include "store/api_clients.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"
#include "store/subjects.hpp"
#include "store/tsa_tokens.hpp"
#include "tsa/journal.hpp"
#include "tsa/responder.hpp"
#include "tsa/serials.hpp"

namespace {

using namespace signet;

const char* const kUsage = R"(usage: signetd [--config FILE] [--help] [--version]

The Signet server. FILE is signet.yaml (default ./signet.yaml); see ops/signet.example.yaml.
It serves until SIGTERM or SIGINT, then finishes the requests in flight (limits.shutdown_grace_ms),
closes its pools and stops the embedded PostgreSQL; that clean stop exits 0.
)";

LogDestination destination(const std::string& where) {
    if (where == "stdout")
        return LogDestination::standard_output();
    if (where == "stderr")
        return LogDestination::standard_error();
    return LogDestination::file(where);
}

std::string host_name() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name;
}

EvpPkeyPtr read_private_key_file(const std::string& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio)
        throw_openssl_error("cannot open TLS key " + path);
    EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key)
        throw_openssl_error("cannot read TLS key " + path);
    return key;
}

// The configuration holds fingerprints as validated 32-byte Bytes; the API and the store take
// them as arrays (api::Sha256Digest and store::Sha256 are the same type).
std::optional<std::array<std::uint8_t, 32>> sha256_array(const std::optional<Bytes>& bytes) {
    if (!bytes)
        return std::nullopt;
    std::array<std::uint8_t, 32> digest{};
    std::copy(bytes->begin(), bytes->end(), digest.begin());
    return digest;
}

std::shared_ptr<const api::ClientDirectory> client_directory(const policy::Config& config) {
    std::vector<api::StaticClientDirectory::Entry> entries;
    for (const auto& client : config.api_clients) {
        entries.push_back({{client.name, client.scopes},
                           sha256_array(client.certificate_sha256),
                           sha256_array(client.token_sha256)});
    }
    return std::make_shared<api::StaticClientDirectory>(std::move(entries));
}

api::ServerOptions server_options(const policy::Config& config, hsm::Token& token) {
    api::ServerOptions options;
    options.http = {config.http.enabled, config.http.address, config.http.port};
    options.https = {config.https.enabled, config.https.address, config.https.port};
    options.limits.max_header_bytes = config.limits.max_header_bytes;
    options.limits.max_body_bytes = config.limits.max_body_bytes;
    options.limits.header_timeout = config.limits.header_timeout;
    options.limits.read_timeout = config.limits.read_timeout;
    options.limits.idle_timeout = config.limits.idle_timeout;
    options.limits.max_connections = config.limits.max_connections;
    options.limits.shutdown_grace = config.limits.shutdown_grace;
    options.threads = config.limits.threads;
    options.worker_threads = config.limits.worker_threads;
    if (config.https.enabled) {
        const auto& tls = config.https.tls;
        options.tls.certificate_chain = tls.certificate;
        // The TLS key may live in the HSM: the bridge signs the handshakes there.
        options.tls.private_key = tls.key_in_hsm()
                                      ? hsm::bridge_key(token.find_key(tls.hsm_key_label()))
                                      : read_private_key_file(tls.key);
        options.tls.client_ca = tls.client_ca;
        options.tls.require_client_certificate = tls.require_client_certificate;
        // Operators' routes on HTTPS, /metrics for clients with the metrics scope.
        options.healthz_listeners = api::ListenerSet::both();
        options.metrics_listeners = api::ListenerSet::https_only();
        options.metrics_scope = "metrics";
    } else {
        // A development node without HTTPS still shows its health and metrics, on plain HTTP.
        options.healthz_listeners = api::ListenerSet::http_only();
        options.metrics_listeners = api::ListenerSet::http_only();
    }
    return options;
}

std::vector<api::HealthCheck> health_checks(hsm::Token& token, store::Database& db,
                                            const Clock& clock) {
    std::vector<api::HealthCheck> checks;
    checks.push_back(
        {"hsm", [&token] {
             // Lost (and not back yet): say why, without a call that would fail anyway.
             if (const auto state = token.state(); !state.up)
                 return api::HealthResult{api::HealthStatus::down, state.detail};
             // A round trip through a pooled session (logged in).
             token.random(1);
             return api::HealthResult{api::HealthStatus::ok, "token " + token.info().label};
         }});
    checks.push_back({"database", [&db] {
                          const auto health = db.health(std::chrono::milliseconds(1000));
                          return api::HealthResult{
                              health.ok ? api::HealthStatus::ok : api::HealthStatus::down,
                              health.detail};
                      }});
    checks.push_back({"clock", [&clock] {
                          const auto health = clock.health();
                          if (health.synchronized) {
                              return api::HealthResult{
                                  api::HealthStatus::ok,
                                  "synchronized, estimated error " +
                                      std::to_string(health.estimated_error.count()) +
                                      " us, maximum error " +
                                      std::to_string(health.maximum_error.count()) + " us"};
                          }
                          return api::HealthResult{api::HealthStatus::degraded, health.detail};
                      }});
    return checks;
}

void register_metrics(MetricsRegistry& metrics, hsm::Token& token, store::Database& db,
                      const Clock& clock) {
    metrics.gauge_callback("signet_clock_synchronized",
                           "1 when the kernel says the clock is synchronised (adjtimex), else 0",
                           [&clock] { return clock.health().synchronized ? 1.0 : 0.0; });
    metrics.gauge_callback(
        "signet_clock_estimated_error_seconds",
        "The kernel's estimate of the clock's error (adjtimex esterror)",
        [&clock] { return static_cast<double>(clock.health().estimated_error.count()) / 1e6; });
    metrics.gauge_callback(
        "signet_clock_maximum_error_seconds",
        "The kernel's bound on the clock's error (adjtimex maxerror), which the TSA's accuracy "
        "must cover",
        [&clock] { return static_cast<double>(clock.health().maximum_error.count()) / 1e6; });
    metrics.gauge_callback("signet_hsm_sessions_replaced_total",
                           "HSM sessions found lost and replaced by the pool",
                           [&token] { return static_cast<double>(token.sessions_replaced()); });
    metrics.gauge_callback("signet_db_pool_open", "Database connections open",
                           [&db] { return static_cast<double>(db.stats().open); });
    metrics.gauge_callback("signet_db_pool_in_use", "Database connections in use",
                           [&db] { return static_cast<double>(db.stats().in_use); });
    metrics.gauge_callback("signet_db_pool_waiting", "Callers waiting for a database connection",
                           [&db] { return static_cast<double>(db.stats().waiting); });
    metrics.gauge_callback("signet_db_reconnects_total",
                           "Database connections replaced after a loss",
                           [&db] { return static_cast<double>(db.stats().reconnects); });
    metrics.gauge_callback("signet_db_errors_total", "Database queries that failed",
                           [&db] { return static_cast<double>(db.stats().errors); });
}

X509Ptr certificate_from_der(const Bytes& der, const std::string& what) {
    const unsigned char* p = der.data();
    X509Ptr certificate(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!certificate)
        throw_openssl_error("cannot decode " + what);
    return certificate;
}

// The TSA's signing identity as the key ceremony left it: the certificate recorded under the
// role 'tsa' (service_certificates), its key in the HSM under the label the certificate's record
// names (else tsa.key_label), and the issuing CAs above it (the self-signed root is not sent).
// nullopt when there is no TSA certificate yet.
std::optional<tsa::SigningIdentity> tsa_identity(const policy::Config& config, hsm::Token& token,
                                                 store::CertificateReader& certificates) {
    const auto record = certificates.find_service("tsa");
    if (!record || !record->der)
        return std::nullopt;
    // A revoked TSA certificate signs nothing more (its tokens could not be relied on).
    if (record->status != "issued") {
        throw Error(Errc::failed_precondition,
                    "the TSA certificate " + to_hex(record->serial) + " is " + record->status);
    }
    tsa::SigningIdentity identity;
    identity.certificate = certificate_from_der(*record->der, "the TSA certificate");
    identity.key =
        hsm::bridge_key(token.find_key(record->key_label.value_or(config.tsa.key_label)));
    for (auto ca = certificates.find_ca(record->issuer_ca); ca && ca->role != "root";
         ca = ca->parent ? certificates.find_ca(*ca->parent) : std::nullopt) {
        identity.chain.push_back(certificate_from_der(ca->certificate, "CA " + ca->name));
    }
    return identity;
}

// signet.yaml is the source of truth for the API clients; the api_clients table mirrors it so
// that every change of who may call the API is an audit event (DESIGN.md invariant 3).
void sync_api_clients(const policy::Config& config, store::Database& db, audit::AuditLog& audit) {
    store::PostgresApiClients repository(db);
    for (const auto& wanted : config.api_clients) {
        store::ApiClient client{wanted.name,
                                wanted.scopes,
                                sha256_array(wanted.certificate_sha256),
                                sha256_array(wanted.token_sha256),
                                {}};
        const auto existing = repository.find_by_name(wanted.name);
        if (existing && existing->scopes == client.scopes &&
            existing->certificate_sha256 == client.certificate_sha256 &&
            existing->token_sha256 == client.token_sha256) {
            continue;
        }
        // The details name the scopes and whether a credential changed, never a credential.
        const nlohmann::json details{{"scopes", client.scopes},
                                     {"certificate", client.certificate_sha256.has_value()},
                                     {"bearer", client.token_sha256.has_value()}};
        db.transaction([&](store::Connection& tx) {
            if (existing)
                repository.remove(tx, wanted.name);
            repository.add(tx, client);
            audit.record(tx,
                         {existing ? "api_client.updated" : "api_client.created",
                          "config:" + config.file.string(), "api_client:" + wanted.name, details});
        });
    }
    for (const auto& present : repository.list()) {
        const bool configured = std::ranges::any_of(
            config.api_clients, [&](const policy::ApiClient& c) { return c.name == present.name; });
        if (configured)
            continue;
        db.transaction([&](store::Connection& tx) {
            repository.remove(tx, present.name);
            audit.record(tx, {"api_client.removed",
                              "config:" + config.file.string(),
                              "api_client:" + present.name,
                              {}});
        });
    }
}

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
            std::chrono::duration_cast<std::chrono::seconds>(config.database.connect_timeout),
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
        if (auto identity = tsa_identity(config, *token, certificates)) {
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

    register_metrics(*metrics, *token, db, clock);
    auto checks = health_checks(*token, db, clock);
    checks.push_back(api::tsa_health_check(tsa_responder, clock, tsa_unavailable));
    api::ServerContext context{client_directory(config), metrics, log, access_log,
                               std::move(checks)};
    api::Server server(server_options(config, *token), std::move(router), std::move(context));
    server.stop_on_signals();
    log->info("signetd serving", {{"http_port", static_cast<unsigned>(server.http_port())},
                                  {"https_port", static_cast<unsigned>(server.https_port())}});
    server.run();

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
