#include "ra/otp_limits.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace signet::ra {

namespace {

void require(bool ok, std::string_view field, std::string_view rule) {
    if (!ok)
        throw Error(Errc::invalid_argument,
                    "'otp." + std::string(field) + "' is " + std::string(rule));
}

std::size_t occurrences(std::string_view text, std::string_view needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string_view::npos;
         at = text.find(needle, at + needle.size()))
        ++count;
    return count;
}

std::string subject_object(std::int64_t subject_id) {
    return "subject:" + std::to_string(subject_id);
}

}  // namespace

void validate(const OtpPolicy& p) {
    using std::chrono::seconds;
    // Fewer than 6 digits is below RFC 4226 §5.3's minimum; more than 8 no phone shows well.
    require(p.digits >= 6 && p.digits <= 8, "digits", "6 to 8");
    require(p.lifetime >= seconds(30) && p.lifetime <= seconds(3600), "lifetime",
            "30 to 3600 seconds");
    require(p.max_attempts >= 1 && p.max_attempts <= 20, "max_attempts", "1 to 20");
    require(p.max_failures >= 2 && p.max_failures <= 100, "max_failures", "2 to 100");
    require(p.failure_window >= seconds(60) && p.failure_window <= seconds(7 * 86400),
            "failure_window", "60 seconds to 7 days");
    require(p.lockout >= seconds(60) && p.lockout <= seconds(30 * 86400), "lockout",
            "60 seconds to 30 days");
    require(p.min_send_interval >= seconds(0) && p.min_send_interval <= seconds(3600),
            "min_send_interval", "0 to 3600 seconds");
    require(p.max_sends_per_hour >= 1 && p.max_sends_per_hour <= 1000, "max_sends_per_hour",
            "1 to 1000");
    require(p.max_client_sends_per_minute >= 1 && p.max_client_sends_per_minute <= 100000,
            "max_client_sends_per_minute", "1 to 100000");
    require(occurrences(p.message, "{code}") == 1 && p.message.size() <= 300, "message",
            "at most 300 bytes holding '{code}' exactly once");
    require(p.totp_digits >= 6 && p.totp_digits <= 8, "totp_digits", "6 to 8 (RFC 6238 §4)");
    require(p.totp_period == seconds(30) || p.totp_period == seconds(60), "totp_period",
            "30 or 60 seconds (RFC 6238 §5.2 recommends 30)");
    require(p.totp_window >= 0 && p.totp_window <= 2, "totp_window", "0 to 2 steps");
    require(!p.issuer.empty() && p.issuer.size() <= 64 &&
                p.issuer.find(':') == std::string::npos,
            "issuer", "1 to 64 bytes without ':' (the otpauth label's separator)");
}

std::string_view to_string(OtpFailure failure) noexcept {
    switch (failure) {
    case OtpFailure::wrong_code: return "wrong_code";
    case OtpFailure::expired: return "expired";
    case OtpFailure::already_used: return "already_used";
    case OtpFailure::voided: return "voided";
    case OtpFailure::locked: return "locked";
    case OtpFailure::not_found: return "not_found";
    case OtpFailure::rate_limited: return "rate_limited";
    }
    return "unknown";
}

Errc errc_for(OtpFailure failure) noexcept {
    switch (failure) {
    case OtpFailure::wrong_code:
    case OtpFailure::locked: return Errc::permission_denied;
    case OtpFailure::expired:
    case OtpFailure::already_used:
    case OtpFailure::voided: return Errc::failed_precondition;
    case OtpFailure::not_found: return Errc::not_found;
    case OtpFailure::rate_limited: return Errc::unavailable;
    }
    return Errc::internal;
}

OtpError::OtpError(OtpFailure failure, const std::string& message, Details details)
    : Error(errc_for(failure), message), failure_(failure), details_(details) {}

void require_active_subject(store::OtpRepository& repository, store::Connection& tx,
                            std::int64_t subject_id) {
    const auto status = repository.hold_subject_status(tx, subject_id);
    if (!status)
        throw OtpError(OtpFailure::not_found,
                       "subject " + std::to_string(subject_id) + " does not exist");
    if (*status != "active")
        throw Error(Errc::failed_precondition,
                    "subject " + std::to_string(subject_id) + " is deactivated");
}

void check_code_format(std::string_view code, int digits) {
    const bool ok = code.size() == static_cast<std::size_t>(digits) &&
                    std::ranges::all_of(code, [](char c) { return c >= '0' && c <= '9'; });
    if (!ok)
        throw Error(Errc::invalid_argument,
                    "'code' is " + std::to_string(digits) + " ASCII digits (0-9)");
}

bool constant_time_equal(ByteView a, ByteView b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

OtpLockouts::OtpLockouts(store::Database& database, store::OtpRepository& repository,
                         audit::AuditLog& audit, const Clock& clock, const OtpPolicy& policy)
    : database_(database), repository_(repository), audit_(audit), clock_(clock), policy_(policy) {
    validate(policy_);
}

std::optional<Refusal> OtpLockouts::refuse_if_locked(store::Connection& tx,
                                                     std::int64_t subject_id,
                                                     Clock::time_point now) {
    const auto state = repository_.subject_state(tx, subject_id);
    if (!state.locked_until || *state.locked_until <= now)
        return std::nullopt;
    return Refusal{OtpFailure::locked,
                   "one-time passwords of subject " + std::to_string(subject_id) +
                       " are locked after too many wrong codes until " +
                       format_utc(*state.locked_until) + " (or an RA officer unlocks them)",
                   OtpRefusalDetails::locked(state.locked_until)};
}

Refusal OtpLockouts::count_failure(store::Connection& tx, std::int64_t subject_id,
                                   Clock::time_point now, std::string_view method,
                                   int challenge_left) {
    const auto counted = repository_.count_subject_failure(
        tx, subject_id, now, now - policy_.failure_window, policy_.max_failures,
        now + policy_.lockout);
    if (counted.locked_now) {
        // Recorded as the transaction's last step (the audit append lock is held to its end).
        audit_.record(tx, {.type = "otp.subject_locked",
                           .actor = "system",
                           .object = subject_object(subject_id),
                           .details = {{"wrong_codes", policy_.max_failures},
                                       {"window_seconds", policy_.failure_window.count()},
                                       {"locked_until", format_utc(*counted.locked_until)},
                                       {"method", std::string(method)}}});
    }
    if (counted.locked_until && *counted.locked_until > now)
        return {OtpFailure::locked,
                "wrong code; one-time passwords of subject " + std::to_string(subject_id) +
                    " are now locked until " + format_utc(*counted.locked_until) +
                    " (or an RA officer unlocks them)",
                OtpRefusalDetails::locked(counted.locked_until)};
    const int left = std::max(0, std::min(challenge_left, policy_.max_failures - counted.failures));
    return {OtpFailure::wrong_code,
            "'code' is wrong; " + std::to_string(left) + " attempt" + (left == 1 ? "" : "s") +
                " left" + (left == 0 ? " (request a new code)" : ""),
            OtpRefusalDetails::attempts(left)};
}

bool OtpLockouts::unlock(std::int64_t subject_id, const std::string& actor) {
    const auto now = clock_.now();
    return database_.transaction([&](store::Connection& tx) {
        if (!repository_.unlock_subject(tx, subject_id, now))
            return false;
        audit_.record(tx, {.type = "otp.subject_unlocked",
                           .actor = actor,
                           .object = subject_object(subject_id),
                           .details = nlohmann::json::object()});
        return true;
    });
}

}  // namespace signet::ra
