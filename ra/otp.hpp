#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "ra/otp_crypto.hpp"
#include "ra/otp_limits.hpp"
#include "store/database.hpp"
#include "store/otp.hpp"

namespace signet::ra {

// Delivers a message holding a code (the SMS gateway, ra::SmsGateway, in signetd). Throws
// signet::Error when it could not deliver.
using OtpTransport =
    std::function<void(const std::string& destination, const std::string& message)>;

// The purposes of codes that sign a contract revision (sign/contract_signing.hpp) begin so. Only
// the signing routes issue and check them: the RA's generic OTP routes refuse such a purpose, so
// no code that signs reaches a signer in a message that does not name the contract.
inline constexpr std::string_view kContractSigningPurpose = "contract-sign:";

struct ChallengeRequest {
    std::int64_t subject_id = 0;
    std::string purpose{};                // what the code authorizes: 1-200 printable ASCII
    std::string channel = "sms";          // [a-z0-9_-]{1,32}
    std::string destination{};            // e.g. the subject's E.164 number; not stored here
    std::optional<std::string> client{};  // the API client asking, for its rate limit
    // The message instead of the policy's (otp.message): the contract signing's names the
    // contract and the revision the code signs. Holds "{code}" once, before any text a caller
    // filled in (the code replaces the first "{code}"), may hold "{minutes}"; at most 480 bytes.
    std::optional<std::string> message{};
};

struct IssuedChallenge {
    std::string id;  // 32 lowercase hex digits: what verify() is given back
    Clock::time_point expires_at;
};

// One-time codes sent to a subject (issue 12): N digits from the HSM's generator, stored only as
// an HSM-keyed HMAC, short-lived, single use, with attempt limits per challenge and per subject
// and sending rate limits per subject and per client. Thread-safe (state is in the database).
class OtpChallenges {
  public:
    OtpChallenges(store::Database& database, store::OtpRepository& repository,
                  OtpCrypto& crypto, OtpLockouts& lockouts, const Clock& clock);

    // Makes a code, stores its hash and sends it through `transport`; the code leaves this
    // object only in the message. Refused (OtpError) when the subject is locked (locked) or does
    // not exist (not_found), or a sending limit is reached (rate_limited, with retry_after).
    // When the transport throws, the challenge is voided and its error goes on: no usable code
    // is left behind. Errc::invalid_argument naming the field for a bad request.
    IssuedChallenge issue(const ChallengeRequest& request, const OtpTransport& transport);

    // Accepts `code` once for the challenge, subject and purpose it was issued for; otherwise
    // throws OtpError: not_found (no such challenge for this subject and purpose), locked,
    // already_used, voided, expired, or wrong_code with the attempts left. A wrong code counts
    // against the challenge (max_attempts voids it) and the subject (max_failures locks it).
    // `code` must be exactly policy.digits ASCII digits (Errc::invalid_argument otherwise,
    // nothing counted).
    void verify(std::string_view challenge_id, std::int64_t subject_id, std::string_view purpose,
                std::string_view code);

  private:
    Bytes code_hash(std::int64_t subject_id, std::string_view purpose, std::string_view id,
                    std::string_view code);
    std::string make_code(int digits);
    void check_send_limits(store::Connection& tx, const ChallengeRequest& request,
                           Clock::time_point now);

    store::Database& database_;
    store::OtpRepository& repository_;
    OtpCrypto& crypto_;
    OtpLockouts& lockouts_;
    const Clock& clock_;
};

}  // namespace signet::ra
