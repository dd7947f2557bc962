// Service authorization (CSC API §8.1, §11.2 auth/login, §11.3 auth/revoke; RFC 6749 §4.4 and
// RFC 7009 for oauth2/token and oauth2/revoke): short-lived access tokens, refresh tokens, and
// revocation. The edge has authenticated the platform; this is what its tokens are worth.
#include "common/error.hpp"
#include "csc/service_core.hpp"

namespace signet::csc::detail {

namespace {

constexpr store::Statement kInsertToken{
    "csc.insert_token",
    "INSERT INTO csc_tokens (token_sha256, client, kind, issued_at, expires_at, refresh_sha256) "
    "VALUES ($1, $2, $3, $4, $5, $6)"};

constexpr store::Statement kFindToken{
    "csc.find_token",
    "SELECT client, kind, expires_at, revoked_at FROM csc_tokens WHERE token_sha256 = $1"};

constexpr store::Statement kLockRefresh{
    "csc.lock_refresh",
    "SELECT client, kind, expires_at, revoked_at FROM csc_tokens WHERE token_sha256 = $1 "
    "FOR SHARE"};

constexpr store::Statement kRevokeToken{
    "csc.revoke_token",
    "UPDATE csc_tokens SET revoked_at = $3 "
    "WHERE token_sha256 = $1 AND client = $2 AND revoked_at IS NULL RETURNING kind"};

// RFC 7009 §2.1: "If the token passed to the request is a refresh token and the authorization
// server supports the revocation of access tokens, then the authorization server SHOULD also
// invalidate all access tokens based on the same authorization grant".
constexpr store::Statement kRevokeIssuedFrom{
    "csc.revoke_issued_from",
    "UPDATE csc_tokens SET revoked_at = $2 WHERE refresh_sha256 = $1 AND revoked_at IS NULL"};

std::int64_t seconds(std::chrono::seconds lifetime) { return lifetime.count(); }

// An access token for `client`, made from `refresh_hash` when that is given.
std::string insert_access_token(Core& core, store::Connection& tx, const std::string& client,
                                Clock::time_point now, const std::optional<Bytes>& refresh_hash) {
    std::string token = new_secret();
    tx.exec(kInsertToken, {secret_hash(token), client, "access", now,
                           now + core.deps.settings.access_token_lifetime, refresh_hash});
    return token;
}

struct FoundToken {
    std::string client;
    std::string kind;
    Clock::time_point expires_at;
    bool revoked = false;
};

std::optional<FoundToken> find_token(Core& core, std::string_view token) {
    if (!has_secret_form(token))
        return std::nullopt;
    return core.deps.database.with_connection([&](store::Connection& c) -> std::optional<FoundToken> {
        const store::Result r = c.exec(kFindToken, {secret_hash(token)});
        if (r.empty())
            return std::nullopt;
        const store::Row row = r.one();
        return FoundToken{row["client"].as<std::string>(), row["kind"].as<std::string>(),
                          row["expires_at"].as<Clock::time_point>(),
                          !row["revoked_at"].is_null()};
    });
}

}  // namespace

IssuedToken issue_token(Core& core, const Caller& caller, bool with_refresh_token) {
    const Clock::time_point now = core.now();
    // A zero refresh lifetime: this deployment gives no refresh tokens (auth/login's
    // rememberMe is then ignored, as §11.2 lets the server decide).
    const bool refreshable =
        with_refresh_token && core.deps.settings.refresh_token_lifetime.count() > 0;
    return core.deps.database.transaction([&](store::Connection& tx) {
        IssuedToken out;
        std::optional<Bytes> refresh_hash;
        if (refreshable) {
            out.refresh_token = new_secret();
            refresh_hash = secret_hash(*out.refresh_token);
            tx.exec(kInsertToken,
                    {*refresh_hash, caller.client, "refresh", now,
                     now + core.deps.settings.refresh_token_lifetime, std::nullopt});
        }
        out.access_token = insert_access_token(core, tx, caller.client, now, refresh_hash);
        out.expires_in = seconds(core.deps.settings.access_token_lifetime);
        core.deps.audit.defer(
            tx, core.event("csc.token_issued", caller, "api_client:" + caller.client,
                           {{"expires_in", out.expires_in}, {"refreshable", refreshable}}));
        return out;
    });
}

IssuedToken refresh(Core& core, std::string_view refresh_token, const std::string& address) {
    if (!has_secret_form(refresh_token))
        refuse(CscFailure::invalid_grant, "The refresh token is not valid");
    const Clock::time_point now = core.now();
    return core.deps.database.transaction([&](store::Connection& tx) {
        // FOR SHARE: a revocation of this refresh token either commits first (and is seen
        // here) or waits for this access token, which it then revokes with the others.
        const store::Result r = tx.exec(kLockRefresh, {secret_hash(refresh_token)});
        // RFC 6749 §5.2 invalid_grant: "The provided authorization grant ... or refresh token
        // is invalid, expired, revoked".
        if (r.empty() || r.one()["kind"].as<std::string>() != "refresh" ||
            !r.one()["revoked_at"].is_null())
            refuse(CscFailure::invalid_grant, "The refresh token is not valid");
        if (now >= r.one()["expires_at"].as<Clock::time_point>())
            refuse(CscFailure::invalid_grant, "The refresh token expired");
        const Caller caller{r.one()["client"].as<std::string>(), address};
        IssuedToken out;
        out.access_token =
            insert_access_token(core, tx, caller.client, now, secret_hash(refresh_token));
        out.expires_in = seconds(core.deps.settings.access_token_lifetime);
        core.deps.audit.defer(tx, core.event("csc.token_refreshed", caller,
                                             "api_client:" + caller.client,
                                             {{"expires_in", out.expires_in}}));
        return out;
    });
}

std::string authenticate(Core& core, std::string_view access_token) {
    const auto found = find_token(core, access_token);
    if (!found || found->kind != "access" || found->revoked)
        refuse(CscFailure::invalid_token, "The access token is not valid");
    if (core.now() >= found->expires_at)
        refuse(CscFailure::expired_token, "The access token expired");
    return found->client;
}

void revoke(Core& core, const Caller& caller, std::string_view token) {
    const Clock::time_point now = core.now();
    core.deps.database.transaction([&](store::Connection& tx) {
        // Only the caller's own: another platform's token, like an unknown one, is left alone
        // and is not an error (RFC 7009 §2.2: "invalid tokens do not cause an error
        // response"), so revoke tells no platform whether another's token exists.
        std::string kind = "unknown";
        std::uint64_t revoked = 0;
        if (has_secret_form(token)) {
            const Bytes hash = secret_hash(token);
            const store::Result r = tx.exec(kRevokeToken, {hash, caller.client, now});
            if (!r.empty()) {
                kind = r.one()["kind"].as<std::string>();
                revoked = 1;
                if (kind == "refresh")
                    revoked += tx.exec(kRevokeIssuedFrom, {hash, now}).affected_rows();
            }
        }
        core.deps.audit.defer(tx, core.event("csc.token_revoked", caller,
                                             "api_client:" + caller.client,
                                             {{"kind", kind}, {"revoked", revoked}}));
    });
}

}  // namespace signet::csc::detail
