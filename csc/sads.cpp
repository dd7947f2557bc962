// The Signature Activation Data (CSC API §8.2, §11.6): found by its SHA-256, locked with its
// transaction for the one transaction that uses, extends or refuses it.
#include <algorithm>

#include "common/error.hpp"
#include "csc/service_core.hpp"

namespace signet::csc::detail {

namespace {

// The platform and the credential are part of the lookup, so another platform's SAD, or one
// for another credential, is no SAD here.
constexpr store::Statement kLockSad{
    "csc.lock_sad",
    "SELECT s.transaction_id, s.expires_at, s.used_at IS NOT NULL AS used, "
    "s.superseded_at IS NOT NULL AS superseded, "
    "ARRAY(SELECT encode(h, 'hex') FROM unnest(s.hashes) WITH ORDINALITY AS u(h, i) "
    "ORDER BY i) AS hashes, "
    "ARRAY(SELECT encode(h, 'hex') FROM unnest(coalesce(s.signed_hashes, '{}')) "
    "WITH ORDINALITY AS u(h, i) ORDER BY i) AS signed_hashes, "
    "t.subject_id, t.hash_algorithm, t.hashes_bound, t.signatures_left "
    "FROM csc_sads s JOIN csc_transactions t ON t.id = s.transaction_id "
    "WHERE s.sad_sha256 = $1 AND t.client = $2 AND t.credential_serial = $3 "
    "FOR UPDATE OF s, t"};

constexpr store::Statement kInsertSad{
    "csc.insert_sad",
    "INSERT INTO csc_sads (sad_sha256, transaction_id, hashes, created_at, expires_at) "
    "VALUES ($1, $2, ARRAY(SELECT decode(h, 'hex') FROM unnest($3::text[]) WITH ORDINALITY "
    "AS u(h, i) ORDER BY i), $4, $5)"};

}  // namespace

LockedSad lock_sad(store::Connection& tx, const Caller& caller, const OwnCredential& credential,
                   std::string_view sad, Clock::time_point now, bool used_ok) {
    if (!has_secret_form(sad))
        refuse(CscFailure::invalid_request, "Invalid parameter SAD");
    LockedSad out;
    out.sad_hash = secret_hash(sad);
    const store::Result r =
        tx.exec(kLockSad, {out.sad_hash, caller.client, credential.record.serial});
    if (r.empty())
        refuse(CscFailure::invalid_request, "Invalid parameter SAD");
    const store::Row row = r.one();
    out.used = row["used"].as<bool>();
    out.signatures_left = row["signatures_left"].as<int>();
    // §11.9: "The RSSP SHALL invalidate the SAD when the authorized number of signatures has
    // been created"; a superseded SAD was replaced by extendTransaction's.
    if (row["superseded"].as<bool>() || (out.used && !used_ok) || out.signatures_left == 0)
        refuse(CscFailure::invalid_request, "Invalid parameter SAD");
    if (now >= row["expires_at"].as<Clock::time_point>())
        refuse(CscFailure::invalid_request, "SAD expired");
    out.transaction_id = row["transaction_id"].as<std::int64_t>();
    out.subject_id = row["subject_id"].as<std::int64_t>();
    out.hash_algorithm = parse_digest(row["hash_algorithm"].as<std::string>());
    out.hashes_bound = row["hashes_bound"].as<bool>();
    out.hashes = from_hex_elements(row["hashes"].as<std::vector<std::string>>());
    out.signed_hashes = from_hex_elements(row["signed_hashes"].as<std::vector<std::string>>());
    return out;
}

Activation insert_sad(Core& core, store::Connection& tx, std::int64_t transaction_id,
                      const std::vector<Bytes>& hashes, Clock::time_point now) {
    Activation out;
    out.sad = new_secret();
    const std::vector<std::string> hex = hex_elements(hashes);
    tx.exec(kInsertSad, {secret_hash(out.sad), transaction_id, store::Param::text_array(hex), now,
                         now + core.deps.settings.sad_lifetime});
    out.expires_in = core.deps.settings.sad_lifetime.count();
    return out;
}

bool take_each(std::vector<Bytes>& pool, const std::vector<Bytes>& wanted) {
    for (const Bytes& hash : wanted) {
        const auto it = std::ranges::find(pool, hash);
        if (it == pool.end())
            return false;
        pool.erase(it);
    }
    return true;
}

}  // namespace signet::csc::detail
