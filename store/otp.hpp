#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::store {

// One OTP challenge (store migration 7, table otp_challenges). The code itself is never here:
// code_hash is the HSM-keyed HMAC of (subject, purpose, id, code) (ra/otp.hpp).
struct OtpChallengeRecord {
    std::string id;  // 32 lowercase hex digits (128 random bits)
    std::int64_t subject_id = 0;
    std::string purpose;
    std::string channel;                // "sms", ...
    std::optional<std::string> client;  // the API client that asked for it
    int digits = 6;
    Bytes code_hash;
    Clock::time_point expires_at;
    int attempts = 0;  // wrong codes so far
    std::optional<Clock::time_point> consumed_at;
    std::optional<Clock::time_point> voided_at;
    std::string voided_reason;  // "attempts", "transport", "deactivated", "mobile_changed" or empty
    Clock::time_point created_at;
};

// One TOTP enrolment (table otp_totp): the seed only as the HSM wrapped it.
struct TotpEnrolmentRecord {
    std::int64_t subject_id = 0;
    Bytes wrapped_seed;
    std::string kek_label;
    std::optional<std::int64_t> last_step;  // the last accepted RFC 6238 time step
    Clock::time_point created_at;
};

// A subject's wrong codes and lockout (table otp_subjects).
struct OtpSubjectState {
    int failures = 0;  // within the current window
    std::optional<Clock::time_point> window_started_at;
    std::optional<Clock::time_point> locked_until;
    int lockouts = 0;  // ever
};

// How a wrong code was counted against a subject.
struct SubjectFailure {
    int failures = 0;  // in the window, after this one (0 when this one locked the subject)
    std::optional<Clock::time_point> locked_until;
    bool locked_now = false;  // this failure reached the limit and set the lockout
};

// Recent challenges of a subject or a client, for the sending rate limits.
struct SendWindow {
    std::int64_t count = 0;
    std::optional<Clock::time_point> oldest, newest;
};

// The OTP tables. Every method runs in the caller's transaction, so a change and its audit
// event commit together; the state changes are single conditional statements (no
// read-then-write), safe under READ COMMITTED with concurrent callers.
class OtpRepository {
  public:
    virtual ~OtpRepository() = default;

    // Errc::failed_precondition (the foreign key) when the subject does not exist.
    virtual void insert_challenge(Connection& tx, const OtpChallengeRecord& challenge) = 0;
    virtual std::optional<OtpChallengeRecord> find_challenge(Connection& tx,
                                                             std::string_view id) = 0;
    // Marks the challenge used if, at this instant, it is neither used nor void nor expired and
    // its subject is not locked. True when this call consumed it (of two concurrent callers,
    // exactly one).
    virtual bool consume_challenge(Connection& tx, std::string_view id, Clock::time_point now) = 0;
    // Counts a wrong code against an open challenge, voiding it ("attempts") when the count
    // reaches max_attempts. The count after it, or nullopt when the challenge was no longer
    // open (used or void meanwhile).
    virtual std::optional<int> count_wrong_code(Connection& tx, std::string_view id,
                                                Clock::time_point now, int max_attempts) = 0;
    // Voids an open challenge (reason "transport" or "attempts"); false when it was not open.
    virtual bool void_challenge(Connection& tx, std::string_view id, Clock::time_point now,
                                std::string_view reason) = 0;
    // Voids every open challenge of the subject (reason "deactivated" or "mobile_changed");
    // how many were open.
    virtual std::int64_t void_subject_challenges(Connection& tx, std::int64_t subject_id,
                                                 Clock::time_point now,
                                                 std::string_view reason) = 0;

    // The subject's status ("active" or "deactivated"; nullopt when there is no such subject),
    // its subjects row held FOR SHARE to the commit: a deactivation waits for this transaction,
    // and this transaction sees a deactivation that committed first.
    virtual std::optional<std::string> hold_subject_status(Connection& tx,
                                                           std::int64_t subject_id) = 0;
    // The subject's row, created (no failures) when missing, and locked FOR UPDATE until the
    // transaction ends: issuing takes it, so the rate limits count without a race.
    virtual OtpSubjectState lock_subject(Connection& tx, std::int64_t subject_id,
                                         Clock::time_point now) = 0;
    // The subject's row as it is (no failures when missing), without a lock.
    virtual OtpSubjectState subject_state(Connection& tx, std::int64_t subject_id) = 0;
    // Counts a wrong code against the subject, in one statement: a window older than
    // window_start starts again at this failure; the limit-th failure of a window sets
    // locked_until = lock_until and starts a new window.
    virtual SubjectFailure count_subject_failure(Connection& tx, std::int64_t subject_id,
                                                 Clock::time_point now,
                                                 Clock::time_point window_start, int limit,
                                                 Clock::time_point lock_until) = 0;
    // Lifts a lockout still in force at `now` (an officer's unlock); false when there was none.
    virtual bool unlock_subject(Connection& tx, std::int64_t subject_id, Clock::time_point now) = 0;

    // Challenges created after `since` for the subject, or by the client.
    virtual SendWindow subject_sends(Connection& tx, std::int64_t subject_id,
                                     Clock::time_point since) = 0;
    virtual SendWindow client_sends(Connection& tx, std::string_view client,
                                    Clock::time_point since) = 0;

    // Inserts the subject's enrolment; with `replace`, replaces one that exists (last_step starts
    // again at none). False when there was one and `replace` was not given (nothing changed).
    virtual bool put_totp(Connection& tx, const TotpEnrolmentRecord& enrolment, bool replace) = 0;
    virtual std::optional<TotpEnrolmentRecord> find_totp(Connection& tx,
                                                         std::int64_t subject_id) = 0;
    // Removes the subject's enrolment (its wrapped seed with it); false when there was none.
    virtual bool delete_totp(Connection& tx, std::int64_t subject_id) = 0;
    // Records `step` as accepted if it is later than the last accepted one; false otherwise
    // (a replay, or a concurrent caller accepted it or a later one first).
    virtual bool advance_totp_step(Connection& tx, std::int64_t subject_id, std::int64_t step) = 0;
};

class PostgresOtp final : public OtpRepository {
  public:
    void insert_challenge(Connection& tx, const OtpChallengeRecord& challenge) override;
    std::optional<OtpChallengeRecord> find_challenge(Connection& tx, std::string_view id) override;
    bool consume_challenge(Connection& tx, std::string_view id, Clock::time_point now) override;
    std::optional<int> count_wrong_code(Connection& tx, std::string_view id, Clock::time_point now,
                                        int max_attempts) override;
    bool void_challenge(Connection& tx, std::string_view id, Clock::time_point now,
                        std::string_view reason) override;
    std::int64_t void_subject_challenges(Connection& tx, std::int64_t subject_id,
                                         Clock::time_point now, std::string_view reason) override;
    std::optional<std::string> hold_subject_status(Connection& tx,
                                                   std::int64_t subject_id) override;
    OtpSubjectState lock_subject(Connection& tx, std::int64_t subject_id,
                                 Clock::time_point now) override;
    OtpSubjectState subject_state(Connection& tx, std::int64_t subject_id) override;
    SubjectFailure count_subject_failure(Connection& tx, std::int64_t subject_id,
                                         Clock::time_point now, Clock::time_point window_start,
                                         int limit, Clock::time_point lock_until) override;
    bool unlock_subject(Connection& tx, std::int64_t subject_id, Clock::time_point now) override;
    SendWindow subject_sends(Connection& tx, std::int64_t subject_id,
                             Clock::time_point since) override;
    SendWindow client_sends(Connection& tx, std::string_view client,
                            Clock::time_point since) override;
    bool put_totp(Connection& tx, const TotpEnrolmentRecord& enrolment, bool replace) override;
    std::optional<TotpEnrolmentRecord> find_totp(Connection& tx, std::int64_t subject_id) override;
    bool delete_totp(Connection& tx, std::int64_t subject_id) override;
    bool advance_totp_step(Connection& tx, std::int64_t subject_id, std::int64_t step) override;
};

}  // namespace signet::store
