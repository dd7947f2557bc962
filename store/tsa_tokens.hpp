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

// One time-stamp token as the TSA records it before signing (store migration 3, table
// tsa_tokens): what the TSTInfo will say and who asked. Plain values: the RFC 3161 meaning
// lives in tsa/.
struct TsaTokenRecord {
    Bytes serial;                       // the serialNumber's magnitude, no leading zero octet
    Clock::time_point gen_time;         // already cut to the policy's precision
    std::string policy;                 // dotted OID
    std::string imprint_algorithm;      // "sha256", "sha384", "sha512"
    Bytes imprint;                      // the hashedMessage
    std::optional<Bytes> nonce;         // DER content octets of the INTEGER, when requested
    bool cert_req = false;              // the TSA certificate was asked for
    std::optional<std::string> client;  // the API client, when the caller authenticated
    std::string remote;                 // the peer's address
    std::string node;                   // the signetd that issued it ("host:pid")
    Bytes tsa_certificate_sha256;       // which TSA certificate signs it
};

// What operators (signetctl tsa show / verify) read.
class TsaTokenReader {
  public:
    virtual ~TsaTokenReader() = default;
    virtual std::optional<TsaTokenRecord> find(ByteView serial) = 0;
    virtual std::int64_t count() = 0;
};

// What the TSA's group commit writes: many rows in one statement, inside the caller's
// transaction or (the journal's way) as a transaction of its own.
class TsaTokenWriter {
  public:
    virtual ~TsaTokenWriter() = default;
    // Inserts the rows; a row whose serial is already taken is left out rather than failing the
    // whole batch (a 159-bit random serial repeats with negligible probability, but the other
    // callers of the batch must not pay for it). Returns, per row, whether it was inserted.
    virtual std::vector<bool> append(Connection& transaction,
                                     std::span<const TsaTokenRecord* const> rows) = 0;
};

class PostgresTsaTokens final : public TsaTokenReader, public TsaTokenWriter {
  public:
    explicit PostgresTsaTokens(Database& database) : database_(database) {}

    std::optional<TsaTokenRecord> find(ByteView serial) override;
    std::int64_t count() override;
    std::vector<bool> append(Connection& transaction,
                             std::span<const TsaTokenRecord* const> rows) override;

  private:
    Database& database_;
};

}  // namespace signet::store
