#include "ra/totp.hpp"

#include <liboath/oath.h>
#include <openssl/crypto.h>

#include <array>
#include <mutex>
#include <optional>

#include "common/text.hpp"

namespace signet::ra {

namespace {

constexpr std::size_t kSeedBytes = 20;  // RFC 4226 §4 R6: 160 bits recommended

void init_oath() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (const int rc = oath_init(); rc != OATH_OK)
            throw Error(Errc::internal, std::string("liboath: oath_init: ") + oath_strerror(rc));
    });
}

int oath_flags(TotpHash hash) {
    switch (hash) {
    case TotpHash::sha1: return 0;
    case TotpHash::sha256: return OATH_TOTP_HMAC_SHA256;
    case TotpHash::sha512: return OATH_TOTP_HMAC_SHA512;
    }
    return 0;
}

// A Secret's bytes as a view, for liboath and base32.
ByteView bytes_of(const Secret& secret) {
    return as_bytes(secret.view());
}

}  // namespace

std::string totp_code(std::string_view seed, std::int64_t unix_time, std::chrono::seconds period,
                      int digits, TotpHash hash) {
    if (digits < 6 || digits > 8)
        throw Error(Errc::invalid_argument, "'digits' is 6 to 8 (RFC 6238 §4)");
    if (unix_time < 0 || period.count() <= 0)
        throw Error(Errc::invalid_argument, "'time' is not before 1970 and 'period' positive");
    init_oath();
    std::array<char, 9> out{};
    const int rc = oath_totp_generate2(seed.data(), seed.size(), static_cast<time_t>(unix_time),
                                       static_cast<unsigned>(period.count()), 0,
                                       static_cast<unsigned>(digits), oath_flags(hash), out.data());
    if (rc != OATH_OK)
        throw Error(Errc::internal, std::string("liboath: oath_totp_generate2: ") + oath_strerror(rc));
    std::string code(out.data(), static_cast<std::size_t>(digits));
    OPENSSL_cleanse(out.data(), out.size());
    return code;
}

std::string base32(ByteView bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string out;
    out.reserve((bytes.size() * 8 + 4) / 5);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::uint8_t b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
    }
    if (bits > 0)
        out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
    buffer = 0;
    return out;
}

std::string percent_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

Totp::Totp(store::Database& database, store::OtpRepository& repository, OtpCrypto& crypto,
           OtpLockouts& lockouts, audit::AuditLog& audit, const Clock& clock)
    : database_(database),
      repository_(repository),
      crypto_(crypto),
      lockouts_(lockouts),
      audit_(audit),
      clock_(clock) {
    init_oath();
}

Secret Totp::enrol(std::int64_t subject_id, std::string_view account, const std::string& actor,
                   TotpEnrolment mode) {
    if (subject_id <= 0)
        throw Error(Errc::invalid_argument, "'subject_id' is a positive integer");
    if (const auto problem = name_text_problem(account))
        throw Error(Errc::invalid_argument, "'account' " + *problem);
    const std::size_t length = utf8_length(account).value_or(0);
    if (length == 0 || length > 64)
        throw Error(Errc::invalid_argument, "'account' is 1 to 64 characters");
    const OtpPolicy& p = lockouts_.policy();

    Bytes raw = crypto_.random(kSeedBytes);
    const Secret seed(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
    OPENSSL_cleanse(raw.data(), raw.size());
    const store::TotpEnrolmentRecord record{subject_id, crypto_.wrap_seed(bytes_of(seed)),
                                            crypto_.kek_label(), std::nullopt, clock_.now()};
    const bool replace = mode == TotpEnrolment::replace;
    database_.transaction([&](store::Connection& tx) {
        require_active_subject(repository_, tx, subject_id);
        if (!repository_.put_totp(tx, record, replace))
            throw Error(Errc::already_exists,
                        "subject " + std::to_string(subject_id) +
                            " is already enrolled for TOTP; replacing its seed is a separate, "
                            "more privileged request");
        audit_.record(tx, {.type = "otp.totp_enrolled",
                           .actor = actor,
                           .object = "subject:" + std::to_string(subject_id),
                           .details = {{"kek_label", record.kek_label},
                                       {"digits", p.totp_digits},
                                       {"period_seconds", p.totp_period.count()},
                                       {"replaced", replace}}});
    });

    const std::string issuer = percent_encode(p.issuer);
    std::string uri = "otpauth://totp/" + issuer + ":" + percent_encode(account) + "?secret=";
    std::string secret = base32(bytes_of(seed));
    uri += secret;
    OPENSSL_cleanse(secret.data(), secret.size());
    uri += "&issuer=" + issuer + "&algorithm=SHA1&digits=" + std::to_string(p.totp_digits) +
           "&period=" + std::to_string(p.totp_period.count());
    Secret result(uri);
    OPENSSL_cleanse(uri.data(), uri.size());
    return result;
}

void Totp::verify(std::int64_t subject_id, std::string_view code) {
    const OtpPolicy& p = lockouts_.policy();
    check_code_format(code, p.totp_digits);
    const auto now = clock_.now();
    const std::int64_t unix_time =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t step = unix_time / p.totp_period.count();
    const std::optional<Refusal> refusal =
        database_.transaction([&](store::Connection& tx) -> std::optional<Refusal> {
            require_active_subject(repository_, tx, subject_id);
            if (auto locked = lockouts_.refuse_if_locked(tx, subject_id, now))
                return locked;
            const auto enrolment = repository_.find_totp(tx, subject_id);
            if (!enrolment)
                return Refusal{OtpFailure::not_found,
                               "subject " + std::to_string(subject_id) + " has no TOTP enrolment",
                               OtpRefusalDetails()};
            const Secret seed = crypto_.unwrap_seed(enrolment->wrapped_seed);
            // Every step of the window is computed and compared in constant time, so the time
            // taken does not tell which step (if any) matched.
            std::optional<std::int64_t> fresh, replayed;
            for (std::int64_t s = step - p.totp_window; s <= step + p.totp_window; ++s) {
                if (s < 0)
                    continue;
                std::string expected = totp_code(seed.view(), s * p.totp_period.count(),
                                                 p.totp_period, p.totp_digits);
                const bool match = constant_time_equal(as_bytes(expected), as_bytes(code));
                OPENSSL_cleanse(expected.data(), expected.size());
                if (!match)
                    continue;
                if (enrolment->last_step && s <= *enrolment->last_step)
                    replayed = s;
                else if (!fresh)
                    fresh = s;
            }
            if (fresh && repository_.advance_totp_step(tx, subject_id, *fresh))
                return std::nullopt;
            if (fresh || replayed)
                return Refusal{OtpFailure::already_used,
                               "this TOTP code (its time step) was already used; wait for the "
                               "next code",
                               OtpRefusalDetails()};
            return lockouts_.count_failure(tx, subject_id, now, "totp", p.max_failures);
        });
    if (refusal)
        refusal->raise();
}

}  // namespace signet::ra
