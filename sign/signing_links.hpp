#pragma once

// Signing links (issue 13 "Telling the next party"): the e-mail to a due signer carries
// `link_base + token`, where the token is a single-use capability: whoever holds it may open
// that signer's signing page, nobody else needs to authenticate for it. 32 random bytes from
// OpenSSL's CSPRNG (RAND_priv_bytes), written as base64url without padding (RFC 4648 §5): 43
// characters, safe in a URL path. Only the token's SHA-256 is stored (store migration 12,
// table signing_links), so a copy of the database opens nothing.
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "store/contract_notifications.hpp"
#include "store/database.hpp"

namespace signet::sign {

inline constexpr std::size_t kSigningTokenBytes = 32;
inline constexpr std::size_t kSigningTokenChars = 43;  // base64url of 32 bytes, no padding

// What a valid token opens.
struct SigningLinkTarget {
    std::string contract_id;
    int position = 0;
    Clock::time_point expires_at;
};

// What a token is now, for the one who holds it: the signing page tells an expired link from a
// used one (the holder knew the token, so this tells nobody anything new; a guessed token is
// unknown like any other string).
enum class SigningLinkState { open, used, expired, unknown };
struct SigningLinkStatus {
    SigningLinkState state = SigningLinkState::unknown;
    std::optional<SigningLinkTarget> target;  // whom it was for; nullopt when unknown
};

// Whether `token` has a token's form (43 base64url characters); anything else is unknown.
bool is_signing_token(std::string_view token) noexcept;

// Thread-safe.
class SigningLinks {
  public:
    SigningLinks(store::Database& database, store::SigningLinkRepository& links,
                 const Clock& clock)
        : database_(database), links_(links), clock_(clock) {}

    // A new token for signer `position` of the contract, valid until `expires_at`, stored (its
    // hash) in the caller's transaction. Errc::invalid_argument when `expires_at` is not after
    // now; Errc::failed_precondition when the contract has no such signer.
    std::string issue(store::Connection& tx, std::string_view contract_id, int position,
                      Clock::time_point expires_at);
    // The contract and signer the token opens when it is known, unexpired and unused; nullopt
    // otherwise (also for a string that is not a token). The first form reads on a pooled
    // connection of its own.
    std::optional<SigningLinkTarget> resolve(std::string_view token);
    std::optional<SigningLinkTarget> resolve(store::Connection& tx, std::string_view token);
    // The token's state (its own pooled connection), whatever it is.
    SigningLinkStatus inspect(std::string_view token);
    // Marks the token used in the caller's transaction (the signing route, when the signature
    // is made): true once; false when it is unknown, expired or already used (single use).
    bool consume(store::Connection& tx, std::string_view token);

  private:
    store::Database& database_;
    store::SigningLinkRepository& links_;
    const Clock& clock_;
};

}  // namespace signet::sign
