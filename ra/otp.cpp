#include "ra/otp.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace signet::ra {

namespace {

using std::chrono::seconds;

// A string holding a code or a message with one: wiped when it goes away.
struct Wiped {
    std::string text;
    ~Wiped() { OPENSSL_cleanse(text.data(), text.size()); }
};

void check_request(const ChallengeRequest& r) {
    if (r.subject_id <= 0)
        throw Error(Errc::invalid_argument, "'subject_id' is a positive integer");
    const bool purpose_ok =
        !r.purpose.empty() && r.purpose.size() <= 200 &&
        std::ranges::all_of(r.purpose, [](char c) { return c >= 0x20 && c <= 0x7e; });
    if (!purpose_ok)
        throw Error(Errc::invalid_argument, "'purpose' is 1 to 200 printable ASCII characters");
    const bool channel_ok =
        !r.channel.empty() && r.channel.size() <= 32 && std::ranges::all_of(r.channel, [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        });
    if (!channel_ok)
        throw Error(Errc::invalid_argument, "'channel' is 1 to 32 of a-z 0-9 _ -");
    if (r.destination.empty() || r.destination.size() > 200)
        throw Error(Errc::invalid_argument, "'destination' is 1 to 200 bytes");
    if (r.client && (r.client->empty() || r.client->size() > 200))
        throw Error(Errc::invalid_argument, "'client' is 1 to 200 bytes when given");
    if (r.message && (r.message->size() > 480 || r.message->find("{code}") == std::string::npos))
        throw Error(Errc::invalid_argument,
                    "'message' holds {code} and is at most 480 bytes when given");
}

void check_id(std::string_view id) {
    const bool ok = id.size() == 32 && std::ranges::all_of(id, [](char c) {
                        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                    });
    if (!ok)
        throw Error(Errc::invalid_argument, "'challenge_id' is 32 lowercase hex digits");
}

void append_u64(Bytes& out, std::uint64_t v, int octets) {
    for (int i = octets - 1; i >= 0; --i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void append_field(Bytes& out, std::string_view field) {
    append_u64(out, field.size(), 4);
    out.insert(out.end(), field.begin(), field.end());
}

// Whole seconds until `at`, rounded up, at least 1 (HTTP Retry-After, RFC 9110 §10.2.3).
seconds retry_after(Clock::time_point at, Clock::time_point now) {
    const auto wait = std::chrono::ceil<seconds>(at - now);
    return std::max(wait, seconds(1));
}

[[noreturn]] void rate_limited(const std::string& what, Clock::time_point until,
                               Clock::time_point now) {
    const auto wait = retry_after(until, now);
    throw OtpError(OtpFailure::rate_limited,
                   what + "; retry in " + std::to_string(wait.count()) + " s",
                   OtpRefusalDetails::retry(wait));
}

// The reasons of store migrations 7 and 9, as the refusal tells them.
std::string void_cause(std::string_view reason) {
    if (reason == "attempts")
        return "after too many wrong codes; request a new code";
    if (reason == "mobile_changed")
        return "(the subject's mobile number changed after it was sent); request a new code";
    if (reason == "deactivated")
        return "(the subject was deactivated)";
    return "(its code could not be sent); request a new code";
}

// Why a challenge that is not (or no longer) open refuses a code.
std::optional<Refusal> closed(const store::OtpChallengeRecord& c, Clock::time_point now) {
    if (c.consumed_at)
        return Refusal{OtpFailure::already_used, "the code of this challenge was already used",
                       OtpRefusalDetails()};
    if (c.voided_at)
        return Refusal{OtpFailure::voided, "this challenge is void " + void_cause(c.voided_reason),
                       OtpRefusalDetails()};
    if (c.expires_at <= now)
        return Refusal{OtpFailure::expired,
                       "the code of this challenge expired at " + format_utc(c.expires_at) +
                           "; request a new code",
                       OtpRefusalDetails()};
    return std::nullopt;
}

}  // namespace

OtpChallenges::OtpChallenges(store::Database& database, store::OtpRepository& repository,
                             OtpCrypto& crypto, OtpLockouts& lockouts, const Clock& clock)
    : database_(database),
      repository_(repository),
      crypto_(crypto),
      lockouts_(lockouts),
      clock_(clock) {}

// HMAC over an unambiguous encoding (fixed or length-prefixed fields), binding the code to its
// subject, purpose and challenge: a hash copied to another row never matches there.
Bytes OtpChallenges::code_hash(std::int64_t subject_id, std::string_view purpose,
                               std::string_view id, std::string_view code) {
    Bytes input;
    input.reserve(64 + purpose.size());
    append_field(input, "signet otp challenge v1");
    append_u64(input, static_cast<std::uint64_t>(subject_id), 8);
    append_field(input, purpose);
    append_field(input, id);
    append_field(input, code);
    Bytes hash = crypto_.keyed_hash(input);
    OPENSSL_cleanse(input.data(), input.size());
    return hash;
}

// Uniform digits: a random octet below 250 (25 * 10) gives its value mod 10, others are drawn
// again (rejection sampling: a plain `% 10` of 0-255 would favour 0-5).
std::string OtpChallenges::make_code(int digits) {
    std::string code;
    code.reserve(static_cast<std::size_t>(digits));
    while (code.size() < static_cast<std::size_t>(digits)) {
        Bytes batch = crypto_.random(static_cast<std::size_t>(digits) + 4);
        for (std::uint8_t b : batch) {
            if (b < 250 && code.size() < static_cast<std::size_t>(digits))
                code.push_back(static_cast<char>('0' + b % 10));
        }
        OPENSSL_cleanse(batch.data(), batch.size());
    }
    return code;
}

void OtpChallenges::check_send_limits(store::Connection& tx, const ChallengeRequest& r,
                                      Clock::time_point now) {
    const OtpPolicy& p = lockouts_.policy();
    const auto hour = repository_.subject_sends(tx, r.subject_id, now - std::chrono::hours(1));
    if (p.min_send_interval.count() > 0 && hour.newest && *hour.newest + p.min_send_interval > now)
        rate_limited("a code was sent to this subject less than " +
                         std::to_string(p.min_send_interval.count()) + " s ago",
                     *hour.newest + p.min_send_interval, now);
    if (hour.count >= p.max_sends_per_hour)
        rate_limited("this subject was sent " + std::to_string(hour.count) +
                         " codes in the last hour (at most " +
                         std::to_string(p.max_sends_per_hour) + ")",
                     *hour.oldest + std::chrono::hours(1), now);
    if (!r.client)
        return;
    const auto minute = repository_.client_sends(tx, *r.client, now - std::chrono::minutes(1));
    if (minute.count >= p.max_client_sends_per_minute)
        rate_limited("this client sent " + std::to_string(minute.count) +
                         " codes in the last minute (at most " +
                         std::to_string(p.max_client_sends_per_minute) + ")",
                     *minute.oldest + std::chrono::minutes(1), now);
}

IssuedChallenge OtpChallenges::issue(const ChallengeRequest& r, const OtpTransport& transport) {
    check_request(r);
    const OtpPolicy& p = lockouts_.policy();
    const auto now = clock_.now();
    store::OtpChallengeRecord record;
    record.id = to_hex(crypto_.random(16));
    record.subject_id = r.subject_id;
    record.purpose = r.purpose;
    record.channel = r.channel;
    record.client = r.client;
    record.digits = p.digits;
    record.expires_at = now + p.lifetime;
    record.created_at = now;
    const Wiped code{make_code(p.digits)};
    record.code_hash = code_hash(r.subject_id, r.purpose, record.id, code.text);

    database_.transaction([&](store::Connection& tx) {
        const store::HeldSubject subject = require_active_subject(repository_, tx, r.subject_id);
        // The caller read the number before this transaction; a new one may have committed since
        // (and voided the challenges open then, not this one): send nothing to the old number.
        if (r.channel == "sms" && r.destination != subject.mobile)
            throw Error(Errc::failed_precondition,
                        "the mobile number of subject " + std::to_string(r.subject_id) +
                            " changed while the code was being sent; ask again");
        // The subject's row stays locked to the commit: concurrent issues for one subject
        // take turns, so the limits are counted without a race.
        repository_.lock_subject(tx, r.subject_id, now);
        if (auto refusal = lockouts_.refuse_if_locked(tx, r.subject_id, now))
            refusal->raise();
        check_send_limits(tx, r, now);
        repository_.insert_challenge(tx, record);
    });

    Wiped message{r.message.value_or(p.message)};
    message.text.reserve(message.text.size() + 16);
    message.text.replace(message.text.find("{code}"), 6, code.text);
    if (const auto at = message.text.find("{minutes}"); at != std::string::npos)
        message.text.replace(at, 9, std::to_string((p.lifetime.count() + 59) / 60));
    try {
        transport(r.destination, message.text);
    } catch (...) {
        // Nobody got the code, but the gateway may have half-delivered it: void it.
        try {
            database_.transaction([&](store::Connection& tx) {
                repository_.void_challenge(tx, record.id, clock_.now(), "transport");
            });
        } catch (const std::exception&) {
            // The database is gone too. The transport's error is the one to report; the code
            // exists nowhere now but perhaps in the gateway's hands, and expires at expires_at.
        }
        throw;
    }
    return {record.id, record.expires_at};
}

void OtpChallenges::verify(std::string_view id, std::int64_t subject_id, std::string_view purpose,
                           std::string_view code) {
    check_id(id);
    check_code_format(code, lockouts_.policy().digits);
    const auto now = clock_.now();
    const std::optional<Refusal> refusal =
        database_.transaction([&](store::Connection& tx) -> std::optional<Refusal> {
            const auto not_found = Refusal{
                OtpFailure::not_found, "no OTP challenge with this id for this subject and purpose",
                OtpRefusalDetails()};
            auto c = repository_.find_challenge(tx, id);
            if (!c || c->subject_id != subject_id || c->purpose != purpose)
                return not_found;
            require_active_subject(repository_, tx, subject_id);
            if (auto locked = lockouts_.refuse_if_locked(tx, subject_id, now))
                return locked;
            if (auto why = closed(*c, now))
                return why;
            const Bytes hash = code_hash(subject_id, purpose, id, code);
            if (c->digits == static_cast<int>(code.size()) &&
                constant_time_equal(hash, c->code_hash)) {
                if (repository_.consume_challenge(tx, id, now))
                    return std::nullopt;
            } else if (const auto attempts = repository_.count_wrong_code(
                           tx, id, now, lockouts_.policy().max_attempts)) {
                return lockouts_.count_failure(tx, subject_id, now, "challenge",
                                               lockouts_.policy().max_attempts - *attempts);
            }
            // A concurrent verify changed the challenge first (used it, voided it, locked the
            // subject): say what it is now.
            if (auto locked = lockouts_.refuse_if_locked(tx, subject_id, now))
                return locked;
            c = repository_.find_challenge(tx, id);
            if (!c)
                return not_found;
            if (auto why = closed(*c, now))
                return why;
            return Refusal{OtpFailure::already_used, "the code of this challenge was already used",
                           OtpRefusalDetails()};
        });
    if (refusal)
        refusal->raise();
}

}  // namespace signet::ra
