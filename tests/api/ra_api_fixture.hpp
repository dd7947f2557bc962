#pragma once

// The registration authority's API on real parts, one per test process: the registry on a real
// SoftHSM token, PostgreSQL and CA (tests/ra/registry_fixture.hpp), the OTP services with the
// token's HMAC key and KEK (ra::HsmOtpCrypto), the SMS gateway client (ra::CurlSmsGateway)
// posting to small gateways on loopback (tests/ra/fake_sms_gateway.hpp), and the real server
// and router with the CA's, the RA's and the OpenAPI routes, its access log and server log in
// files. Clients call it over TLS with bearer tokens.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/ra_routes.hpp"
#include "audit/checkpoints.hpp"
#include "sign/contract_signing.hpp"
#include "sign/contracts.hpp"
#include "sign/validation_source.hpp"
#include "sign/signing_links.hpp"
#include "store/contract_notifications.hpp"
#include "store/contracts.hpp"
#include "store/documents.hpp"
#include "ra/hsm_keys.hpp"
#include "ra/otp.hpp"
#include "ra/sms_gateway.hpp"
#include "ra/totp.hpp"
#include "store/otp.hpp"
#include "tests/api/server_kit.hpp"
#include "tests/ra/fake_sms_gateway.hpp"
#include "tests/ra/registry_fixture.hpp"

namespace signet::testing {

// The tokens of the API clients (scopes in the fixture).
inline constexpr const char* kFrontend = "frontend-token-0123456789";  // subjects:*, otp
inline constexpr const char* kOfficer = "officer-token-0123456789";    // ra:officer
inline constexpr const char* kReader = "reader-token-0123456789";      // subjects:read
inline constexpr const char* kSender = "sender-token-0123456789";      // otp only
inline constexpr const char* kAuditor = "auditor-token-0123456789";    // audit

// Sends to whichever gateway the test chose: the working one, or the one answering 500.
class SwitchableSms final : public ra::SmsGateway {
  public:
    void send(const std::string& e164, const std::string& message) override {
        current->send(e164, message);
    }
    ra::SmsGateway* current = nullptr;
};

struct ApiAnswer {
    unsigned status = 0;
    nlohmann::json body;
    HttpResponse raw;
};

class RaApi {
  public:
    static RaApi& instance();

    // The OTP limits the tests reach: 3 wrong codes lock a subject; one send a minute.
    static ra::OtpPolicy otp_policy();

    // Calls the server over TLS; `token` empty sends no credential.
    ApiAnswer call(http::verb method, const std::string& target, const std::string& body = "",
                   const std::string& token = kFrontend);
    ApiAnswer call_port(std::uint16_t port, http::verb method, const std::string& target,
                        const std::string& body = "", const std::string& token = kFrontend);
    ApiAnswer plain_get(const std::string& target);

    // The router signetd would build for /v1: the CA's, the RA's, the contracts', the signing
    // link's and the OpenAPI routes.
    Router v1_router(ra::SmsGateway* sms);

    // The access log and server log written so far.
    std::string logs();

    RegistryFixture registry{"ra_api"};
    // The contract routes, for the OpenAPI document's checks (tests/api/contract_routes_test.cpp
    // calls them with a TSA): a vault and a service whose time-stamps are unavailable.
    store::PostgresDocuments documents;
    store::PostgresContracts contract_repository;
    std::unique_ptr<sign::DocumentVault> vault;
    std::unique_ptr<sign::Contracts> contracts;
    // The signing routes, likewise (tests/api/signing_routes_test.cpp signs through them).
    std::unique_ptr<sign::ValidationSource> validation;
    std::unique_ptr<sign::ContractSigning> signing;
    store::PostgresSigningLinks link_rows;
    std::unique_ptr<sign::SigningLinks> links;
    // The audit routes over the registry's log (no checkpointer: the tests write checkpoints).
    std::unique_ptr<audit::PostgresCheckpoints> checkpoints;
    store::PostgresOtp otp_repository;
    std::unique_ptr<ra::HsmOtpCrypto> otp_crypto;
    std::unique_ptr<ra::OtpLockouts> lockouts;
    std::unique_ptr<ra::OtpChallenges> challenges;
    std::unique_ptr<ra::Totp> totp;
    FakeSmsGateway working_gateway{{FakeSmsGateway::Reply::ok}};
    FakeSmsGateway failing_gateway{{FakeSmsGateway::Reply::server_error}};
    std::unique_ptr<ra::CurlSmsGateway> working_sms;
    std::unique_ptr<ra::CurlSmsGateway> failing_sms;
    SwitchableSms sms;
    std::shared_ptr<const ClientDirectory> clients;
    std::shared_ptr<Logger> access_log;
    std::shared_ptr<Logger> server_log;
    std::unique_ptr<RunningServer> server;

  private:
    RaApi();
};

// The code in the last message the working gateway received.
std::string last_sms_code(const FakeSmsGateway& gateway);

}  // namespace signet::testing
