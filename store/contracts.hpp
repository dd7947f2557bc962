#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::store {

// A contract (store migration 11, table contracts). The rules a state implies are the table's
// CHECKs; the state machine is sign/contracts.hpp's.
struct ContractRecord {
    std::string id;                            // 32 lowercase hex digits (128 random bits)
    std::string title;                         // 1-200 characters
    std::string metadata;                      // a JSON object, as text
    std::string contract_type;                 // a policy word, or ""
    std::optional<std::int64_t> amount_minor;  // with currency, or neither
    std::optional<std::string> currency;       // ISO 4217 alphabetic code
    std::string format;                        // "pdf" or "bytes"
    std::string client;                        // the API client that created it
    std::string state;  // draft, sent, partially_signed, completed, cancelled, expired
    int signer_count = 0;
    int current_revision = 0;
    Clock::time_point expires_at;
    Clock::time_point created_at;
    std::optional<Clock::time_point> sent_at, completed_at, cancelled_at, expired_at;
    // When its documents were crypto-shredded (migration 15); the record and events stay.
    std::optional<Clock::time_point> shredded_at;
};

struct ContractSignerRecord {
    std::string contract_id;
    int position = 0;                      // 1..n, the signing order
    std::string kind;                      // "person" or "seal"
    std::int64_t subject_id = 0;           // the person, or the organization whose seal it is
    std::optional<std::int64_t> agent_id;  // a seal's: the person who applies it
    int approvals_required = 0;            // a seal's, fixed at creation
    std::string state = "waiting";         // "waiting" or "signed"
    std::optional<Clock::time_point> signed_at;
    std::optional<std::string> certificate_serial;  // lowercase hex
    std::optional<int> revision;                    // the revision the signature produced
};

struct ContractRevisionRecord {
    std::string contract_id;
    int number = 0;  // 0: the document submitted
    std::string document_id;
    Bytes sha256;
    std::int64_t size = 0;
    std::string kind;                    // original, signature, validation_data, document_timestamp
    std::optional<int> signer_position;  // a signature's signer
    Clock::time_point created_at;
};

struct ContractApprovalRecord {
    std::string contract_id;
    int position = 0;  // the seal signer approved
    std::int64_t approver_id = 0;
    Clock::time_point approved_at;
};

struct ContractEventRecord {
    std::string contract_id;
    int seq = 0;       // 1, 2, ... per contract
    std::string type;  // created, sent, approved, signed, completed, cancelled, expired
    Clock::time_point at;
    std::optional<int> signer_position;  // approved, signed
    std::string canonical;               // the event's exact bytes
    Bytes event_sha256;                  // SHA-256 of canonical
    Bytes timestamp_token;               // RFC 3161 TimeStampToken over event_sha256, DER
};

// Where a page of contracts, newest first, ends: the last contract's (created_at, id). The next
// page is what sorts after it.
struct ContractKey {
    Clock::time_point created_at;
    std::string id;
};

// A search: every condition given must hold. Each is answered from an index (migration 15).
struct ContractQuery {
    std::optional<std::string> client;  // nullopt: every client's (an operator)
    std::optional<std::string> state;
    std::optional<std::int64_t>
        party;  // a signer's subject id (a person, or a seal's organization)
    std::optional<std::string> title_words;  // every word in the title (full text, 'simple')
    std::optional<std::string> metadata;     // a JSON object the metadata contains (jsonb @>)
    std::optional<Clock::time_point> created_after;   // created at or after
    std::optional<Clock::time_point> created_before;  // created before
    // Keyset paging, newest first: the contracts after this key (older, or as old with a smaller
    // id).
    std::optional<ContractKey> after;
    // Deprecated paging by the previous page's last id (GET /v1/contracts?before=).
    std::optional<std::string> before_id;
    std::size_t limit = 50;  // 1..1000
};

// The one statement ContractRepository::list runs for `query` (exposed so that tests can
// EXPLAIN exactly it). Errc::invalid_argument for a limit out of range.
struct ContractSearchSql {
    std::string sql;
    std::vector<Param> params;
};
ContractSearchSql contract_search_sql(const ContractQuery& query);

// The contract tables. Every method runs in the caller's transaction, so a transition, its
// event and its audit record commit together.
class ContractRepository {
  public:
    virtual ~ContractRepository() = default;

    // Errc::already_exists when the id is taken; Errc::invalid_argument when a row breaks the
    // tables' checks; Errc::failed_precondition for a subject or document that does not exist.
    virtual void insert(Connection& tx, const ContractRecord& contract) = 0;
    virtual void insert_signer(Connection& tx, const ContractSignerRecord& signer) = 0;
    virtual void insert_revision(Connection& tx, const ContractRevisionRecord& revision) = 0;
    virtual void insert_approval(Connection& tx, const ContractApprovalRecord& approval) = 0;
    virtual void insert_event(Connection& tx, const ContractEventRecord& event) = 0;

    virtual std::optional<ContractRecord> find(Connection& tx, std::string_view id) = 0;
    // The contract's row, locked FOR UPDATE until the transaction ends: a transition reads,
    // decides and writes without a concurrent one in between.
    virtual std::optional<ContractRecord> lock(Connection& tx, std::string_view id) = 0;
    // Writes state, current_revision and the state timestamps of `contract` (by id).
    virtual void update(Connection& tx, const ContractRecord& contract) = 0;
    // Records that the contract's documents were crypto-shredded at `at`.
    virtual void mark_shredded(Connection& tx, std::string_view id, Clock::time_point at) = 0;
    // Writes a signer's state, signed_at, certificate_serial and revision.
    virtual void update_signer(Connection& tx, const ContractSignerRecord& signer) = 0;

    virtual std::vector<ContractSignerRecord> signers(Connection& tx, std::string_view id) = 0;
    virtual std::vector<ContractRevisionRecord> revisions(Connection& tx, std::string_view id) = 0;
    virtual std::vector<ContractApprovalRecord> approvals(Connection& tx, std::string_view id) = 0;
    virtual std::vector<ContractEventRecord> events(Connection& tx, std::string_view id) = 0;

    virtual std::vector<ContractRecord> list(Connection& tx, const ContractQuery& query) = 0;
    // Ids of sent or partially signed contracts whose deadline is at or before `now`, oldest
    // deadline first.
    virtual std::vector<std::string> due_for_expiry(Connection& tx, Clock::time_point now,
                                                    std::size_t limit) = 0;
};

class PostgresContracts final : public ContractRepository {
  public:
    void insert(Connection& tx, const ContractRecord& contract) override;
    void insert_signer(Connection& tx, const ContractSignerRecord& signer) override;
    void insert_revision(Connection& tx, const ContractRevisionRecord& revision) override;
    void insert_approval(Connection& tx, const ContractApprovalRecord& approval) override;
    void insert_event(Connection& tx, const ContractEventRecord& event) override;
    std::optional<ContractRecord> find(Connection& tx, std::string_view id) override;
    std::optional<ContractRecord> lock(Connection& tx, std::string_view id) override;
    void update(Connection& tx, const ContractRecord& contract) override;
    void mark_shredded(Connection& tx, std::string_view id, Clock::time_point at) override;
    void update_signer(Connection& tx, const ContractSignerRecord& signer) override;
    std::vector<ContractSignerRecord> signers(Connection& tx, std::string_view id) override;
    std::vector<ContractRevisionRecord> revisions(Connection& tx, std::string_view id) override;
    std::vector<ContractApprovalRecord> approvals(Connection& tx, std::string_view id) override;
    std::vector<ContractEventRecord> events(Connection& tx, std::string_view id) override;
    std::vector<ContractRecord> list(Connection& tx, const ContractQuery& query) override;
    std::vector<std::string> due_for_expiry(Connection& tx, Clock::time_point now,
                                            std::size_t limit) override;
};

}  // namespace signet::store
