#include "tests/sign/contracts_fixture.hpp"

#include "common/digest.hpp"
#include "tests/support/process.hpp"

namespace signet::testing {

using namespace std::chrono_literals;

void RecordingNotifier::signer_due(store::Connection&, const store::ContractRecord&,
                                   const store::ContractSignerRecord& signer) {
    calls.push_back("due:" + std::to_string(signer.position));
}
void RecordingNotifier::contract_completed(store::Connection&, const store::ContractRecord&) {
    calls.push_back("completed");
}
void RecordingNotifier::contract_cancelled(store::Connection&, const store::ContractRecord&) {
    calls.push_back("cancelled");
}
void RecordingNotifier::contract_expired(store::Connection&, const store::ContractRecord&) {
    calls.push_back("expired");
}

sign::ContractsOptions ContractsFixture::default_options() {
    sign::ContractsOptions o;
    o.default_validity = 7 * 24h;
    o.max_validity = 90 * 24h;
    o.person_level = 2;  // the registry fixture's personal profile requires level 2
    o.organization_level = 2;
    // A loan's seal needs one approval; a seal on a million yuan or more needs two.
    o.seal_approvals = {{std::string("loan"), std::nullopt, 1},
                        {std::nullopt, sign::Amount{100'000'000, "CNY"}, 2}};
    return o;
}

ContractsFixture::ContractsFixture(const std::string& database_name,
                                   sign::ContractsOptions options,
                                   sign::DocumentInspectorFactory inspect,
                                   const std::function<void(policy::Ceremony&)>& adjust_ceremony)
    : RegistryFixture(database_name, adjust_ceremony),
      tsa(TsaFixtureOptions{.database = database_name + "_tsa", .token = tsa_token}),
      document(random_document()) {
    token->generate_kek(std::string(sign::kDefaultDocumentsKey));
    vault = std::make_unique<sign::DocumentVault>(
        database, documents, token, clock,
        sign::DocumentVaultOptions{.chunk_size = 64 * 1024});
    const sign::EventStamper stamper = sign::responder_stamper(tsa.responder);
    service = std::make_unique<sign::Contracts>(sign::ContractsDependencies{
        .database = database,
        .contracts = contracts,
        .documents = documents,
        .vault = *vault,
        .registry = *registry,
        .audit = audit,
        .clock = clock,
        .stamp =
            [this, stamper](ByteView digest) {
                if (tsa_down)
                    throw Error(Errc::unavailable, "the test's TSA is down");
                return stamper(digest);
            },
        .notifier = notifier,
        .inspect = std::move(inspect),
        .options = std::move(options),
    });

    alice = add_verified_person("王芳", kWangFangId, 2);
    bob = add_verified_person("张伟", kZhangWeiId, 2);
    representative = add_verified_person("李雷", kLiLeiId, 2);
    organization = add_organization("华为技术有限公司", kHuaweiUscc, representative.id);
    organization = registry->verify_manually(
        organization.id, {2, "licence seen at branch 12", kHuaweiUscc}, "client:officer");
    agent = add_verified_person("陈静", kChenJingId, 2);
    registry->grant_agent(organization.id,
                          {agent.id, {"apply_seal"}, clock.now() + 365 * 24h, "LOA-1", {}},
                          "client:officer");
    registry->grant_agent(organization.id,
                          {representative.id, {"approve_seal"}, clock.now() + 365 * 24h, "LOA-2",
                           {}},
                          "client:officer");
    audit.drain();  // the ceremony's deferred events first, so the contracts' come last
}

Bytes ContractsFixture::random_document() {
    Bytes out(200 * 1024);
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
    return out;
}

sign::ContractDraft ContractsFixture::draft(const std::string& format) const {
    sign::ContractDraft d;
    d.title = "房屋租赁合同 2026-118";
    d.metadata = {{"reference", "R-118"}, {"pages", 3}};
    d.contract_type = "lease";
    d.amount = sign::Amount{1'200'000, "CNY"};
    d.format = format;
    d.signers = {{"person", alice.id, std::nullopt},
                 {"person", bob.id, std::nullopt},
                 {"seal", organization.id, agent.id}};
    return d;
}

sign::Contract ContractsFixture::create(const sign::ContractDraft& d, ByteView bytes) {
    return service->create(d, bytes, caller);
}

sign::RevisionInput ContractsFixture::revision_after(const sign::Contract& contract,
                                                     int position) {
    Bytes signed_bytes(document.begin(), document.end());
    const std::string appended = "\n% signature of signer " + std::to_string(position);
    signed_bytes.insert(signed_bytes.end(), appended.begin(), appended.end());
    sign::VaultWriter writer = vault->write();
    writer.write(signed_bytes);
    const sign::StoredDocument stored = writer.finish();
    sign::RevisionInput r;
    r.document_id = stored.id;
    r.sha256 = stored.sha256;
    r.size = stored.size;
    const auto& current = contract.revisions.back();
    std::copy(current.sha256.begin(), current.sha256.end(), r.based_on.begin());
    return r;
}

sign::Contract ContractsFixture::sign_as(const sign::Contract& contract, int position) {
    return service->record_signature(contract.record.id, position,
                                     revision_after(contract, position),
                                     "5a3f" + std::to_string(position) + "0c", caller);
}

std::string ContractsFixture::tables() {
    std::string all;
    for (const char* table : {"contracts", "contract_signers", "contract_revisions",
                              "contract_approvals", "contract_events", "documents",
                              "audit_events", "audit_outbox"}) {
        all += std::string(table) + ":\n";
        database.with_connection([&](store::Connection& c) {
            const store::Result rows = c.exec(std::string("SELECT coalesce(string_agg(t::text, "
                                                          "E'\\n' ORDER BY t::text), '') FROM ") +
                                              table + " t");
            all += std::string(rows.one()[0].text()) + "\n";
        });
    }
    all += "chunks: " + std::to_string(count("SELECT count(*) FROM document_chunks")) + "\n";
    return all;
}

void ContractsFixture::verify_event_tokens(const sign::Contract& contract) {
    BOOST_REQUIRE(!contract.events.empty());
    for (const auto& event : contract.events) {
        const Sha256Digest digest = sha256_of(event.canonical);
        BOOST_CHECK(std::ranges::equal(digest, event.event_sha256));
        const auto path = dir.path() / ("event-" + std::to_string(event.seq) + ".tst");
        write_file(path, std::string(event.timestamp_token.begin(), event.timestamp_token.end()));
        const CommandResult verified = run_command(
            {"openssl", "ts", "-verify", "-digest", to_hex(event.event_sha256), "-token_in", "-in",
             path.string(), "-CAfile", tsa.root_pem().string()});
        BOOST_CHECK_MESSAGE(verified.exit_code == 0 &&
                                verified.output.find("Verification: OK") != std::string::npos,
                            "event " << event.seq << " (" << event.type << "): " << verified.output);
    }
}

}  // namespace signet::testing
