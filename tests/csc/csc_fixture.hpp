#pragma once

// The remote-signing service (csc/) on real parts: the RA's registry fixture (a SoftHSM token
// with the users' key-encryption key, a database of the shared PostgreSQL cluster, the audit
// log, the CA of a real ceremony), the RA's one-time passwords (HMAC keyed in the token, SMS
// messages captured), and our TSA's responder with its own token and PKI. Two platforms:
// "platform-a" registered alice (EC P-256 and RSA-2048 credentials, a mobile number) and bob
// (EC, TOTP enrolled); "platform-b" registered carol (EC); an operator registered dave (EC).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "csc/postgres_remote_signing.hpp"
#include "ra/hsm_keys.hpp"
#include "ra/otp.hpp"
#include "ra/otp_limits.hpp"
#include "ra/totp.hpp"
#include "store/otp.hpp"
#include "tests/ra/registry_fixture.hpp"
#include "tests/tsa/tsa_fixture.hpp"

namespace signet::testing {

// The audit log with a hook before each deferred event: a test's fault at the last step of a
// transaction (the database going away after the HSM signed, before the commit).
class HookedAuditLog final : public audit::AuditLog {
  public:
    explicit HookedAuditLog(audit::AuditLog& log) : log_(log) {}
    audit::RecordedEvent record(const audit::AuditEvent& event) override {
        return log_.record(event);
    }
    audit::RecordedEvent record(store::Connection& tx, const audit::AuditEvent& event) override {
        return log_.record(tx, event);
    }
    void defer(store::Connection& tx, const audit::AuditEvent& event) override {
        if (before_defer)
            before_defer(event);
        log_.defer(tx, event);
    }
    std::size_t drain(std::size_t max_events) override { return log_.drain(max_events); }
    std::function<void(const audit::AuditEvent&)> before_defer;

  private:
    audit::AuditLog& log_;
};

// `operation` throws CscError `failure` whose description begins with `description` (the CSC
// API's own text; the service may add why in parentheses).
template <class F>
void expect_csc(F&& operation, csc::CscFailure failure, const std::string& description) {
    try {
        operation();
        BOOST_ERROR("expected " << csc::to_string(failure) << " '" << description << "'");
    } catch (const csc::CscError& e) {
        BOOST_TEST_MESSAGE("refused as expected: " << e.what());
        BOOST_CHECK_EQUAL(csc::to_string(e.failure()), csc::to_string(failure));
        BOOST_CHECK_MESSAGE(std::string_view(e.what()).starts_with(description),
                            "'" << e.what() << "' does not begin with '" << description << "'");
    }
}

// The TSA's token, made before the registry's opens the module (TsaFixtureOptions::token).
struct CscTsaTokenFirst {
    hsm::TokenConfig tsa_token = SoftHsm::instance().new_token("csc-tsa");
};

struct CscFixture : CscTsaTokenFirst, RegistryFixture {
    explicit CscFixture(const std::string& database_name, csc::Settings settings = {});

    static inline const csc::Caller kPlatformA{"platform-a", "192.0.2.10"};
    static inline const csc::Caller kPlatformB{"platform-b", "192.0.2.20"};

    // The credentialID of an issued certificate (its serial in uppercase hex).
    static std::string id_of(const ca::Issued& issued);
    static Bytes sha256(const std::string& text);

    // Sends alice's (or another's) SMS code for `credential` and returns it from the message.
    std::string sms_code(const csc::Caller& caller, const std::string& credential);
    // The TOTP code of `subject` now; the clock moves a step on first, so each is new.
    std::string next_totp(std::int64_t subject);
    // An authorize request by SMS code (sent first) for `hashes`.
    csc::AuthorizeRequest by_sms(const csc::Caller& caller, const std::string& credential,
                                 std::vector<Bytes> hashes, int num_signatures);
    csc::Activation authorize(const csc::Caller& caller, const std::string& credential,
                              std::vector<Bytes> hashes, int num_signatures);
    csc::SignHashRequest sign_request(const std::string& credential, const std::string& sad,
                                      std::vector<Bytes> hashes,
                                      hsm::Padding padding = hsm::Padding::ecdsa) const;

    // Whether `signature` over `hash` verifies with the certificate's public key (OpenSSL's
    // default provider, EVP_PKEY_verify of the raw digest).
    static bool verifies(const ca::Issued& issued, Digest digest, hsm::Padding padding,
                         const Bytes& signature, const Bytes& hash);
    // The audit log after the outbox drained: the service defers its events.
    std::vector<audit::RecordedEvent> drained_events();
    std::vector<audit::RecordedEvent> events_of_type(const std::string& type);
    // Every row of the CSC tables, as one text: what a refusal must leave as it was.
    std::string csc_tables();

    TsaFixture tsa;
    std::unique_ptr<ra::HsmOtpCrypto> crypto;
    ra::OtpPolicy otp_policy{};
    store::PostgresOtp otp_store;
    std::unique_ptr<ra::OtpLockouts> lockouts;
    std::unique_ptr<ra::OtpChallenges> challenges;
    std::unique_ptr<ra::Totp> totp;
    std::vector<std::string> messages;  // every SMS, in order
    HookedAuditLog hooked_audit{audit};
    store::Subject alice, bob, carol, dave;
    ca::Issued alice_ec, alice_rsa, bob_ec, carol_ec, dave_ec;
    std::string alice_ec_id, alice_rsa_id, bob_ec_id, carol_ec_id, dave_ec_id;
    std::unique_ptr<csc::RemoteSigning> service;
};

}  // namespace signet::testing
