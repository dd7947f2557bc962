#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"

namespace signet::store {

// One pre-signed OCSP response (store migration 6, table ocsp_responses). Plain values: the
// RFC 6960 meaning lives in ocsp/.
struct StoredOcspResponse {
    Bytes serial;
    std::string hash;  // the CertID hash: "sha1" or "sha256"
    std::string issuer_ca;
    Bytes der;  // the OCSPResponse
    Clock::time_point this_update, next_update, produced_at;
    bool revoked = false;     // certStatus is revoked (never replaced by a good one)
    std::int64_t change = 0;  // read only: increases with every write (see changed_after)
};

// A certificate whose responses must be signed: queued (newly issued or revoked, or never
// signed) or aged (a stored response's thisUpdate is before the bound given to due()).
struct DueCertificate {
    // Only what a response needs: serial, issuer_ca, purpose, status, not_before, not_after,
    // revoked_at, revocation_reason, invalidity_date (no TBS, DER or key).
    CertificateRecord certificate;
    // The queue entry to settle() once its responses are stored; nullopt when merely aged.
    std::optional<std::int64_t> queued_version;
    // Aged: the oldest thisUpdate among its stored responses.
    std::optional<Clock::time_point> oldest;
};

// A queue entry done with: removed unless the certificate was queued again since.
struct SettledEntry {
    Bytes serial;
    std::int64_t version = 0;
};

class OcspResponseStore {
  public:
    virtual ~OcspResponseStore() = default;
    // Inserts or replaces, in one statement, keeping per (serial, hash) a revoked response over a
    // good one and otherwise the newer thisUpdate (two nodes may sign the same certificate).
    // Writers take turns (an advisory lock), so change numbers commit in order.
    virtual void upsert_many(std::span<const StoredOcspResponse> responses) = 0;
    // Every stored response, in pages through a cursor (a million rows never sit in libpq's
    // memory at once), `row` called for each on the calling thread.
    virtual void load_all(const std::function<void(StoredOcspResponse&&)>& row) = 0;
    virtual std::optional<StoredOcspResponse> find(ByteView serial, std::string_view hash) = 0;
    // Up to `limit` certificates to sign: the queue first (oldest entry first), then those
    // whose oldest stored response has a thisUpdate before `before` less the certificate's own
    // share of `jitter` — jitter * (256 - the serial's last octet) / 256 — oldest first. The
    // share is applied in the query, so a certificate not due yet never holds a due one back
    // from the `limit` (and a million responses signed in one second come due spread out).
    virtual std::vector<DueCertificate> due(Clock::time_point before, std::size_t limit,
                                            std::chrono::microseconds jitter) = 0;
    // How many certificates are queued (for the backlog on /metrics).
    virtual std::int64_t queued() = 0;
    // How many stored responses have a thisUpdate before `before`.
    virtual std::int64_t aged(Clock::time_point before) = 0;
    virtual void settle(std::span<const SettledEntry> entries) = 0;
    // Responses whose thisUpdate is at or after `since`: what a node whose notifications were
    // cut off may have missed.
    virtual void changed_since(Clock::time_point since,
                               const std::function<void(StoredOcspResponse&&)>& row) = 0;
    // Responses written after change number `after` (0: all), in change order; returns the
    // highest change number seen (`after` when none). How every node picks up what the others
    // signed.
    virtual std::int64_t changed_after(std::int64_t after,
                                       const std::function<void(StoredOcspResponse&&)>& row) = 0;
    // Queues every certificate (issued or revoked, not a root) that lacks a stored response in
    // a hash asked for: at a node's start, for what the trigger cannot know (a hash newly
    // pre-signed, a CA that got its responder since). Reads the whole certificates table once.
    // Returns how many were queued.
    virtual std::int64_t queue_missing(bool sha1, bool sha256) = 0;
    // The queue entry of `serial`, if queued.
    virtual std::optional<std::int64_t> queued_version(ByteView serial) = 0;
    // Serials of certificates revoked at or after `since`: what a node deaf to notifications
    // for a while may have missed.
    virtual std::vector<Bytes> revoked_since(Clock::time_point since) = 0;
};

class PostgresOcspResponses final : public OcspResponseStore {
  public:
    explicit PostgresOcspResponses(Database& database) : database_(database) {}

    void upsert_many(std::span<const StoredOcspResponse> responses) override;
    void load_all(const std::function<void(StoredOcspResponse&&)>& row) override;
    std::optional<StoredOcspResponse> find(ByteView serial, std::string_view hash) override;
    std::vector<DueCertificate> due(Clock::time_point before, std::size_t limit,
                                    std::chrono::microseconds jitter) override;
    std::int64_t queued() override;
    std::int64_t aged(Clock::time_point before) override;
    void settle(std::span<const SettledEntry> entries) override;
    void changed_since(Clock::time_point since,
                       const std::function<void(StoredOcspResponse&&)>& row) override;
    std::int64_t changed_after(std::int64_t after,
                               const std::function<void(StoredOcspResponse&&)>& row) override;
    std::int64_t queue_missing(bool sha1, bool sha256) override;
    std::optional<std::int64_t> queued_version(ByteView serial) override;
    std::vector<Bytes> revoked_since(Clock::time_point since) override;

  private:
    // Rows of ocsp_responses matching `where`, through a cursor; returns the highest change.
    std::int64_t stream(std::string_view where, std::span<const Param> params,
                        const std::function<void(StoredOcspResponse&&)>& row);
    Database& database_;
};

}  // namespace signet::store
