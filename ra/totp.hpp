#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "audit/log.hpp"
#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/secret.hpp"
#include "ra/otp_crypto.hpp"
#include "ra/otp_limits.hpp"
#include "store/database.hpp"
#include "store/otp.hpp"

namespace signet::ra {

// The HMAC of RFC 6238 §1.2 (TOTP may use HMAC-SHA-256 or HMAC-SHA-512 instead of SHA-1).
enum class TotpHash { sha1, sha256, sha512 };

// RFC 6238 §4.2: the `digits`-digit code (RFC 4226 §5.3 dynamic truncation) of the time step
// holding `unix_time` (T = floor(unix_time / period), T0 = 0), through liboath. Throws
// Errc::invalid_argument for digits outside 6-8 or a negative time.
std::string totp_code(std::string_view seed, std::int64_t unix_time, std::chrono::seconds period,
                      int digits, TotpHash hash = TotpHash::sha1);

// RFC 4648 §6 base32, without the '=' padding (the Key Uri Format leaves it out).
std::string base32(ByteView bytes);

// Percent-encodes all but RFC 3986 §2.3's unreserved characters (for the otpauth label).
std::string percent_encode(std::string_view text);

// Whether an enrolment may replace the subject's seed. Replacing is the more privileged act: a
// client that may only send and check codes must not be able to take a subject's authenticator
// over (the API gives `replace` to subjects:write and ra:officer clients only).
enum class TotpEnrolment { first, replace };

// TOTP enrolment and verification for subjects. The seed is 20 random bytes (160 bits, RFC 4226
// §4 R6 recommends it) from the HSM, stored only wrapped by the HSM's key-encryption key; the
// last accepted time step is stored, so each code is accepted once. Wrong codes count against
// the subject's limit (OtpLockouts). Thread-safe.
class Totp {
  public:
    Totp(store::Database& database, store::OtpRepository& repository, OtpCrypto& crypto,
         OtpLockouts& lockouts, audit::AuditLog& audit, const Clock& clock);

    // Enrols the subject and returns the otpauth:// URI
    // for its authenticator app (Key Uri Format: otpauth://totp/ISSUER:ACCOUNT?secret=BASE32
    // &issuer=ISSUER&algorithm=SHA1&digits=6&period=30), in secure memory: it holds the seed.
    // `account` names the subject in the app (1-64 characters of name text). Audit event
    // "otp.totp_enrolled" by `actor` (detail "replaced"). OtpError not_found when the subject
    // does not exist, Errc::failed_precondition when it is deactivated, Errc::already_exists when
    // it is enrolled and `mode` is first (nothing changed).
    Secret enrol(std::int64_t subject_id, std::string_view account, const std::string& actor,
                 TotpEnrolment mode = TotpEnrolment::first);

    // Accepts a code of the current time step or of totp_window steps either side, once: a
    // code of a step at or before the last accepted one is already_used (a replay). OtpError
    // not_found (not enrolled), locked, already_used or wrong_code (counted against the
    // subject). `code` must be exactly totp_digits ASCII digits (Errc::invalid_argument, nothing
    // counted).
    void verify(std::int64_t subject_id, std::string_view code);

  private:
    store::Database& database_;
    store::OtpRepository& repository_;
    OtpCrypto& crypto_;
    OtpLockouts& lockouts_;
    audit::AuditLog& audit_;
    const Clock& clock_;
};

}  // namespace signet::ra
