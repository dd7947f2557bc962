#include "tests/api/ra_api_fixture.hpp"

#include <regex>

#include "api/audit_routes.hpp"
#include "api/evidence_route.hpp"
#include "api/ca_routes.hpp"
#include "api/contract_routes.hpp"
#include "api/openapi_route.hpp"
#include "api/signing_routes.hpp"
#include "api/verify_routes.hpp"
#include "api/signing_link_routes.hpp"

namespace signet::testing {

namespace {

constexpr const char* kOtpHmacLabel = "signet-otp";

ra::SmsGatewaySettings gateway_settings(const std::string& url) {
    ra::SmsGatewaySettings settings;
    settings.url = url;
    settings.body_template = R"({"to": "{{phone}}", "text": "{{message}}"})";
    settings.connect_timeout = std::chrono::milliseconds(1000);
    settings.timeout = std::chrono::milliseconds(2000);
    settings.retries = 1;
    settings.backoff = std::chrono::milliseconds(10);
    return settings;
}

std::shared_ptr<const ClientDirectory> ra_clients() {
    std::vector<StaticClientDirectory::Entry> entries;
    entries.push_back({{"frontend", {"subjects:read", "subjects:write", "otp"}},
                       std::nullopt,
                       sha256_of(std::string_view(kFrontend))});
    entries.push_back({{"officer", {"ra:officer", "subjects:read"}},
                       std::nullopt,
                       sha256_of(std::string_view(kOfficer))});
    entries.push_back(
        {{"reader", {"subjects:read"}}, std::nullopt, sha256_of(std::string_view(kReader))});
    entries.push_back({{"sender", {"otp"}}, std::nullopt, sha256_of(std::string_view(kSender))});
    entries.push_back(
        {{"auditor", {"audit"}}, std::nullopt, sha256_of(std::string_view(kAuditor))});
    return std::make_shared<StaticClientDirectory>(std::move(entries));
}

}  // namespace

RaApi& RaApi::instance() {
    static RaApi api;
    return api;
}

ra::OtpPolicy RaApi::otp_policy() {
    ra::OtpPolicy policy;
    policy.max_attempts = 5;
    policy.max_failures = 3;
    policy.min_send_interval = std::chrono::seconds(60);
    return policy;
}

RaApi::RaApi() {
    registry.token->generate_hmac_key(kOtpHmacLabel);
    otp_crypto = std::make_unique<ra::HsmOtpCrypto>(registry.token, kOtpHmacLabel, "user-kek");
    lockouts = std::make_unique<ra::OtpLockouts>(registry.database, otp_repository, registry.audit,
                                                 registry.clock, otp_policy());
    challenges = std::make_unique<ra::OtpChallenges>(registry.database, otp_repository, *otp_crypto,
                                                     *lockouts, registry.clock);
    totp = std::make_unique<ra::Totp>(registry.database, otp_repository, *otp_crypto, *lockouts,
                                      registry.audit, registry.clock);
    vault = std::make_unique<sign::DocumentVault>(registry.database, documents, registry.token,
                                                  registry.clock);
    contracts = std::make_unique<sign::Contracts>(sign::ContractsDependencies{
        .database = registry.database,
        .contracts = contract_repository,
        .documents = documents,
        .vault = *vault,
        .registry = *registry.registry,
        .audit = registry.audit,
        .clock = registry.clock,
        .stamp = [](ByteView) -> Bytes {
            throw Error(Errc::unavailable, "no TSA in the RA's API tests");
        },
        .notifier = nullptr,
    });
    validation = sign::signet_validation_source(nullptr, registry.certificates, registry.clock);
    signing = std::make_unique<sign::ContractSigning>(sign::ContractSigningDependencies{
        .contracts = *contracts,
        .registry = *registry.registry,
        .challenges = *challenges,
        .totp = *totp,
        .sms = {},
        .certificates = registry.certificates,
        .token = registry.token,
        .vault = *vault,
        .time_stamper = [](Digest, ByteView) -> Bytes {
            throw Error(Errc::unavailable, "no TSA in the RA's API tests");
        },
        .validation = *validation,
        .clock = registry.clock,
    });
    links = std::make_unique<sign::SigningLinks>(registry.database, link_rows, registry.clock);
    checkpoints = std::make_unique<audit::PostgresCheckpoints>(registry.database);
    server_log = std::make_shared<Logger>(LogDestination::file(registry.dir / "server.log"));
    access_log = std::make_shared<Logger>(LogDestination::file(registry.dir / "access.log"));
    working_sms =
        std::make_unique<ra::CurlSmsGateway>(gateway_settings(working_gateway.url()), server_log);
    failing_sms =
        std::make_unique<ra::CurlSmsGateway>(gateway_settings(failing_gateway.url()), server_log);
    sms.current = working_sms.get();
    ServerContext context;
    clients = ra_clients();
    context.clients = clients;
    context.log = server_log;
    context.access_log = access_log;
    server = std::make_unique<RunningServer>(test_options(), v1_router(&sms), std::move(context));
}

Router RaApi::v1_router(ra::SmsGateway* gateway) {
    Router router;
    api::add_ca_routes(router, *registry.authority, registry.certificates, registry.clock);
    api::add_ra_routes(router, {*registry.registry, *challenges, *totp, *lockouts, gateway});
    api::add_contract_routes(router, {*contracts, 1024 * 1024});
    api::add_signing_routes(router, {*signing, links.get()});
    api::add_verify_routes(router, {1024 * 1024, nullptr, registry.clock});
    api::add_signing_link_routes(router, {*links, *contracts, *registry.registry});
    api::add_audit_routes(router, *checkpoints, registry.audit);
    // The evidence route's shape only (tests/evidence/evidence_route_test.cpp serves packages).
    api::add_evidence_route(router, {{}, "no evidence seal in this fixture"});
    api::add_openapi_route(router);
    return router;
}

ApiAnswer RaApi::call(http::verb method, const std::string& target, const std::string& body,
                      const std::string& token) {
    return call_port(server->https_port(), method, target, body, token);
}

ApiAnswer RaApi::call_port(std::uint16_t port, http::verb method, const std::string& target,
                           const std::string& body, const std::string& token) {
    TlsClient client(port, {});
    BOOST_REQUIRE(!client.handshake());
    auto request = make_request(method, target, body);
    if (!body.empty())
        request.set(http::field::content_type, "application/json");
    if (!token.empty())
        request.set(http::field::authorization, "Bearer " + token);
    ApiAnswer answer;
    answer.raw = client.request(request);
    answer.status = answer.raw.result_int();
    answer.body = nlohmann::json::parse(answer.raw.body(), nullptr, false);
    return answer;
}

ApiAnswer RaApi::plain_get(const std::string& target) {
    PlainClient client(server->http_port());
    ApiAnswer answer;
    answer.raw = client.get(target);
    answer.status = answer.raw.result_int();
    answer.body = nlohmann::json::parse(answer.raw.body(), nullptr, false);
    return answer;
}

std::string RaApi::logs() {
    access_log->flush();
    server_log->flush();
    return read_file(registry.dir / "access.log") + read_file(registry.dir / "server.log");
}

std::string last_sms_code(const FakeSmsGateway& gateway) {
    const auto requests = gateway.requests();
    BOOST_REQUIRE(!requests.empty());
    const auto body = nlohmann::json::parse(requests.back().body);
    const std::string text = body.value("text", "");
    std::smatch match;
    BOOST_REQUIRE(std::regex_search(text, match, std::regex("[0-9]{6,8}")));
    return match.str();
}

}  // namespace signet::testing
