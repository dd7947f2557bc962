#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::store {

// The CA's records (store migration 2). Plain values: the X.509 meaning lives in ca/.

struct CertificateRecord {
    Bytes serial;
    std::string issuer_ca;  // the signing CA's name (a root: its own)
    std::string purpose;    // "root", "ca", "subject", "tsa", "ocsp", "tls-server"
    std::string profile;    // a ca.profiles name, or the purpose for ceremony certificates
    std::optional<std::int64_t> subject_id;
    std::string subject_dn;
    std::string key_type;    // "ec-p256"...
    std::string key_source;  // "csr", "hsm-wrapped", "hsm-token"
    std::optional<std::string> key_label;
    std::optional<Bytes> wrapped_key;
    std::optional<std::string> kek_label;
    Bytes public_key;  // SubjectPublicKeyInfo DER
    Bytes tbs;
    std::optional<Bytes> der;
    std::string status;  // "reserved", "abandoned", "issued", "revoked"
    std::optional<std::string> failure;
    Clock::time_point not_before;
    Clock::time_point not_after;
    Clock::time_point reserved_at;
    std::optional<Clock::time_point> issued_at;
    std::optional<Clock::time_point> revoked_at;
    std::optional<int> revocation_reason;  // RFC 5280 CRLReason
    std::optional<Clock::time_point> invalidity_date;
};

struct CertificateQuery {
    std::optional<std::int64_t> subject_id;
    std::optional<std::string> status;
    std::optional<std::string> issuer_ca;
    std::optional<Bytes> serial;
    std::optional<Bytes> after_serial;  // paging: serials sort as bytes
    std::size_t limit = 100;
};

// An entry of a CRL.
struct RevokedEntry {
    Bytes serial;
    Clock::time_point revoked_at;
    int reason = 0;
    std::optional<Clock::time_point> invalidity_date;
};

struct CaRecord {
    std::string name;
    std::string role;  // "root" or "issuing"
    std::optional<std::string> parent;
    std::string key_label;
    std::string key_type;
    Bytes serial;       // of its certificate
    Bytes certificate;  // DER
    Clock::time_point created_at;
};

struct CrlRecord {
    std::string issuer_ca;
    std::int64_t number = 0;
    Clock::time_point this_update;
    Clock::time_point next_update;
    Bytes der;
    int entries = 0;
};

// A signed certificate for mark_issued_many.
struct IssuedCertificate {
    ByteView serial;
    ByteView der;
    Clock::time_point issued_at;
};

// What the read-only endpoints (/ca, /crl, GET /v1/certificates, OCSP) need.
class CertificateReader {
  public:
    virtual ~CertificateReader() = default;
    virtual std::optional<CertificateRecord> find(ByteView serial) = 0;
    // The record without its large columns (public_key, tbs, der and wrapped_key left empty):
    // what a status check needs. The OCSP responder reads it once per live (nonce) request, where
    // fetching and hex-decoding those columns was most of the database's share of the work.
    virtual std::optional<CertificateRecord> find_status(ByteView serial) { return find(serial); }
    virtual std::vector<CertificateRecord> search(const CertificateQuery& query) = 0;
    virtual std::optional<CaRecord> find_ca(std::string_view name) = 0;
    virtual std::vector<CaRecord> list_cas() = 0;
    // The certificate serving a role: "tsa", "tls-server" or "ocsp:{ca}".
    virtual std::optional<CertificateRecord> find_service(std::string_view role) = 0;
    virtual std::optional<CrlRecord> latest_crl(std::string_view issuer_ca) = 0;
    // How many entries `issuer_ca`'s next CRL would have (see revoked_entries).
    virtual std::int64_t count_revoked(std::string_view issuer_ca, Clock::time_point now) = 0;
};

// The issuance cycle's writes. Each takes the caller's transaction so that its audit event
// commits with it.
class CertificateRepository : public CertificateReader {
  public:
    // Step 1: the serial and the to-be-signed certificate, status 'reserved'.
    // Errc::already_exists when the serial is taken (the caller draws another).
    virtual void reserve(Connection& transaction, const CertificateRecord& record) = 0;
    // Step 3: the signed certificate; 'reserved' -> 'issued'. Errc::failed_precondition when the
    // row is not 'reserved' (a second signing would be a second certificate for one row).
    virtual void mark_issued(Connection& transaction, ByteView serial, ByteView der,
                             Clock::time_point issued_at) = 0;
    // Group commit (ca/issuance_journal.hpp): steps 1 and 3 of several issuances, each in one
    // statement. A row that cannot go in is left out rather than failing the others, and the
    // result says, per row, whether it went in: reserve_many leaves out a serial already taken
    // (that caller draws again), mark_issued_many a row that is not 'reserved'.
    virtual std::vector<bool> reserve_many(Connection& transaction,
                                           std::span<const CertificateRecord* const> records) = 0;
    virtual std::vector<bool> mark_issued_many(Connection& transaction,
                                               std::span<const IssuedCertificate> rows) = 0;
    // Lint or TBS check failed, or the subject changed meanwhile: 'reserved' -> 'abandoned', with
    // the reason. False when the row was not 'reserved' (nothing changed).
    virtual bool mark_abandoned(Connection& transaction, ByteView serial,
                                const std::string& failure) = 0;
    // 'issued' -> 'revoked'. Errc::not_found, or failed_precondition when it is not issued
    // (already revoked, or never signed). Locks the row.
    virtual CertificateRecord revoke(Connection& transaction, ByteView serial, int reason,
                                     Clock::time_point revoked_at,
                                     std::optional<Clock::time_point> invalidity_date) = 0;
    // The entries of `issuer_ca`'s next CRL: revoked and not yet expired at `now`
    // (RFC 5280 §3.3: an expired certificate's entry may be dropped), by serial.
    virtual std::vector<RevokedEntry> revoked_entries(Connection& transaction,
                                                      std::string_view issuer_ca,
                                                      Clock::time_point now) = 0;

    virtual void add_ca(Connection& transaction, const CaRecord& ca) = 0;
    virtual void add_service(Connection& transaction, std::string_view role, ByteView serial,
                             Clock::time_point created_at) = 0;
    // The same, replacing the role's certificate if it has one (a renewed OCSP responder).
    virtual void replace_service(Connection& transaction, std::string_view role, ByteView serial,
                                 Clock::time_point created_at) = 0;

    // Locks `issuer_ca`'s CRL sequence until the transaction ends and returns the next number.
    virtual std::int64_t next_crl_number(Connection& transaction, std::string_view issuer_ca) = 0;
    virtual void add_crl(Connection& transaction, const CrlRecord& crl) = 0;
};

class PostgresCertificates final : public CertificateRepository {
  public:
    explicit PostgresCertificates(Database& database) : database_(database) {}

    std::optional<CertificateRecord> find(ByteView serial) override;
    std::optional<CertificateRecord> find_status(ByteView serial) override;
    std::vector<CertificateRecord> search(const CertificateQuery& query) override;
    std::optional<CaRecord> find_ca(std::string_view name) override;
    std::vector<CaRecord> list_cas() override;
    std::optional<CertificateRecord> find_service(std::string_view role) override;
    std::optional<CrlRecord> latest_crl(std::string_view issuer_ca) override;
    std::int64_t count_revoked(std::string_view issuer_ca, Clock::time_point now) override;

    void reserve(Connection& transaction, const CertificateRecord& record) override;
    void mark_issued(Connection& transaction, ByteView serial, ByteView der,
                     Clock::time_point issued_at) override;
    std::vector<bool> reserve_many(Connection& transaction,
                                   std::span<const CertificateRecord* const> records) override;
    std::vector<bool> mark_issued_many(Connection& transaction,
                                       std::span<const IssuedCertificate> rows) override;
    bool mark_abandoned(Connection& transaction, ByteView serial,
                        const std::string& failure) override;
    CertificateRecord revoke(Connection& transaction, ByteView serial, int reason,
                             Clock::time_point revoked_at,
                             std::optional<Clock::time_point> invalidity_date) override;
    std::vector<RevokedEntry> revoked_entries(Connection& transaction, std::string_view issuer_ca,
                                              Clock::time_point now) override;
    void add_ca(Connection& transaction, const CaRecord& ca) override;
    void add_service(Connection& transaction, std::string_view role, ByteView serial,
                     Clock::time_point created_at) override;
    void replace_service(Connection& transaction, std::string_view role, ByteView serial,
                         Clock::time_point created_at) override;
    std::int64_t next_crl_number(Connection& transaction, std::string_view issuer_ca) override;
    void add_crl(Connection& transaction, const CrlRecord& crl) override;

  private:
    Database& database_;
};

}  // namespace signet::store
