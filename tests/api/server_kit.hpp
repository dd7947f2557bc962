#pragma once
// The HTTP server's test kit: a test PKI (CA, server and client certificates, software keys),
// the test routes and options, a running server fixture, plain and TLS clients over loopback,
// and checks (problem documents, a strict Prometheus text reader, JSON log lines).
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
#include "api/server.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"
#include "hsm/bridge.hpp"
#include "tests/api/prometheus_text.hpp"
#include "tests/api/test_pki.hpp"
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

namespace signet::api::testkit {

// Named here too, so that inside this namespace the name is found before a using-directive that
// brings signet::testing::HttpResponse to the global scope (a file before this one in a unity
// build, tests/CMakeLists.txt) could make it ambiguous.
using HttpResponse = ::HttpResponse;

// A latch for handlers: each caller of enter() counts itself in and waits until release().
struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    int inside = 0;
    bool open = false;

    // In a handler: true when released, false when `limit` passed first.
    bool enter(std::chrono::milliseconds limit = 20s) {
        std::unique_lock lock(mutex);
        ++inside;
        changed.notify_all();
        return changed.wait_for(lock, limit, [&] { return open; });
    }
    // In the test: whether `count` callers are inside within `limit` (bounds a hang).
    bool wait_inside(int count, std::chrono::milliseconds limit = 10s) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, limit, [&] { return inside >= count; });
    }
    void release() {
        {
            std::lock_guard lock(mutex);
            open = true;
        }
        changed.notify_all();
    }
};

inline constexpr std::string_view kSignerToken = "s3cr3t-token-of-the-signer";

inline std::shared_ptr<const ClientDirectory> test_clients() {
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

inline Route route(http::verb method, std::string path, ListenerSet listeners, Handler handler) {
    Route r;
    r.method = method;
    r.path = std::move(path);
    r.listeners = listeners;
    r.handler = std::move(handler);
    return r;
}

inline Router test_router(std::shared_ptr<Probe> probe) {
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

inline ServerOptions test_options() {
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

inline std::shared_ptr<Logger> quiet_log() {
    static auto log = [] {
        LoggerOptions options;
        options.minimum = LogLevel::error;
        return std::make_shared<Logger>(LogDestination::standard_error(), options);
    }();
    return log;
}

inline ServerContext quiet_context() {
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

inline void set_receive_timeout(tcp::socket& socket, std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

inline http::request<http::string_body> make_request(http::verb method, std::string_view target,
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
        return read_response();
    }

    void send_raw(std::string_view bytes) { net::write(stream_, net::buffer(bytes)); }

    HttpResponse read_response() {
        http::response_parser<http::string_body> parser;
        parser.body_limit(16 * 1024 * 1024);
        http::read(stream_, buffer_, parser);
        return parser.release();
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
inline nlohmann::json expect_problem(const HttpResponse& response, unsigned status,
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

inline std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& path) {
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

}  // namespace signet::api::testkit

using namespace signet::api::testkit;
