#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/log.hpp"
#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "policy/config.hpp"
#include "ra/registry.hpp"
#include "sign/contract_hooks.hpp"
#include "sign/document_vault.hpp"
#include "store/contracts.hpp"
#include "store/database.hpp"

namespace signet::sign {

// Contracts (issue 13 "Contracts"): a document, a title, metadata and the ordered parties who
// sign it in turn. The state machine:
//
//   draft --send--> sent --signature--> partially_signed --last signature--> completed
//     |               |                        |
//     +---------------+---cancel---------------+--> cancelled
//                     +---deadline passed------+--> expired
//
// Every transition is one database transaction holding the state change, a contract_events row
// whose canonical bytes are time-stamped by our own TSA (RFC 3161; the token is stored with the
// row) and an audit event (`contract.<event>`, object `contract:<id>`, the event's hash in its
// details; never document bytes). A refusal, a TSA that does not answer (Errc::unavailable) or
// a database error changes nothing.

struct Amount {
    std::int64_t minor_units = 0;  // cents, fen: 0..10^15
    std::string currency;          // ISO 4217 alphabetic code, e.g. "CNY"
};

struct SignerInput {
    std::string kind;                      // "person" or "seal"
    std::int64_t subject_id = 0;           // the person, or the organization whose seal it is
    std::optional<std::int64_t> agent_id;  // a seal's: the person who applies it
};

struct ContractDraft {
    std::string title;  // 1-200 characters of name text
    nlohmann::json metadata =
        nlohmann::json::object();  // a JSON object, at most 8 KiB as compact JSON
    std::string contract_type;     // [a-z0-9_.-]{0,64}: a word signing.seal_approvals may name
    std::optional<Amount> amount;
    std::string format;                // "pdf" or "bytes"
    std::vector<SignerInput> signers;  // 1-50, in signing order
    // The deadline; nullopt: now + ContractsOptions::default_validity.
    std::optional<Clock::time_point> expires_at;
};

// A rule of signing.seal_approvals: a seal on a contract it matches needs `approvals` approvals
// (issue 13: "by amount, contract type, or always"). A rule with neither condition always
// matches; with both, both must hold. The most demanding matching rule wins.
struct SealApprovalRule {
    std::optional<std::string> contract_type;
    std::optional<Amount> min_amount;  // matches an amount in the same currency at least this
    unsigned approvals = 1;            // 1-10
};

struct ContractsOptions {
    std::chrono::seconds default_validity = std::chrono::days(30);
    std::chrono::seconds max_validity = std::chrono::days(366);
    // The level a person signer must have reached: the personal profile's required_assurance
    // (policy ca.profiles.<personal>.required_assurance), at least 1 (verified).
    unsigned person_level = 1;
    // The level an organization must have for its seal: the e-seal profile's, at least 1.
    unsigned organization_level = 1;
    std::vector<SealApprovalRule> seal_approvals;
    // signing.retention_years: how long after it ended a contract's documents are kept (1-100).
    unsigned retention_years = 10;
};

// The options from signet.yaml's signing section and the levels of the personal and e-seal
// profiles (ca.profiles.*.required_assurance; at least 1).
ContractsOptions contracts_options(const policy::SigningSettings& signing, unsigned person_level,
                                   unsigned organization_level);

// Who is calling: an API client sees and changes only its own contracts; an operator (no
// client) sees all. `actor` goes into the audit log ("client:frontend-1", "operator:alice").
struct ContractCaller {
    std::string actor;
    std::optional<std::string> client;
};

// A contract with everything recorded about it.
struct Contract {
    store::ContractRecord record;
    std::vector<store::ContractSignerRecord> signers;
    std::vector<store::ContractRevisionRecord> revisions;
    std::vector<store::ContractApprovalRecord> approvals;
    std::vector<store::ContractEventRecord> events;
    // The signer whose turn it is (sent or partially_signed), else nullopt.
    std::optional<int> due_position() const;
};

// A revision the signing work made (a second vault document), to be recorded as the result of
// a signer's signature.
struct RevisionInput {
    std::string document_id;
    Sha256Digest sha256{};
    std::uint64_t size = 0;
    // The SHA-256 of the revision it was made from: it must be the contract's current one, so a
    // revision made from an older state (a concurrent signer, a retry) is refused.
    Sha256Digest based_on{};
};

struct ContractsDependencies {
    store::Database& database;
    store::ContractRepository& contracts;
    store::DocumentReader& documents;
    DocumentVault& vault;
    ra::Registry& registry;
    audit::AuditLog& audit;
    const Clock& clock;
    EventStamper stamp;                          // our TSA (contract_hooks.hpp)
    std::shared_ptr<ContractNotifier> notifier;  // nullptr: nobody is told
    DocumentInspectorFactory inspect = default_document_inspector;
    ContractsOptions options{};
};

class ContractUpload;

// Thread-safe: each call is its own transaction.
class Contracts {
  public:
    // Errc::invalid_argument when an option is out of range (a seal approval rule of 0 or over
    // 10 approvals, a currency that is not three capitals, levels of 0, validities reversed).
    explicit Contracts(ContractsDependencies dependencies);

    // Checks the draft and its signers against the RA, then opens the document's upload: feed
    // it the document and finish() it to create the contract (draft, revision 0, event
    // "created"), all in one transaction. Errc::invalid_argument naming the field ('title',
    // 'metadata', 'signers[1].subject_id'...), Errc::failed_precondition for a signer the RA
    // does not allow (not active, not verified to the level, an agent without apply_seal).
    ContractUpload create(const ContractDraft& draft, const ContractCaller& caller);
    // The same for a document already in memory.
    Contract create(const ContractDraft& draft, ByteView document, const ContractCaller& caller);

    // draft -> sent: the first signer is due (notifier: signer_due).
    Contract send(std::string_view id, const ContractCaller& caller);
    // An approval of the seal of signer `position` by `approver_id`, a person allowed to
    // approve_seal for that organization (not its agent: four eyes); while the contract is open
    // and that seal not yet applied.
    Contract record_approval(std::string_view id, int position, std::int64_t approver_id,
                             const ContractCaller& caller);
    // Any state but completed, cancelled and expired -> cancelled.
    Contract cancel(std::string_view id, const ContractCaller& caller);
    // sent or partially_signed past expires_at -> expired, up to `limit` contracts; how many.
    // A periodic task calls it (the actor is "system").
    std::size_t expire_due(Clock::time_point now, std::size_t limit = 100);

    // The signing work's transition: signer `position` signed, producing `revision` with the
    // certificate `certificate_serial` (lowercase hex). Only the due signer of a sent or
    // partially signed contract, a seal only with its approvals, a revision built on the current
    // one and matching the vault's record. -> partially_signed, or completed after the last
    // signer (events "signed" and then "completed").
    Contract record_signature(std::string_view id, int position, const RevisionInput& revision,
                              std::string_view certificate_serial, const ContractCaller& caller);
    // The same in the caller's transaction `tx` (the vault writer's before_commit: the signed
    // revision's document and its record commit together, or neither).
    Contract record_signature(store::Connection& tx, std::string_view id, int position,
                              const RevisionInput& revision, std::string_view certificate_serial,
                              const ContractCaller& caller);

    // Crypto-shredding after the retention period (docs/signing.md "Retention"): a completed,
    // cancelled or expired contract whose retention_years since it ended have passed loses every
    // revision's wrapped data key and ciphertext chunks, in one transaction; the contract, its
    // signers, revisions (hashes, sizes), approvals and time-stamped events stay, and the audit
    // event "contract.shredded" lists the revisions' SHA-256. Errc::failed_precondition naming
    // the date the retention ends, or the state, or when already shredded.
    Contract shred(std::string_view id, const ContractCaller& caller);
    // When `record`'s retention ends (the day it ended plus retention_years), or nullopt while
    // it is open.
    std::optional<Clock::time_point> retention_end(const store::ContractRecord& record) const;

    // Errc::not_found when there is no such contract or it is another client's.
    Contract find(std::string_view id, const ContractCaller& caller);
    // The caller's contracts (an operator's: all), newest first; `query.client` is set from the
    // caller.
    std::vector<store::ContractRecord> list(store::ContractQuery query,
                                            const ContractCaller& caller);
    // A revision's document (0: the original), streamed from the vault.
    VaultReader document(std::string_view id, int revision, const ContractCaller& caller);

    struct Impl;

  private:
    std::shared_ptr<Impl> impl_;
};

// The document of a contract being created, streamed into the vault; see Contracts::create.
// Destroyed without finish(), or after any error, nothing is stored.
class ContractUpload {
  public:
    ContractUpload(ContractUpload&&) noexcept;
    ContractUpload& operator=(ContractUpload&&) noexcept;
    ~ContractUpload();

    // Errc::invalid_argument for bytes the format refuses or past signing.max_document_bytes.
    void write(ByteView piece);
    Contract finish();

    struct State;
    explicit ContractUpload(std::unique_ptr<State> state);

  private:
    std::unique_ptr<State> state_;
};

}  // namespace signet::sign
