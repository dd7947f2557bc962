// signetd's wiring helpers (api/signetd_wiring.hpp): what signetd_main.cpp's serve() builds the
// node with, from signet.yaml, the token, the database and the clock.
#include "api/signetd_wiring.hpp"

#include <openssl/pem.h>
#include <unistd.h>

#include <algorithm>

#include "api/verify_routes.hpp"
#include "web/console_routes.hpp"
#include "web/web_routes.hpp"
#include "common/error.hpp"
#include "hsm/bridge.hpp"
#include "store/api_clients.hpp"

namespace signet::signetd {

namespace {

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
// them as arrays (signet::Sha256Digest and store::Sha256 are the same type).
std::optional<std::array<std::uint8_t, 32>> sha256_array(const std::optional<Bytes>& bytes) {
    if (!bytes)
        return std::nullopt;
    std::array<std::uint8_t, 32> digest{};
    std::copy(bytes->begin(), bytes->end(), digest.begin());
    return digest;
}

}  // namespace

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
        // The TLS key may live in the HSM: the bridge signs the handshakes there, on the I/O
        // threads, through sessions of its own (hsm.handshake_pool_size), so that a handshake
        // never waits behind TSA or CA signing and gives up after handshake_session_wait_ms.
        options.tls.private_key =
            tls.key_in_hsm()
                ? hsm::bridge_key(token.find_key_on_own_pool(tls.hsm_key_label(),
                                                             config.hsm.handshake_pool_size,
                                                             config.hsm.handshake_session_wait))
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
             // A round trip through a pooled session (logged in). While the HSM is lost the pool
             // answers at once, but for one call per retry_interval that tries it again: this
             // check is that call on a node nobody sends signing work to (a load balancer
             // takes a node whose /healthz says down out of service), so it recovers by itself.
             try {
                 token.random(1);
             } catch (const Error& e) {
                 if (const auto state = token.state(); !state.up)
                     return api::HealthResult{api::HealthStatus::down, state.detail};
                 return api::HealthResult{api::HealthStatus::down, e.what()};
             }
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

namespace {

// The appliance's own root CAs, read per verification (a key ceremony after start counts).
std::function<std::vector<X509Ptr>()> own_roots(store::CertificateReader& certificates) {
    return [&certificates] {
        std::vector<X509Ptr> roots;
        for (const store::CaRecord& ca : certificates.list_cas()) {
            if (ca.role != "root")
                continue;
            const unsigned char* cursor = ca.certificate.data();
            X509Ptr root(d2i_X509(nullptr, &cursor, static_cast<long>(ca.certificate.size())));
            if (!root)
                throw_openssl_error("cannot decode the root CA certificate '" + ca.name + "'");
            roots.push_back(std::move(root));
        }
        return roots;
    };
}

}  // namespace

void add_verify_route(api::Router& router, const policy::Config& config,
                      store::CertificateReader& certificates, const Clock& clock) {
    api::VerifyServices services{config.signing.max_document_bytes, own_roots(certificates),
                                 clock};
    api::add_verify_routes(router, std::move(services));
}

void add_web_routes(api::Router& router, const policy::Config& config,
                    store::CertificateReader& certificates, const Clock& clock) {
    web::WebServices services{
        api::VerifyServices{config.web.verify.max_document_bytes, own_roots(certificates), clock},
        config.web.verify.requests_per_minute};
    web::add_web_routes(router, std::move(services));
}

std::shared_ptr<api::SessionCredentials> add_console_routes(api::Router& router,
                                                            const policy::Config& config,
                                                            const Clock& clock,
                                                            audit::AuditLog& audit) {
    const policy::WebConsoleSettings& settings = config.web.console;
    auto sessions = std::make_shared<web::ConsoleSessions>(
        web::ConsoleSessionSettings{std::chrono::minutes(settings.idle_minutes),
                                    std::chrono::hours(settings.absolute_hours),
                                    settings.max_sessions},
        clock);
    web::add_console_routes(
        router, sessions,
        [&audit](std::string_view event, const api::ApiClient& client, std::string_view peer) {
            audit.record({std::string(event),
                          "client:" + client.name,
                          "console_session",
                          {{"remote", std::string(peer)}}});
        });
    return sessions;
}

}  // namespace signet::signetd
