#pragma once

// Contract signing on real parts: the contract fixture (the RA's registry on a SoftHSM token and
// a PostgreSQL database, the CA of a real ceremony, the document vault, our TSA's responder with
// its own token and PKI) plus the one-time passwords (HMAC keyed in the token), certificates
// for keys the HSM generated and keeps wrapped (personal for the persons, e-seal for the
// organization), the CAs' CRLs, and the signing service over all of it. SMS messages are
// captured, not sent.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ca/authority.hpp"
#include "ra/hsm_keys.hpp"
#include "ra/otp.hpp"
#include "ra/otp_limits.hpp"
#include "ra/totp.hpp"
#include "sign/contract_signing.hpp"
#include "store/otp.hpp"
#include "tests/sign/contracts_fixture.hpp"

namespace signet::testing {

// Signet's own validation source for the CA's certificates (the store's CRLs: no OCSP responder
// here), and CRLs signed with the test TSA PKI's keys for the TSA's chain.
class FixtureValidation final : public sign::ValidationSource {
  public:
    FixtureValidation(std::unique_ptr<sign::ValidationSource> signet, const TsaFixture& tsa,
                      const Clock& clock);
    sign::ValidationData status_of(const X509* certificate, const X509* issuer) override;
    std::atomic<bool> down{false};  // Errc::unavailable for every certificate
    std::function<void()> before_status;  // called first, when set (a test's fault injection)

  private:
    std::unique_ptr<sign::ValidationSource> signet_;
    const TsaFixture& tsa_;
    const Clock& clock_;
};

struct SigningFixture : ContractsFixture {
    explicit SigningFixture(const std::string& database_name,
                            const std::function<void(policy::Ceremony&)>& adjust_ceremony = {});

    // A PDF contract (Ghostscript's) or a bytes one, created and sent.
    sign::Contract sent_contract(const std::string& format);
    // The due signer's SMS challenge and the code the captured message holds.
    struct Sms {
        sign::SigningChallenge challenge;
        std::string code;
        std::string message;
    };
    Sms sms(const sign::Contract& contract, int position);
    // Signs as signer `position` with a fresh SMS code.
    sign::Contract sign_with_sms(const sign::Contract& contract, int position);
    sign::SigningRequest request(const sign::Contract& contract, const Sms& sms) const;
    // The TOTP code of `subject` now (enrolled by the fixture for bob).
    std::string totp_now(std::int64_t subject);
    // The contract's current document.
    Bytes current_document(const sign::Contract& contract);
    Bytes revision_document(const sign::Contract& contract, int revision);
    std::string save(const std::string& name, ByteView bytes) const;
    // Root certificates that make both chains (the CA's and the TSA's) trusted.
    std::string anchors_pem() const;
    std::vector<X509Ptr> anchors() const;

    std::unique_ptr<ra::HsmOtpCrypto> crypto;
    ra::OtpPolicy otp_policy{};
    store::PostgresOtp otp_store;
    std::unique_ptr<ra::OtpLockouts> lockouts;
    std::unique_ptr<ra::OtpChallenges> challenges;
    std::unique_ptr<ra::Totp> totp;
    std::vector<std::string> messages;  // every SMS, in order
    std::unique_ptr<FixtureValidation> validation;
    std::map<std::int64_t, ca::Issued> certificates_of;  // by subject
    std::atomic<bool> signing_tsa_down{false};
    std::unique_ptr<sign::ContractSigning> signing;
    Bytes pdf;

    // A signing service on the same parts with other options.
    std::unique_ptr<sign::ContractSigning> signing_with(sign::ContractSigningOptions options);
    sign::ContractSigningDependencies dependencies(sign::ContractSigningOptions options);
    sign::TimeStamper stamper;
};

}  // namespace signet::testing
