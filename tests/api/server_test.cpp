// The HTTP shell over real loopback sockets: plain HTTP and HTTPS (with a test PKI made here),
// limits, authentication, problem documents, /metrics, /healthz and graceful shutdown. Clients
// are Beast's and OpenSSL's own, driven synchronously; assertions are on behaviour, never on
// timings.
#include "api/server.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "api/problem.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"
#include "hsm/bridge.hpp"
#include "tests/support/process.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using namespace signet::api;
using namespace std::chrono_literals;
using signet::testing::TempDir;

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using HttpResponse = http::response<http::string_body>;

namespace {

// ---------------------------------------------------------------------------------------------
// A test PKI: a CA, a server certificate for 127.0.0.1, client certificates. Software keys.

EvpPkeyPtr make_ec_key() {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    BOOST_REQUIRE(key);
    return key;
}

enum class CertKind { ca, server, client };

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
    BOOST_REQUIRE(ext != nullptr);
    BOOST_REQUIRE_EQUAL(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

X509Ptr make_certificate(const std::string& common_name, EVP_PKEY* key, CertKind kind,
                         X509* issuer_cert, EVP_PKEY* issuer_key) {
    static long serial = 1;
    X509Ptr cert(X509_new());
    BOOST_REQUIRE(cert);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509* issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer));
    X509_set_pubkey(cert.get(), key);
    switch (kind) {
        case CertKind::ca:
            add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE");
            add_extension(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
            add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
            break;
        case CertKind::server:
            add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
            add_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
            add_extension(cert.get(), issuer, NID_ext_key_usage, "serverAuth");
            add_extension(cert.get(), issuer, NID_subject_alt_name, "IP:127.0.0.1");
            break;
        case CertKind::client:
            add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
            add_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
            add_extension(cert.get(), issuer, NID_ext_key_usage, "clientAuth");
            break;
    }
    BOOST_REQUIRE(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) >
                  0);
    return cert;
}

std::string to_pem(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE_EQUAL(PEM_write_bio_X509(bio.get(), cert), 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string to_pem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE_EQUAL(
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

struct ClientIdentity {
    std::filesystem::path certificate;
    std::filesystem::path key;
    Sha256Digest fingerprint{};
};

class TestPki {
  public:
    static const TestPki& instance() {
        static TestPki pki;
        return pki;
    }

    std::filesystem::path ca_certificate;
    std::filesystem::path server_chain;  // server certificate, then the CA
    EvpPkeyPtr server_key;
    ClientIdentity signer;    // scope contracts:sign and contracts:read
    ClientIdentity reader;    // scope contracts:read only
    ClientIdentity stranger;  // issued by the CA, but no API client
    ClientIdentity foreign;   // issued by another CA

    // A server certificate for 127.0.0.1 for `key` (e.g. an HSM key), written as a chain file.
    std::filesystem::path issue_server_chain(EVP_PKEY* key, const std::string& name) const {
        X509Ptr cert =
            make_certificate("127.0.0.1", key, CertKind::server, ca_cert_.get(), ca_key_.get());
        const auto path = dir_ / (name + "-chain.pem");
        signet::testing::write_file(path, to_pem(cert.get()) + to_pem(ca_cert_.get()));
        return path;
    }

    EvpPkeyPtr server_key_copy() const {
        EVP_PKEY_up_ref(server_key.get());
        return EvpPkeyPtr(server_key.get());
    }

  private:
    TestPki() : dir_("signet-api-pki") {
        ca_key_ = make_ec_key();
        ca_cert_ =
            make_certificate("Signet Test CA", ca_key_.get(), CertKind::ca, nullptr, nullptr);
        ca_certificate = dir_ / "ca.pem";
        signet::testing::write_file(ca_certificate, to_pem(ca_cert_.get()));

        server_key = make_ec_key();
        X509Ptr server = make_certificate("127.0.0.1", server_key.get(), CertKind::server,
                                          ca_cert_.get(), ca_key_.get());
        server_chain = dir_ / "server-chain.pem";
        signet::testing::write_file(server_chain, to_pem(server.get()) + to_pem(ca_cert_.get()));

        signer = make_client("signer", ca_cert_.get(), ca_key_.get());
        reader = make_client("reader", ca_cert_.get(), ca_key_.get());
        stranger = make_client("stranger", ca_cert_.get(), ca_key_.get());
        EvpPkeyPtr other_ca_key = make_ec_key();
        X509Ptr other_ca =
            make_certificate("Other CA", other_ca_key.get(), CertKind::ca, nullptr, nullptr);
        foreign = make_client("foreign", other_ca.get(), other_ca_key.get());
    }

    ClientIdentity make_client(const std::string& name, X509* issuer, EVP_PKEY* issuer_key) {
        EvpPkeyPtr key = make_ec_key();
        X509Ptr cert = make_certificate(name, key.get(), CertKind::client, issuer, issuer_key);
        ClientIdentity identity;
        identity.certificate = dir_ / (name + ".pem");
        identity.key = dir_ / (name + ".key");
        signet::testing::write_file(identity.certificate, to_pem(cert.get()));
        signet::testing::write_file(identity.key, to_pem(key.get()));
        identity.fingerprint = certificate_sha256(cert.get());
        return identity;
    }

    TempDir dir_;
    EvpPkeyPtr ca_key_;
    X509Ptr ca_cert_;
};

constexpr std::string_view kSignerToken = "s3cr3t-token-of-the-signer";

std::shared_ptr<const ClientDirectory> test_clients() {
    const TestPki& pki = TestPki::instance();
    std::vector<StaticClientDirectory::Entry> entries;
    entries.push_back({{"signer", {"contracts:sign", "contracts:read"}},
                       pki.signer.fingerprint,
                       sha256_of(kSignerToken)});
    entries.push_back({{"reader", {"contracts:read"}}, pki.reader.fingerprint, std::nullopt});
    return std::make_shared<StaticClientDirectory>(std::move(entries));
}

// ---------------------------------------------------------------------------------------------
// The server under test.

struct Probe {
    std::promise<void> sleeper_started;
    std::atomic<bool> sleeper_signalled{false};
    std::atomic<bool> database_up{true};
};

Route route(http::verb method, std::string path, ListenerSet listeners, Handler handler) {
    Route r;
    r.method = method;
    r.path = std::move(path);
    r.listeners = listeners;
    r.handler = std::move(handler);
    return r;
}

Router test_router(std::shared_ptr<Probe> probe) {
    Router router;
    router.add(route(http::verb::get, "/fast", ListenerSet::both(),
                     [](const Request&) { return Response::text("fast"); }));
    router.add(route(http::verb::get, "/slow", ListenerSet::both(), [](const Request&) {
        std::this_thread::sleep_for(50ms);
        return Response::text("slow");
    }));
    router.add(route(http::verb::get, "/echo", ListenerSet::both(), [](const Request& request) {
        return Response::text("path=" + std::string(request.path) +
                              ";query=" + std::string(request.query) +
                              ";listener=" + std::string(to_string(request.listener)));
    }));
    Route upload = route(
        http::verb::post, "/upload", ListenerSet::both(),
        [](const Request& request) { return Response::text(std::to_string(request.body.size())); });
    upload.max_body_bytes = 1024;
    router.add(std::move(upload));
    Route crl = route(http::verb::get, "/crl/", ListenerSet::both(), [](const Request& request) {
        return Response::bytes(std::string(request.path.substr(request.route.size())),
                               "application/pkix-crl");
    });
    crl.match = PathMatch::prefix;
    router.add(std::move(crl));
    Route sign = route(
        http::verb::post, "/v1/contracts", ListenerSet::https_only(), [](const Request& request) {
            return Response::json("{\"signed_for\":\"" + request.client->name + "\"}");
        });
    sign.scope = "contracts:sign";
    router.add(std::move(sign));
    Route list = route(http::verb::get, "/v1/contracts", ListenerSet::https_only(),
                       [](const Request& request) {
                           return Response::json("{\"reader\":\"" + request.client->name + "\"}");
                       });
    list.scope = "contracts:read";
    router.add(std::move(list));
    Route fail = route(http::verb::get, "/fail/", ListenerSet::both(),
                       [](const Request& request) -> Response {
                           const std::string_view kind = request.path.substr(request.route.size());
                           if (kind == "invalid")
                               throw Error(Errc::invalid_argument, "the digest is not SHA-256");
                           if (kind == "missing")
                               throw Error(Errc::not_found, "no such certificate");
                           if (kind == "exists")
                               throw Error(Errc::already_exists, "the subject exists");
                           if (kind == "denied")
                               throw Error(Errc::permission_denied, "not your contract");
                           if (kind == "precondition")
                               throw Error(Errc::failed_precondition, "not yet verified");
                           if (kind == "unavailable")
                               throw Error(Errc::unavailable, "the database is down");
                           if (kind == "hsm")
                               throw Error(Errc::hsm, "C_Sign failed: CKR_DEVICE_ERROR");
                           throw std::runtime_error("an unexpected bug in /fail");
                       });
    fail.match = PathMatch::prefix;
    router.add(std::move(fail));
    router.add(route(http::verb::get, "/sleep", ListenerSet::both(), [probe](const Request&) {
        if (!probe->sleeper_signalled.exchange(true))
            probe->sleeper_started.set_value();
        std::this_thread::sleep_for(300ms);
        return Response::text("done");
    }));
    router.add(route(http::verb::put, "/bad-header", ListenerSet::both(), [](const Request&) {
        Response response = Response::text("x");
        response.headers.emplace_back("X-Injected", "a\r\nSet-Cookie: evil=1");
        return response;
    }));
    return router;
}

ServerOptions test_options() {
    const TestPki& pki = TestPki::instance();
    ServerOptions options;
    options.http.enabled = true;
    options.https.enabled = true;
    options.tls.certificate_chain = pki.server_chain;
    options.tls.private_key = pki.server_key_copy();
    options.tls.client_ca = pki.ca_certificate;
    options.limits.max_header_bytes = 4096;
    options.limits.max_body_bytes = 64 * 1024;
    options.limits.read_timeout = 500ms;
    options.limits.idle_timeout = 2s;
    options.limits.max_connections = 64;
    options.limits.shutdown_grace = 5s;
    options.threads = 2;
    options.healthz_listeners = ListenerSet::both();
    options.metrics_listeners = ListenerSet::both();
    return options;
}

std::shared_ptr<Logger> quiet_log() {
    static auto log = [] {
        LoggerOptions options;
        options.minimum = LogLevel::error;
        return std::make_shared<Logger>(LogDestination::standard_error(), options);
    }();
    return log;
}

ServerContext quiet_context() {
    ServerContext context;
    context.log = quiet_log();
    return context;
}

class RunningServer {
  public:
    RunningServer(ServerOptions options, Router router, ServerContext context,
                  bool handle_signals = false)
        : server_(
              std::make_unique<Server>(std::move(options), std::move(router), std::move(context))) {
        if (handle_signals)
            server_->stop_on_signals();
        std::promise<void> finished;
        finished_ = finished.get_future();
        thread_ = std::thread([this, finished = std::move(finished)]() mutable {
            server_->run();
            finished.set_value();
        });
    }
    ~RunningServer() {
        if (thread_.joinable()) {
            server_->stop(1s);
            thread_.join();
        }
    }

    Server& server() { return *server_; }
    std::uint16_t http_port() const { return server_->http_port(); }
    std::uint16_t https_port() const { return server_->https_port(); }

    // Whether run() returned within `limit`.
    bool exits_within(std::chrono::milliseconds limit) {
        if (finished_.wait_for(limit) != std::future_status::ready)
            return false;
        thread_.join();
        return true;
    }

  private:
    std::unique_ptr<Server> server_;
    std::future<void> finished_;
    std::thread thread_;
};

// A server with the test routes, the test clients and an access log in a file.
struct ServerFixture {
    ServerFixture() : ServerFixture(test_options()) {}
    explicit ServerFixture(ServerOptions options, bool handle_signals = false)
        : dir("signet-api-test"),
          probe(std::make_shared<Probe>()),
          metrics(std::make_shared<MetricsRegistry>()),
          access_log(std::make_shared<Logger>(LogDestination::file(dir / "access.log"))),
          server(std::move(options), test_router(probe),
                 ServerContext{test_clients(),
                               metrics,
                               quiet_log(),
                               access_log,
                               {{"database",
                                 [probe = probe] {
                                     return probe->database_up
                                                ? HealthResult{HealthStatus::ok, "primary"}
                                                : HealthResult{HealthStatus::down,
                                                               "connection refused"};
                                 }},
                                {"clock",
                                 [] {
                                     return HealthResult{HealthStatus::ok, ""};
                                 }}}},
                 handle_signals) {}

    TempDir dir;
    std::shared_ptr<Probe> probe;
    std::shared_ptr<MetricsRegistry> metrics;
    std::shared_ptr<Logger> access_log;
    RunningServer server;
};

// ---------------------------------------------------------------------------------------------
// Clients.

void set_receive_timeout(tcp::socket& socket, std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

http::request<http::string_body> make_request(http::verb method, std::string_view target,
                                              std::string body = {}) {
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, "127.0.0.1");
    if (!body.empty() || method == http::verb::post || method == http::verb::put) {
        request.body() = std::move(body);
        request.prepare_payload();
    }
    return request;
}

class PlainClient {
  public:
    explicit PlainClient(std::uint16_t port) : socket_(ioc_) {
        socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        set_receive_timeout(socket_, 5s);
    }

    HttpResponse request(const http::request<http::string_body>& request) {
        http::write(socket_, request);
        return read_response();
    }
    HttpResponse get(std::string_view target) {
        return request(make_request(http::verb::get, target));
    }

    void send_raw(std::string_view bytes) { net::write(socket_, net::buffer(bytes)); }

    HttpResponse read_response(bool head = false) {
        http::response_parser<http::string_body> parser;
        parser.body_limit(16 * 1024 * 1024);
        parser.skip(head);
        http::read(socket_, buffer_, parser);
        return parser.release();
    }

    // True when the server has closed the connection: a read sees end of stream or a reset.
    bool closed_by_server() {
        char byte = 0;
        error_code ec;
        const std::size_t n = socket_.read_some(net::buffer(&byte, 1), ec);
        return n == 0 && (ec == net::error::eof || ec == net::error::connection_reset);
    }

    tcp::socket& socket() { return socket_; }

  private:
    using error_code = boost::system::error_code;
    net::io_context ioc_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
};

struct TlsClientOptions {
    int min_version = TLS1_2_VERSION;
    int max_version = TLS1_3_VERSION;
    const ClientIdentity* identity = nullptr;
    bool allow_legacy = false;  // lower the client's own security level so it offers TLS 1.1
};

class TlsClient {
  public:
    TlsClient(std::uint16_t port, TlsClientOptions options)
        : context_(ssl::context::tls_client), stream_(ioc_, configure(context_, options)) {
        SSL* ssl = stream_.native_handle();
        // Check the server's certificate for the address we dial (RFC 6125 / SAN IP).
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
        beast::get_lowest_layer(stream_).connect(
            tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        set_receive_timeout(beast::get_lowest_layer(stream_).socket(), 5s);
    }

    boost::system::error_code handshake() {
        boost::system::error_code ec;
        stream_.handshake(ssl::stream_base::client, ec);
        return ec;
    }

    int version() { return SSL_version(stream_.native_handle()); }

    HttpResponse request(const http::request<http::string_body>& request) {
        http::write(stream_, request);
        HttpResponse response;
        http::read(stream_, buffer_, response);
        return response;
    }

    // Handshake and one request; nullopt when either fails.
    std::optional<HttpResponse> try_request(const http::request<http::string_body>& request) {
        if (handshake())
            return std::nullopt;
        try {
            return this->request(request);
        } catch (const boost::system::system_error& e) {
            BOOST_TEST_MESSAGE("request failed as expected: " << e.what());
            return std::nullopt;
        }
    }

  private:
    static ssl::context& configure(ssl::context& context, const TlsClientOptions& options) {
        const TestPki& pki = TestPki::instance();
        SSL_CTX* ctx = context.native_handle();
        if (options.allow_legacy) {
            SSL_CTX_set_security_level(ctx, 0);
            SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
        }
        SSL_CTX_set_min_proto_version(ctx, options.min_version);
        SSL_CTX_set_max_proto_version(ctx, options.max_version);
        context.load_verify_file(pki.ca_certificate.string());
        context.set_verify_mode(ssl::verify_peer);
        if (options.identity != nullptr) {
            context.use_certificate_file(options.identity->certificate.string(), ssl::context::pem);
            context.use_private_key_file(options.identity->key.string(), ssl::context::pem);
        }
        return context;
    }

    net::io_context ioc_;
    ssl::context context_;
    beast::ssl_stream<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
};

// ---------------------------------------------------------------------------------------------
// Checks.

// Every error is application/problem+json with the RFC 9457 members, a type under our base,
// and the request id as the instance.
nlohmann::json expect_problem(const HttpResponse& response, unsigned status,
                              std::string_view slug) {
    BOOST_TEST_CONTEXT("response " << response.result_int() << " " << response.body()) {
        BOOST_CHECK_EQUAL(response.result_int(), status);
        BOOST_CHECK_EQUAL(std::string(response[http::field::content_type]),
                          "application/problem+json");
        nlohmann::json body;
        try {
            body = nlohmann::json::parse(response.body());
        } catch (const std::exception& e) {
            BOOST_ERROR("the problem body is not JSON: " << e.what());
            return {};
        }
        BOOST_CHECK_EQUAL(body.value("type", ""),
                          std::string(kProblemTypeBase) + std::string(slug));
        BOOST_CHECK(body.contains("title") && body["title"].is_string() &&
                    !body["title"].get<std::string>().empty());
        BOOST_CHECK_EQUAL(body.value("status", 0u), status);
        BOOST_CHECK(body.contains("detail") && body["detail"].is_string());
        const std::string request_id(response["X-Request-Id"]);
        BOOST_CHECK_EQUAL(request_id.size(), 36u);
        BOOST_CHECK_EQUAL(body.value("instance", ""), "urn:uuid:" + request_id);
        return body;
    }
    return {};
}

// A strict reader of the Prometheus text exposition format 0.0.4: every line is a HELP, a
// TYPE or a sample; TYPE comes before its samples, once; a family's samples are contiguous;
// names, labels, escapes and values follow the grammar; histograms are complete and
// consistent. Returns samples by series ("name{labels}" exactly as written) for lookups.
struct PromSample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

bool valid_name(std::string_view name, bool metric) {
    if (name.empty())
        return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter =
            std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (metric && c == ':');
        if (!letter && !(i > 0 && std::isdigit(static_cast<unsigned char>(c))))
            return false;
    }
    return true;
}

bool parse_prom_value(const std::string& text, double& value) {
    if (text == "+Inf")
        return value = INFINITY, true;
    if (text == "-Inf")
        return value = -INFINITY, true;
    if (text == "NaN")
        return value = NAN, true;
    if (text.empty())
        return false;
    char* end = nullptr;
    value = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
}

std::vector<PromSample> parse_prometheus(const std::string& text) {
    std::vector<PromSample> samples;
    std::map<std::string, std::string> types;
    std::set<std::string> helped;
    std::set<std::string> finished_families;
    std::set<std::string> series_seen;
    std::string current_family;
    BOOST_REQUIRE_MESSAGE(!text.empty() && text.back() == '\n', "must end with a line feed");

    const auto family_of = [&](const std::string& name) -> std::string {
        if (types.count(name))
            return name;
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
            const std::string s(suffix);
            if (name.size() > s.size() && name.ends_with(s)) {
                const std::string base = name.substr(0, name.size() - s.size());
                if (types.count(base) && types[base] == "histogram")
                    return base;
            }
        }
        return "";
    };

    std::istringstream lines(text);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        BOOST_TEST_CONTEXT("line " << number << ": " << line) {
            BOOST_REQUIRE_MESSAGE(!line.empty(), "empty line");
            if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
                const std::string rest = line.substr(7);
                const auto space = rest.find(' ');
                BOOST_REQUIRE(space != std::string::npos);
                const std::string name = rest.substr(0, space);
                const std::string value = rest.substr(space + 1);
                BOOST_REQUIRE(valid_name(name, true));
                if (line[2] == 'T') {
                    BOOST_REQUIRE(value == "counter" || value == "gauge" || value == "histogram" ||
                                  value == "summary" || value == "untyped");
                    BOOST_REQUIRE_MESSAGE(!types.count(name), "second TYPE for " << name);
                    types[name] = value;
                } else {
                    BOOST_REQUIRE_MESSAGE(helped.insert(name).second, "second HELP for " << name);
                    for (std::size_t i = 0; i < value.size(); ++i) {
                        if (value[i] == '\\') {
                            BOOST_REQUIRE(i + 1 < value.size() &&
                                          (value[i + 1] == '\\' || value[i + 1] == 'n'));
                            ++i;
                        }
                    }
                }
                continue;
            }
            BOOST_REQUIRE_MESSAGE(line[0] != '#' || line.starts_with("# "), "bad comment");
            if (line[0] == '#')
                continue;

            PromSample sample;
            std::size_t i = 0;
            while (i < line.size() && line[i] != '{' && line[i] != ' ')
                ++i;
            sample.name = line.substr(0, i);
            BOOST_REQUIRE(valid_name(sample.name, true));
            std::string series = sample.name;
            if (i < line.size() && line[i] == '{') {
                const std::size_t open = i;
                ++i;
                while (i < line.size() && line[i] != '}') {
                    std::size_t eq = line.find('=', i);
                    BOOST_REQUIRE(eq != std::string::npos);
                    const std::string label = line.substr(i, eq - i);
                    BOOST_REQUIRE_MESSAGE(valid_name(label, false), "label name " << label);
                    BOOST_REQUIRE(eq + 1 < line.size() && line[eq + 1] == '"');
                    std::string value;
                    std::size_t j = eq + 2;
                    for (; j < line.size() && line[j] != '"'; ++j) {
                        if (line[j] == '\\') {
                            BOOST_REQUIRE(j + 1 < line.size());
                            const char e = line[j + 1];
                            BOOST_REQUIRE(e == '\\' || e == '"' || e == 'n');
                            value += e == 'n' ? '\n' : e;
                            ++j;
                        } else {
                            value += line[j];
                        }
                    }
                    BOOST_REQUIRE(j < line.size());
                    BOOST_REQUIRE_MESSAGE(sample.labels.emplace(label, value).second,
                                          "label twice: " << label);
                    i = j + 1;
                    if (i < line.size() && line[i] == ',')
                        ++i;
                }
                BOOST_REQUIRE(i < line.size());
                ++i;
                series += line.substr(open, i - open);
            }
            BOOST_REQUIRE(i < line.size() && line[i] == ' ');
            std::string rest = line.substr(i + 1);
            const auto space = rest.find(' ');
            if (space != std::string::npos) {
                const std::string timestamp = rest.substr(space + 1);
                BOOST_REQUIRE(!timestamp.empty() &&
                              timestamp.find_first_not_of("-0123456789") == std::string::npos);
                rest = rest.substr(0, space);
            }
            BOOST_REQUIRE_MESSAGE(parse_prom_value(rest, sample.value), "bad value " << rest);

            const std::string family = family_of(sample.name);
            BOOST_REQUIRE_MESSAGE(!family.empty(), "sample before its TYPE: " << sample.name);
            if (family != current_family) {
                BOOST_REQUIRE_MESSAGE(!finished_families.count(family),
                                      "family " << family << " is not contiguous");
                if (!current_family.empty())
                    finished_families.insert(current_family);
                current_family = family;
            }
            BOOST_REQUIRE_MESSAGE(series_seen.insert(series).second, "series twice: " << series);
            if (types[family] == "histogram") {
                BOOST_REQUIRE(sample.name != family);
                BOOST_REQUIRE_EQUAL(sample.labels.count("le"),
                                    sample.name == family + "_bucket" ? 1u : 0u);
            }
            samples.push_back(std::move(sample));
        }
    }

    // Histograms: per series, buckets ascending by le and cumulative, +Inf == _count, a _sum.
    for (const auto& [family, type] : types) {
        if (type != "histogram")
            continue;
        std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>>
            buckets;
        std::map<std::map<std::string, std::string>, double> counts;
        std::set<std::map<std::string, std::string>> sums;
        for (const PromSample& s : samples) {
            auto labels = s.labels;
            if (s.name == family + "_bucket") {
                double le = 0;
                BOOST_REQUIRE(parse_prom_value(labels["le"], le));
                labels.erase("le");
                buckets[labels].emplace_back(le, s.value);
            } else if (s.name == family + "_count") {
                counts[labels] = s.value;
            } else if (s.name == family + "_sum") {
                sums.insert(labels);
            }
        }
        for (const auto& [labels, series] : buckets) {
            BOOST_REQUIRE(!series.empty());
            for (std::size_t k = 1; k < series.size(); ++k) {
                BOOST_REQUIRE_MESSAGE(series[k].first > series[k - 1].first, family << " le order");
                BOOST_REQUIRE_MESSAGE(series[k].second >= series[k - 1].second,
                                      family << " buckets not cumulative");
            }
            BOOST_REQUIRE_MESSAGE(std::isinf(series.back().first), family << " lacks +Inf");
            BOOST_REQUIRE_MESSAGE(counts.count(labels) && counts[labels] == series.back().second,
                                  family << " _count differs from the +Inf bucket");
            BOOST_REQUIRE_MESSAGE(sums.count(labels), family << " lacks _sum");
        }
    }
    return samples;
}

std::optional<double> find_sample(const std::vector<PromSample>& samples, const std::string& name,
                                  const std::map<std::string, std::string>& labels) {
    for (const PromSample& s : samples) {
        if (s.name == name && s.labels == labels)
            return s.value;
    }
    return std::nullopt;
}

std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& path) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(signet::testing::read_file(path));
    std::string line;
    while (std::getline(in, line)) {
        BOOST_TEST_CONTEXT("log line: " << line) {
            BOOST_REQUIRE_NO_THROW(lines.push_back(nlohmann::json::parse(line)));
        }
    }
    return lines;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(api_server)

BOOST_FIXTURE_TEST_CASE(keep_alive_and_pipelining_answer_in_order, ServerFixture) {
    PlainClient client(server.http_port());
    // Three requests in one write; the first is the slowest, yet the answers keep the order.
    client.send_raw(
        "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        "GET /echo?n=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        "GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const HttpResponse first = client.read_response();
    const HttpResponse second = client.read_response();
    const HttpResponse third = client.read_response();
    BOOST_CHECK_EQUAL(first.body(), "slow");
    BOOST_CHECK_EQUAL(second.body(), "path=/echo;query=n=2;listener=http");
    BOOST_CHECK_EQUAL(third.body(), "fast");
    BOOST_CHECK(first.keep_alive() && second.keep_alive() && third.keep_alive());
    const std::set<std::string> ids{std::string(first["X-Request-Id"]),
                                    std::string(second["X-Request-Id"]),
                                    std::string(third["X-Request-Id"])};
    BOOST_CHECK_EQUAL(ids.size(), 3u);
    BOOST_CHECK(!first[http::field::date].empty());

    // The same connection serves on.
    for (int i = 0; i < 5; ++i)
        BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");

    // Connection: close is honoured.
    auto closing = make_request(http::verb::get, "/fast");
    closing.set(http::field::connection, "close");
    const HttpResponse last = client.request(closing);
    BOOST_CHECK(!last.keep_alive());
    BOOST_CHECK(client.closed_by_server());
}

BOOST_FIXTURE_TEST_CASE(head_is_served_by_the_get_route_without_a_body, ServerFixture) {
    PlainClient client(server.http_port());
    client.send_raw("HEAD /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const HttpResponse head = client.read_response(true);
    BOOST_CHECK_EQUAL(head.result_int(), 200u);
    BOOST_CHECK_EQUAL(std::string(head[http::field::content_length]), "4");
    BOOST_CHECK(head.body().empty());
    BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");  // nothing stray on the connection
}

BOOST_FIXTURE_TEST_CASE(routing_errors_are_problems, ServerFixture) {
    PlainClient client(server.http_port());
    expect_problem(client.get("/nowhere"), 404, "no-such-route");
    const HttpResponse wrong_method = client.request(make_request(http::verb::delete_, "/fast"));
    expect_problem(wrong_method, 405, "method-not-allowed");
    BOOST_CHECK_EQUAL(std::string(wrong_method[http::field::allow]), "GET, HEAD");
    // /v1 lives on HTTPS only: on plain HTTP it does not exist (404), and says where it is.
    const nlohmann::json v1 = expect_problem(client.get("/v1/contracts"), 404, "no-such-route");
    BOOST_CHECK(v1.value("detail", "").find("HTTPS") != std::string::npos);
    // A prefix route sees the rest of the path.
    const HttpResponse crl = client.get("/crl/root-2026.crl");
    BOOST_CHECK_EQUAL(crl.body(), "root-2026.crl");
    BOOST_CHECK_EQUAL(std::string(crl[http::field::content_type]), "application/pkix-crl");
    BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");  // still kept alive
}

BOOST_FIXTURE_TEST_CASE(service_errors_map_to_statuses, ServerFixture) {
    PlainClient client(server.http_port());
    const auto detail_of = [](const nlohmann::json& problem) {
        return problem.value("detail", "");
    };
    BOOST_CHECK_EQUAL(
        detail_of(expect_problem(client.get("/fail/invalid"), 400, "invalid-argument")),
        "the digest is not SHA-256");
    expect_problem(client.get("/fail/missing"), 404, "not-found");
    expect_problem(client.get("/fail/exists"), 409, "already-exists");
    expect_problem(client.get("/fail/denied"), 403, "permission-denied");
    expect_problem(client.get("/fail/precondition"), 409, "failed-precondition");
    expect_problem(client.get("/fail/unavailable"), 503, "unavailable");
    // Internal failures do not reveal their message.
    const nlohmann::json hsm = expect_problem(client.get("/fail/hsm"), 500, "internal-error");
    BOOST_CHECK(detail_of(hsm).find("CKR_DEVICE_ERROR") == std::string::npos);
    BOOST_CHECK(detail_of(hsm).find("C_Sign") == std::string::npos);
    expect_problem(client.get("/fail/other"), 500, "internal-error");
    // A handler trying to inject a header field gets a 500, not a split response.
    const HttpResponse injected = client.request(make_request(http::verb::put, "/bad-header"));
    expect_problem(injected, 500, "internal-error");
    BOOST_CHECK(injected.find("Set-Cookie") == injected.end());
    BOOST_CHECK_EQUAL(client.get("/fast").body(), "fast");
}

BOOST_FIXTURE_TEST_CASE(oversized_body_is_413, ServerFixture) {
    {
        PlainClient client(server.http_port());
        BOOST_CHECK_EQUAL(
            client.request(make_request(http::verb::post, "/upload", std::string(1024, 'x')))
                .body(),
            "1024");
        const HttpResponse response =
            client.request(make_request(http::verb::post, "/upload", std::string(4096, 'x')));
        expect_problem(response, 413, "body-too-large");
        BOOST_CHECK(!response.keep_alive());  // the unread body makes the connection unusable
    }
    {
        // A chunked body has no Content-Length to check up front; it fails as it grows.
        PlainClient client(server.http_port());
        client.send_raw(
            "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            "800\r\n" +
            std::string(0x800, 'y') + "\r\n0\r\n\r\n");
        expect_problem(client.read_response(), 413, "body-too-large");
    }
    {
        // The default limit (64 KiB here) holds for routes without their own.
        PlainClient client(server.http_port());
        const HttpResponse response =
            client.request(make_request(http::verb::get, "/fast", std::string(70 * 1024, 'z')));
        expect_problem(response, 413, "body-too-large");
    }
}

BOOST_FIXTURE_TEST_CASE(oversized_header_is_431, ServerFixture) {
    PlainClient client(server.http_port());
    auto request = make_request(http::verb::get, "/fast");
    request.set("X-Filler", std::string(8 * 1024, 'h'));
    expect_problem(client.request(request), 431, "header-too-large");
}

BOOST_FIXTURE_TEST_CASE(malformed_requests_are_400, ServerFixture) {
    const auto expect_400 = [&](std::string_view raw) {
        BOOST_TEST_CONTEXT("request " << raw) {
            PlainClient client(server.http_port());
            client.send_raw(raw);
            const HttpResponse response = client.read_response();
            expect_problem(response, 400, "malformed-request");
            BOOST_CHECK(!response.keep_alive());
        }
    };
    expect_400("GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n");
    expect_400("GET /fast HTTP/9.1\r\nHost: 127.0.0.1\r\n\r\n");
    expect_400("GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 12x\r\n\r\n");
    expect_400("GET /fast HTTP/1.1\r\n\r\n");                                     // no Host
    expect_400("GET http://127.0.0.1/fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");  // not a path
    expect_400("GET /crl/../v1/contracts HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");   // dot segment
}

BOOST_FIXTURE_TEST_CASE(a_slow_client_is_disconnected, ServerFixture) {
    // read_timeout is 500 ms for a whole request; this client needs ~10 s for its header.
    PlainClient client(server.http_port());
    const std::string header =
        "GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(200, 'a') + "\r\n\r\n";
    std::size_t sent = 0;
    bool disconnected = false;
    for (const char byte : header) {
        if (::send(client.socket().native_handle(), &byte, 1, MSG_NOSIGNAL) != 1) {
            disconnected = true;
            break;
        }
        ++sent;
        std::this_thread::sleep_for(50ms);
        pollfd pfd{client.socket().native_handle(), POLLIN, 0};
        if (::poll(&pfd, 1, 0) == 1) {
            char peek = 0;
            const ssize_t n = ::recv(pfd.fd, &peek, 1, MSG_DONTWAIT);
            BOOST_REQUIRE_MESSAGE(n <= 0, "the server answered instead of disconnecting");
            disconnected = true;
            break;
        }
    }
    BOOST_CHECK(disconnected);
    BOOST_CHECK_LT(sent, header.size());

    // An idle connection goes too (idle_timeout).
    PlainClient idle(server.http_port());
    BOOST_CHECK(idle.closed_by_server());
}

BOOST_FIXTURE_TEST_CASE(tls_1_2_and_1_3_accepted_1_1_refused, ServerFixture) {
    {
        TlsClient client(server.https_port(),
                         {TLS1_1_VERSION, TLS1_1_VERSION, nullptr, /*allow_legacy=*/true});
        const auto ec = client.handshake();
        BOOST_CHECK(ec);
        BOOST_TEST_MESSAGE("TLS 1.1 handshake: " << ec.message());
        // The refusal is the server's: it answers the ClientHello with protocol_version.
        BOOST_CHECK(ec.message().find("protocol version") != std::string::npos);
    }
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        BOOST_TEST_CONTEXT("version " << std::hex << version) {
            TlsClient client(server.https_port(), {version, version, nullptr, false});
            BOOST_REQUIRE(!client.handshake());
            BOOST_CHECK_EQUAL(client.version(), version);
            const HttpResponse response = client.request(make_request(http::verb::get, "/echo"));
            BOOST_CHECK_EQUAL(response.body(), "path=/echo;query=;listener=https");
        }
    }
}

BOOST_FIXTURE_TEST_CASE(v1_needs_credentials_and_the_scope, ServerFixture) {
    const TestPki& pki = TestPki::instance();
    const auto sign_request = [] {
        return make_request(http::verb::post, "/v1/contracts", "{\"contract\":1}");
    };
    {
        // No certificate, no token: 401.
        TlsClient client(server.https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        const HttpResponse response = client.request(sign_request());
        expect_problem(response, 401, "unauthenticated");
        BOOST_CHECK(!response[http::field::www_authenticate].empty());
    }
    {
        // A known client without the scope: 403; with the scope it needs, its route works.
        TlsClient client(server.https_port(), {TLS1_2_VERSION, TLS1_3_VERSION, &pki.reader, false});
        BOOST_REQUIRE(!client.handshake());
        expect_problem(client.request(sign_request()), 403, "permission-denied");
        BOOST_CHECK_EQUAL(client.request(make_request(http::verb::get, "/v1/contracts")).body(),
                          "{\"reader\":\"reader\"}");
    }
    {
        // The right scope: 200.
        TlsClient client(server.https_port(), {TLS1_2_VERSION, TLS1_3_VERSION, &pki.signer, false});
        BOOST_REQUIRE(!client.handshake());
        const HttpResponse response = client.request(sign_request());
        BOOST_CHECK_EQUAL(response.result_int(), 200u);
        BOOST_CHECK_EQUAL(response.body(), "{\"signed_for\":\"signer\"}");
    }
    {
        // A certificate from the client CA that maps to no API client: 401.
        TlsClient client(server.https_port(),
                         {TLS1_2_VERSION, TLS1_3_VERSION, &pki.stranger, false});
        BOOST_REQUIRE(!client.handshake());
        expect_problem(client.request(sign_request()), 401, "unauthenticated");
    }
    {
        // A certificate from another CA: the handshake (or, in TLS 1.3, the first read) fails.
        TlsClient client(server.https_port(),
                         {TLS1_2_VERSION, TLS1_3_VERSION, &pki.foreign, false});
        BOOST_CHECK(!client.try_request(sign_request()));
    }
    {
        // A bearer token works without a certificate; a wrong one is 401.
        TlsClient client(server.https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        auto request = sign_request();
        request.set(http::field::authorization, "Bearer " + std::string(kSignerToken));
        BOOST_CHECK_EQUAL(client.request(request).body(), "{\"signed_for\":\"signer\"}");
        request.set(http::field::authorization, "bearer not-the-token");
        expect_problem(client.request(request), 401, "unauthenticated");
        // An explicit (wrong) token is not rescued by a certificate: see the next block.
    }
    {
        TlsClient client(server.https_port(), {TLS1_2_VERSION, TLS1_3_VERSION, &pki.signer, false});
        BOOST_REQUIRE(!client.handshake());
        auto request = sign_request();
        request.set(http::field::authorization, "Bearer wrong");
        expect_problem(client.request(request), 401, "unauthenticated");
    }
}

BOOST_AUTO_TEST_CASE(a_required_client_certificate_is_enforced_in_the_handshake) {
    ServerOptions options = test_options();
    options.tls.require_client_certificate = true;
    ServerFixture fixture(std::move(options));
    const TestPki& pki = TestPki::instance();
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        TlsClient anonymous(fixture.server.https_port(), {version, version, nullptr, false});
        BOOST_CHECK(!anonymous.try_request(make_request(http::verb::get, "/fast")));
        TlsClient known(fixture.server.https_port(), {version, version, &pki.signer, false});
        const auto response = known.try_request(make_request(http::verb::get, "/fast"));
        BOOST_REQUIRE(response);
        BOOST_CHECK_EQUAL(response->body(), "fast");
    }
}

BOOST_AUTO_TEST_CASE(the_tls_key_can_live_in_the_hsm) {
    // The production setup: the server key is a SoftHSM token key reached through the bridge.
    auto token = signet::testing::SoftHsm::instance().open_new_token("api-tls");
    for (const KeyType type : {KeyType::ec_p256, KeyType::rsa_2048}) {
        BOOST_TEST_CONTEXT(to_string(type)) {
            const std::string label = "tls-" + std::string(to_string(type));
            EvpPkeyPtr key = hsm::bridge_key(token->generate_key(type, label));
            ServerOptions options = test_options();
            options.tls.certificate_chain =
                TestPki::instance().issue_server_chain(key.get(), label);
            options.tls.private_key = std::move(key);
            ServerFixture fixture(std::move(options));
            for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
                TlsClient client(fixture.server.https_port(), {version, version, nullptr, false});
                const auto response = client.try_request(make_request(http::verb::get, "/fast"));
                BOOST_REQUIRE(response);
                BOOST_CHECK_EQUAL(response->body(), "fast");
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(tls_configuration_errors_are_reported) {
    ServerOptions options = test_options();
    options.tls.client_ca.reset();
    options.tls.require_client_certificate = true;
    BOOST_CHECK_THROW(Server(std::move(options), Router(), quiet_context()), Error);
    ServerOptions wrong_key = test_options();
    wrong_key.tls.private_key = make_ec_key();  // not the certificate's key
    try {
        Server server(std::move(wrong_key), Router(), quiet_context());
        BOOST_ERROR("a key not matching the certificate was accepted");
    } catch (const Error& e) {
        BOOST_CHECK_EQUAL(to_string(e.code()), to_string(Errc::crypto));
    }
}

BOOST_AUTO_TEST_CASE(routes_are_validated) {
    const auto noop = [](const Request&) { return Response::text(""); };
    Router router;
    Route scoped_plain = route(http::verb::get, "/v1/x", ListenerSet::both(), noop);
    scoped_plain.scope = "x";
    BOOST_CHECK_THROW(router.add(scoped_plain), Error);  // credentials over plain HTTP
    BOOST_CHECK_THROW(router.add(route(http::verb::get, "relative", ListenerSet::both(), noop)),
                      Error);
    router.add(route(http::verb::get, "/a", ListenerSet::http_only(), noop));
    router.add(route(http::verb::get, "/a", ListenerSet::https_only(), noop));  // other listener
    BOOST_CHECK_THROW(router.add(route(http::verb::get, "/a", ListenerSet::both(), noop)), Error);
    // Longest prefix wins; the exact pattern beats any prefix.
    router.add(route(http::verb::get, "/p/", ListenerSet::both(), noop));
    Route p1 = route(http::verb::get, "/p/", ListenerSet::both(), noop);
    p1.match = PathMatch::prefix;
    Route p2 = route(http::verb::get, "/p/deep/", ListenerSet::both(), noop);
    p2.match = PathMatch::prefix;
    router.add(p1).add(p2);
    BOOST_CHECK_EQUAL(router.match(http::verb::get, "/p/deep/x", ListenerKind::http).route->path,
                      "/p/deep/");
    BOOST_CHECK(router.match(http::verb::get, "/p/x", ListenerKind::http).route->match ==
                PathMatch::prefix);
    BOOST_CHECK(router.match(http::verb::get, "/p/", ListenerKind::http).route->match ==
                PathMatch::exact);
}

BOOST_FIXTURE_TEST_CASE(metrics_parse_as_prometheus_text, ServerFixture) {
    // A service's own metrics live in the same registry.
    metrics->counter("signet_hsm_operations_total", "HSM operations", {"operation"})
        .with({"sign"})
        .inc(3);
    metrics->gauge_callback("signet_db_pool_idle", "Idle database connections", [] { return 4.0; });
    PlainClient client(server.http_port());
    for (int i = 0; i < 3; ++i)
        client.get("/fast");
    client.get("/nowhere");

    const HttpResponse response = client.get("/metrics");
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    BOOST_CHECK_EQUAL(std::string(response[http::field::content_type]),
                      "text/plain; version=0.0.4; charset=utf-8");
    BOOST_TEST_MESSAGE(response.body());
    const auto samples = parse_prometheus(response.body());
    BOOST_CHECK_EQUAL(
        find_sample(samples, "signet_http_requests_total", {{"route", "/fast"}, {"status", "200"}})
            .value_or(-1),
        3.0);
    BOOST_CHECK_EQUAL(
        find_sample(samples, "signet_http_requests_total", {{"route", "(none)"}, {"status", "404"}})
            .value_or(-1),
        1.0);
    BOOST_CHECK_EQUAL(
        find_sample(samples, "signet_http_request_duration_seconds_count", {{"route", "/fast"}})
            .value_or(-1),
        3.0);
    BOOST_CHECK_GE(
        find_sample(samples, "signet_http_open_connections", {{"listener", "http"}}).value_or(-1),
        1.0);
    BOOST_CHECK_EQUAL(
        find_sample(samples, "signet_hsm_operations_total", {{"operation", "sign"}}).value_or(-1),
        3.0);
    BOOST_CHECK_EQUAL(find_sample(samples, "signet_db_pool_idle", {}).value_or(-1), 4.0);
}

BOOST_AUTO_TEST_CASE(metrics_can_require_a_scope_on_https) {
    ServerOptions options = test_options();
    options.metrics_listeners = ListenerSet::https_only();
    options.metrics_scope = "metrics:read";
    ServerFixture fixture(std::move(options));
    TlsClient client(fixture.server.https_port(), {});
    BOOST_REQUIRE(!client.handshake());
    expect_problem(client.request(make_request(http::verb::get, "/metrics")), 401,
                   "unauthenticated");
    PlainClient plain(fixture.server.http_port());
    expect_problem(plain.get("/metrics"), 404, "no-such-route");
}

BOOST_FIXTURE_TEST_CASE(healthz_reports_each_check, ServerFixture) {
    PlainClient client(server.http_port());
    HttpResponse response = client.get("/healthz");
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    nlohmann::json body = nlohmann::json::parse(response.body());
    BOOST_CHECK_EQUAL(body["status"], "ok");
    BOOST_CHECK_EQUAL(body["checks"]["database"]["status"], "ok");
    BOOST_CHECK_EQUAL(body["checks"]["database"]["detail"], "primary");
    BOOST_CHECK_EQUAL(body["checks"]["clock"]["status"], "ok");

    probe->database_up = false;
    response = client.get("/healthz");
    BOOST_CHECK_EQUAL(response.result_int(), 503u);
    body = nlohmann::json::parse(response.body());
    BOOST_CHECK_EQUAL(body["status"], "down");
    BOOST_CHECK_EQUAL(body["checks"]["database"]["status"], "down");
    BOOST_CHECK_EQUAL(body["checks"]["database"]["detail"], "connection refused");
    BOOST_CHECK_EQUAL(body["checks"]["clock"]["status"], "ok");
}

BOOST_AUTO_TEST_CASE(healthz_degraded_is_200_and_down_is_503) {
    const std::vector<HealthCheck> degraded{
        {"clock",
         [] {
             return HealthResult{HealthStatus::degraded, "unsynchronised"};
         }},
        {"database", [] {
             return HealthResult{HealthStatus::ok, "primary"};
         }}};
    Response response = health_response(degraded);
    BOOST_CHECK(response.status == http::status::ok);
    BOOST_CHECK_EQUAL(nlohmann::json::parse(response.body)["status"], "degraded");
    const std::vector<HealthCheck> down{
        {"clock",
         [] {
             return HealthResult{HealthStatus::degraded, "unsynchronised"};
         }},
        {"hsm", []() -> HealthResult { throw Error(Errc::unavailable, "token gone"); }}};
    response = health_response(down);
    BOOST_CHECK(response.status == http::status::service_unavailable);
    const auto body = nlohmann::json::parse(response.body);
    BOOST_CHECK_EQUAL(body["status"], "down");
    BOOST_CHECK_EQUAL(body["checks"]["hsm"]["detail"], "token gone");
}

BOOST_AUTO_TEST_CASE(sigterm_lets_the_request_in_flight_finish) {
    ServerFixture fixture(test_options(), /*handle_signals=*/true);
    const std::uint16_t port = fixture.server.http_port();

    PlainClient idle(port);  // kept alive, between requests when the signal comes
    BOOST_CHECK_EQUAL(idle.get("/fast").body(), "fast");

    auto started = fixture.probe->sleeper_started.get_future();
    std::promise<HttpResponse> answered;
    auto answer = answered.get_future();
    std::thread caller([&] {
        try {
            PlainClient client(port);
            answered.set_value(client.get("/sleep"));  // the handler takes 300 ms
        } catch (...) {
            answered.set_exception(std::current_exception());
        }
    });
    BOOST_REQUIRE(started.wait_for(5s) == std::future_status::ready);
    BOOST_REQUIRE_EQUAL(::kill(::getpid(), SIGTERM), 0);

    const HttpResponse response = answer.get();
    caller.join();
    BOOST_CHECK_EQUAL(response.result_int(), 200u);
    BOOST_CHECK_EQUAL(response.body(), "done");
    BOOST_CHECK(!response.keep_alive());  // Connection: close, the server is going
    BOOST_CHECK(idle.closed_by_server());
    BOOST_CHECK(fixture.server.exits_within(10s));

    // Nobody listens any more.
    net::io_context ioc;
    tcp::socket socket(ioc);
    boost::system::error_code ec;
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    BOOST_CHECK(ec);
}

BOOST_AUTO_TEST_CASE(stop_closes_what_outlives_the_grace) {
    ServerFixture fixture;
    // A client that never finishes its request holds no one up beyond the grace.
    PlainClient partial(fixture.server.http_port());
    partial.send_raw("GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n");  // header not finished
    std::this_thread::sleep_for(50ms);
    fixture.server.server().stop(100ms);
    BOOST_CHECK(fixture.server.exits_within(10s));
    BOOST_CHECK(partial.closed_by_server());
}

BOOST_AUTO_TEST_CASE(max_connections_is_enforced) {
    ServerOptions options = test_options();
    options.limits.max_connections = 2;
    options.limits.idle_timeout = 30s;
    ServerFixture fixture(std::move(options));
    const std::uint16_t port = fixture.server.http_port();

    auto first = std::make_unique<PlainClient>(port);
    PlainClient second(port);
    BOOST_CHECK_EQUAL(first->get("/fast").body(), "fast");
    BOOST_CHECK_EQUAL(second.get("/fast").body(), "fast");

    PlainClient third(port);
    third.send_raw("GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const HttpResponse refused = third.read_response();
    expect_problem(refused, 503, "overloaded");
    BOOST_CHECK(!refused.keep_alive());

    const auto samples = parse_prometheus(second.get("/metrics").body());
    BOOST_CHECK_EQUAL(
        find_sample(samples, "signet_http_rejected_connections_total", {{"listener", "http"}})
            .value_or(-1),
        1.0);

    // A slot freed is a slot for the next client (once the server has seen the close).
    first.reset();
    bool served = false;
    for (int attempt = 0; attempt < 50 && !served; ++attempt) {
        PlainClient next(port);
        next.send_raw("GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        served = next.read_response().result_int() == 200;
        if (!served)
            std::this_thread::sleep_for(100ms);
    }
    BOOST_CHECK(served);
}

BOOST_FIXTURE_TEST_CASE(access_log_has_one_line_per_request_and_no_secret, ServerFixture) {
    const TestPki& pki = TestPki::instance();
    std::string sign_id;
    {
        PlainClient client(server.http_port());
        client.get("/echo?password=hunter2");
        client.get("/crl/ca.crl");
        client.get("/nowhere");
    }
    {
        TlsClient client(server.https_port(), {TLS1_2_VERSION, TLS1_3_VERSION, &pki.reader, false});
        BOOST_REQUIRE(!client.handshake());
        auto request = make_request(http::verb::post, "/v1/contracts", "{\"secret\":\"body\"}");
        request.set(http::field::authorization, "Bearer " + std::string(kSignerToken));
        const HttpResponse response = client.request(request);
        BOOST_CHECK_EQUAL(response.result_int(), 200u);
        sign_id = std::string(response["X-Request-Id"]);
    }
    server.server().stop(1s);
    BOOST_REQUIRE(server.exits_within(10s));
    access_log->flush();

    const std::string text = signet::testing::read_file(dir / "access.log");
    BOOST_CHECK(text.find("hunter2") == std::string::npos);
    BOOST_CHECK(text.find(kSignerToken) == std::string::npos);
    BOOST_CHECK(text.find("secret") == std::string::npos);
    BOOST_CHECK(text.find("password") == std::string::npos);

    const auto lines = read_json_lines(dir / "access.log");
    BOOST_REQUIRE_EQUAL(lines.size(), 4u);
    std::map<std::string, nlohmann::json> by_route;
    for (const auto& line : lines) {
        for (const char* key : {"time", "level", "msg", "request_id", "remote", "listener",
                                "method", "route", "status", "bytes", "latency_ms", "client"}) {
            BOOST_CHECK_MESSAGE(line.contains(key), "missing " << key << " in " << line.dump());
        }
        by_route[line["route"].get<std::string>()] = line;
    }
    BOOST_CHECK_EQUAL(by_route["/echo"]["status"], 200);
    BOOST_CHECK_EQUAL(by_route["/echo"]["listener"], "http");
    BOOST_CHECK_EQUAL(by_route["/crl/"]["method"], "GET");
    BOOST_CHECK_EQUAL(by_route["(none)"]["status"], 404);
    const auto& sign = by_route["/v1/contracts"];
    BOOST_CHECK_EQUAL(sign["request_id"], sign_id);
    BOOST_CHECK_EQUAL(sign["client"], "signer");  // the token, presented explicitly, wins
    BOOST_CHECK_EQUAL(sign["listener"], "https");
    BOOST_CHECK_EQUAL(sign["method"], "POST");
    BOOST_CHECK(sign["latency_ms"].is_number());
    BOOST_CHECK(sign["bytes"].get<int>() > 0);
}

BOOST_AUTO_TEST_CASE(waiting_handlers_run_on_workers_and_hold_no_io_thread) {
    // One I/O thread and three workers: three handlers wait at once, a route that runs on the
    // I/O thread is still answered meanwhile, and a fourth waiting request queues for a worker
    // rather than failing.
    struct Gate {
        std::mutex mutex;
        std::condition_variable changed;
        int inside = 0;
        bool open = false;
    };
    auto gate = std::make_shared<Gate>();
    Router router;
    router.add(route(http::verb::get, "/wait", ListenerSet::both(), [gate](const Request&) {
        std::unique_lock lock(gate->mutex);
        ++gate->inside;
        gate->changed.notify_all();
        const bool released = gate->changed.wait_for(lock, 20s, [&] { return gate->open; });
        return Response::text(released ? "released" : "never released");
    }));
    Route on_io = route(http::verb::get, "/on-io", ListenerSet::both(),
                        [](const Request&) { return Response::text("answered"); });
    on_io.runs_on_io_thread = true;
    router.add(std::move(on_io));

    ServerOptions options = test_options();
    options.threads = 1;
    options.worker_threads = 3;
    RunningServer server(std::move(options), std::move(router), quiet_context());
    const std::uint16_t port = server.http_port();

    auto call = [port](std::string target) {
        return std::async(std::launch::async, [port, target] {
            PlainClient client(port);
            return client.get(target);
        });
    };
    std::vector<std::future<HttpResponse>> waiting;
    for (int i = 0; i < 3; ++i)
        waiting.push_back(call("/wait"));
    {
        std::unique_lock lock(gate->mutex);
        BOOST_REQUIRE(gate->changed.wait_for(lock, 10s, [&] { return gate->inside == 3; }));
    }
    auto queued = call("/wait");  // no worker free: it waits its turn

    PlainClient other(port);
    const HttpResponse answered = other.get("/on-io");
    BOOST_CHECK_EQUAL(answered.result_int(), 200u);
    BOOST_CHECK_EQUAL(answered.body(), "answered");
    {
        std::lock_guard lock(gate->mutex);
        BOOST_CHECK_EQUAL(gate->inside, 3);  // the fourth has not started
        gate->open = true;
    }
    gate->changed.notify_all();
    for (auto& response : waiting)
        BOOST_CHECK_EQUAL(response.get().body(), "released");
    BOOST_CHECK_EQUAL(queued.get().body(), "released");
    BOOST_CHECK_EQUAL(gate->inside, 4);
}

BOOST_AUTO_TEST_SUITE_END()
