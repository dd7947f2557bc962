#pragma once

// The contract service on real parts: the RA's registry fixture (a SoftHSM token, a database of
// the shared PostgreSQL cluster, the audit log, the CA), the document vault on the same token and
// database, and our TSA's real responder (tests/tsa/tsa_fixture.hpp: its own token and database)
// time-stamping every event. Subjects: two verified persons, an organization with an agent who
// may apply its seal and its legal representative who may approve it.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "sign/contracts.hpp"
#include "store/contracts.hpp"
#include "store/documents.hpp"
#include "tests/ra/registry_fixture.hpp"
#include "tests/tsa/tsa_fixture.hpp"

namespace signet::testing {

// Records what the service asked to notify, in order ("due:1", "completed", ...).
class RecordingNotifier final : public sign::ContractNotifier {
  public:
    void signer_due(store::Connection& tx, const store::ContractRecord& c,
                    const store::ContractSignerRecord& signer) override;
    void contract_completed(store::Connection& tx, const store::ContractRecord& c) override;
    void contract_cancelled(store::Connection& tx, const store::ContractRecord& c) override;
    void contract_expired(store::Connection& tx, const store::ContractRecord& c) override;
    std::vector<std::string> calls;
};

// The TSA's token, made before the registry's opens the module (see TsaFixtureOptions::token).
struct TsaTokenFirst {
    hsm::TokenConfig tsa_token = SoftHsm::instance().new_token("tsa");
};

struct ContractsFixture : TsaTokenFirst, RegistryFixture {
    explicit ContractsFixture(const std::string& database_name,
                              sign::ContractsOptions options = default_options(),
                              sign::DocumentInspectorFactory inspect =
                                  sign::default_document_inspector,
                              const std::function<void(policy::Ceremony&)>& adjust_ceremony = {});
    static sign::ContractsOptions default_options();
    static Bytes random_document();  // 200 KiB, several vault chunks

    // A draft by the three parties: alice, bob, then the organization's seal by its agent.
    sign::ContractDraft draft(const std::string& format = "bytes") const;
    sign::Contract create(const sign::ContractDraft& d, ByteView document);
    sign::Contract create() { return create(draft(), document); }
    // A second vault document standing for signer `position`'s signed revision of `contract`.
    sign::RevisionInput revision_after(const sign::Contract& contract, int position);
    sign::Contract sign_as(const sign::Contract& contract, int position);
    // The audit log once its outbox is drained: the contracts defer their events
    // (sign/contract_events.cpp), and signetd's drainer moves them.
    std::vector<audit::RecordedEvent> events() {
        audit.drain();
        return RegistryFixture::events();
    }
    // Every row of the contract tables, documents, chunks and the audit log, as one text: what
    // a refused operation must leave as it was.
    std::string tables();
    // openssl ts -verify of each event's token against the event's SHA-256 and the TSA's root.
    void verify_event_tokens(const sign::Contract& contract);

    TsaFixture tsa;
    store::PostgresDocuments documents;
    std::unique_ptr<sign::DocumentVault> vault;
    store::PostgresContracts contracts;
    std::shared_ptr<RecordingNotifier> notifier = std::make_shared<RecordingNotifier>();
    std::atomic<bool> tsa_down{false};
    std::unique_ptr<sign::Contracts> service;
    sign::ContractCaller caller{"client:frontend-1", "frontend-1"};
    Bytes document;
    store::Subject alice, bob, representative, organization, agent;
};

}  // namespace signet::testing
