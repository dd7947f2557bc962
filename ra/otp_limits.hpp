#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "audit/log.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/database.hpp"
#include "store/otp.hpp"

namespace signet::ra {

// The OTP rules (ra/README.md "One-time passwords"); ra::otp_policy (ra/settings.hpp) fills them
// from signet.yaml's otp section.
struct OtpPolicy {
    // Challenges (codes sent by SMS...).
    int digits = 6;                          // 6-8
    std::chrono::seconds lifetime{300};      // 30 s - 1 h
    int max_attempts = 5;                    // wrong codes that void a challenge, 1-20
    // Per subject, over challenges and TOTP together.
    int max_failures = 10;                   // wrong codes within failure_window that lock, 2-100
    std::chrono::seconds failure_window{3600};
    std::chrono::seconds lockout{1800};      // until an officer unlocks, or this long
    // Sending.
    std::chrono::seconds min_send_interval{60};  // per subject; 0 = none
    int max_sends_per_hour = 10;                 // per subject, 1-1000
    int max_client_sends_per_minute = 60;        // per API client, 1-100000
    // The text sent: "{code}" once (the code), "{minutes}" optionally (the lifetime).
    std::string message = "Signet code {code}, valid for {minutes} minutes. Never share it.";
    // TOTP (RFC 6238): 6-8 digits, a period of 30 or 60 s, ±window steps accepted (0-2).
    int totp_digits = 6;
    std::chrono::seconds totp_period{30};
    int totp_window = 1;
    std::string issuer = "Signet";  // the otpauth:// issuer
};

// Errc::invalid_argument naming the field ("'otp.digits' is 6 to 8").
void validate(const OtpPolicy& policy);

// Why an OTP was refused or not sent: each its own error, so the API gives each its own problem
// type (rate_limited -> 429 with Retry-After).
enum class OtpFailure { wrong_code, expired, already_used, voided, locked, not_found, rate_limited };
std::string_view to_string(OtpFailure failure) noexcept;

// What a client needs to act on a refusal (the API puts it in the problem details).
struct OtpRefusalDetails {
    int attempts_left = 0;                          // wrong_code
    std::optional<Clock::time_point> locked_until;  // locked
    std::chrono::seconds retry_after{0};            // rate_limited (at least 1 s)

    static OtpRefusalDetails attempts(int left) {
        OtpRefusalDetails d;
        d.attempts_left = left;
        return d;
    }
    static OtpRefusalDetails locked(std::optional<Clock::time_point> until) {
        OtpRefusalDetails d;
        d.locked_until = until;
        return d;
    }
    static OtpRefusalDetails retry(std::chrono::seconds after) {
        OtpRefusalDetails d;
        d.retry_after = after;
        return d;
    }
};

class OtpError : public Error {
  public:
    using Details = OtpRefusalDetails;
    OtpError(OtpFailure failure, const std::string& message, Details details = Details());
    OtpFailure failure() const noexcept { return failure_; }
    const Details& details() const noexcept { return details_; }

  private:
    OtpFailure failure_;
    Details details_;
};

// Errc of each failure: wrong_code, locked -> permission_denied; expired, already_used, voided
// -> failed_precondition; not_found -> not_found; rate_limited -> unavailable.
Errc errc_for(OtpFailure failure) noexcept;

// Throws Errc::invalid_argument unless `code` is exactly `digits` ASCII digits (never echoing
// it: "'code' is 6 ASCII digits").
void check_code_format(std::string_view code, int digits);
// CRYPTO_memcmp over equal lengths: the time does not depend on where the values differ.
bool constant_time_equal(ByteView a, ByteView b) noexcept;

// A refusal decided inside a transaction and thrown after it committed (so the attempt counts
// it recorded stay).
struct Refusal {
    OtpFailure failure;
    std::string message;
    OtpError::Details details;
    [[noreturn]] void raise() const { throw OtpError(failure, message, details); }
};

// Codes are only for active subjects: throws OtpError not_found when the subject does not exist
// and Errc::failed_precondition when it is deactivated. Holds the subject's row to the commit
// (OtpRepository::hold_subject_status), so no code is sent, enrolled or accepted for a subject
// whose deactivation committed first, and a deactivation waits for a verification under way.
void require_active_subject(store::OtpRepository& repository, store::Connection& tx,
                            std::int64_t subject_id);

// The per-subject attempt limit and lockout, shared by challenges and TOTP.
class OtpLockouts {
  public:
    OtpLockouts(store::Database& database, store::OtpRepository& repository,
                audit::AuditLog& audit, const Clock& clock, const OtpPolicy& policy);

    // A refusal when the subject's OTPs are locked at `now`.
    std::optional<Refusal> refuse_if_locked(store::Connection& tx, std::int64_t subject_id,
                                            Clock::time_point now);
    // Counts one wrong code; at the limit, locks the subject and records the audit event
    // "otp.subject_locked" in the same transaction. Returns the refusal to give: locked, or
    // wrong_code with the attempts left (the fewer of the subject's and `challenge_left`).
    Refusal count_failure(store::Connection& tx, std::int64_t subject_id, Clock::time_point now,
                          std::string_view method, int challenge_left);
    // An officer lifts a lockout ("otp.subject_unlocked", by `actor`). False when the subject
    // was not locked.
    bool unlock(std::int64_t subject_id, const std::string& actor);

    const OtpPolicy& policy() const noexcept { return policy_; }

  private:
    store::Database& database_;
    store::OtpRepository& repository_;
    audit::AuditLog& audit_;
    const Clock& clock_;
    OtpPolicy policy_;
};

}  // namespace signet::ra
