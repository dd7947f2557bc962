// Signing links (sign/signing_links.hpp).
#include "sign/signing_links.hpp"

#include <openssl/rand.h>

#include <algorithm>

#include "common/digest.hpp"
#include "common/error.hpp"

namespace signet::sign {

namespace {

bool is_base64url_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

// RFC 4648 §5: the URL- and filename-safe alphabet, padding omitted (§3.2 allows it when the
// length is known: always 32 bytes here).
std::string base64url(ByteView bytes) {
    std::string text = to_base64(bytes);
    while (!text.empty() && text.back() == '=')
        text.pop_back();
    std::ranges::replace(text, '+', '-');
    std::ranges::replace(text, '/', '_');
    return text;
}

Bytes token_hash(std::string_view token) {
    const Sha256Digest digest = sha256_of(token);
    return Bytes(digest.begin(), digest.end());
}

}  // namespace

bool is_signing_token(std::string_view token) noexcept {
    return token.size() == kSigningTokenChars && std::ranges::all_of(token, is_base64url_char);
}

std::string SigningLinks::issue(store::Connection& tx, std::string_view contract_id,
                                int position, Clock::time_point expires_at) {
    const auto now = std::chrono::time_point_cast<std::chrono::microseconds>(clock_.now());
    if (expires_at <= now)
        throw Error(Errc::invalid_argument, "a signing link must expire after it is issued");
    Bytes random(kSigningTokenBytes);
    // The private generator: its output never leaves as anything but a secret (OpenSSL's
    // RAND_priv_bytes(3): "for values that should remain private").
    if (RAND_priv_bytes(random.data(), static_cast<int>(random.size())) != 1)
        throw Error(Errc::internal, "the random generator failed");
    std::string token = base64url(random);
    std::ranges::fill(random, 0);
    links_.insert(tx, {token_hash(token), std::string(contract_id), position, expires_at, now,
                       std::nullopt});
    return token;
}

std::optional<SigningLinkTarget> SigningLinks::resolve(std::string_view token) {
    if (!is_signing_token(token))
        return std::nullopt;
    return database_.with_connection(
        [&](store::Connection& connection) { return resolve(connection, token); });
}

std::optional<SigningLinkTarget> SigningLinks::resolve(store::Connection& tx,
                                                       std::string_view token) {
    if (!is_signing_token(token))
        return std::nullopt;
    const auto link = links_.find(tx, token_hash(token));
    if (!link || link->used_at || link->expires_at <= clock_.now())
        return std::nullopt;
    return SigningLinkTarget{link->contract_id, link->position, link->expires_at};
}

SigningLinkStatus SigningLinks::inspect(std::string_view token) {
    if (!is_signing_token(token))
        return {};
    const auto link = database_.with_connection(
        [&](store::Connection& connection) { return links_.find(connection, token_hash(token)); });
    if (!link)
        return {};
    SigningLinkStatus status;
    status.target = SigningLinkTarget{link->contract_id, link->position, link->expires_at};
    if (link->used_at)
        status.state = SigningLinkState::used;
    else if (link->expires_at <= clock_.now())
        status.state = SigningLinkState::expired;
    else
        status.state = SigningLinkState::open;
    return status;
}

bool SigningLinks::consume(store::Connection& tx, std::string_view token) {
    if (!is_signing_token(token))
        return false;
    return links_.mark_used(tx, token_hash(token), clock_.now());
}

}  // namespace signet::sign
