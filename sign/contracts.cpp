// Creating contracts (the document streamed into the vault, the rows committed with it) and
// reading them back.
#include "sign/contracts.hpp"

#include <openssl/rand.h>

#include <algorithm>

#include "common/error.hpp"
#include "sign/contract_rules.hpp"
#include "sign/contracts_impl.hpp"

namespace signet::sign {

namespace {

std::string new_contract_id() {
    Bytes random(16);  // 128 random bits, as a document's id
    check_openssl(RAND_bytes(random.data(), static_cast<int>(random.size())), "RAND_bytes");
    return to_hex(random);
}

[[noreturn]] void refuse_signer(const std::string& field, const std::string& why) {
    throw Error(Errc::failed_precondition, "'" + field + "' " + why);
}

}  // namespace

std::optional<int> Contract::due_position() const {
    if (record.state != "sent" && record.state != "partially_signed")
        return std::nullopt;
    for (const auto& s : signers)
        if (s.state == "waiting")
            return s.position;
    return std::nullopt;
}

Contracts::Contracts(ContractsDependencies dependencies)
    : impl_(std::make_shared<Impl>(std::move(dependencies))) {
    rules::check_options(impl_->deps.options);
    if (!impl_->deps.stamp)
        throw Error(Errc::invalid_argument, "contracts need a time-stamp source for their events");
    if (!impl_->deps.inspect)
        impl_->deps.inspect = default_document_inspector;
}

Contract Contracts::Impl::load(store::Connection& tx, const store::ContractRecord& record) {
    Contract c;
    c.record = record;
    c.signers = deps.contracts.signers(tx, record.id);
    c.revisions = deps.contracts.revisions(tx, record.id);
    c.approvals = deps.contracts.approvals(tx, record.id);
    c.events = deps.contracts.events(tx, record.id);
    return c;
}

store::ContractRecord Contracts::Impl::lock(store::Connection& tx, std::string_view id,
                                            const ContractCaller& caller) {
    auto record = deps.contracts.lock(tx, id);
    // Another client's contract is as absent as one that does not exist: its id says nothing.
    if (!record || (caller.client && record->client != *caller.client))
        throw Error(Errc::not_found, "no contract " + std::string(id));
    return *record;
}

void Contracts::Impl::check_signer(const SignerInput& signer, const std::string& field) {
    const auto subject = deps.registry.find(signer.subject_id);
    const std::string id = std::to_string(signer.subject_id);
    if (!subject)
        throw Error(Errc::invalid_argument,
                    "'" + field + ".subject_id' names no subject (" + id + ")");
    const bool seal = signer.kind == "seal";
    if (subject->kind != (seal ? "organization" : "person"))
        throw Error(Errc::invalid_argument, "'" + field + ".subject_id' (" + id + ") is not " +
                                                (seal ? "an organization" : "a person"));
    if (subject->status != "active")
        refuse_signer(field + ".subject_id", "(" + id + ") is deactivated");
    const unsigned level = seal ? deps.options.organization_level : deps.options.person_level;
    if (subject->verification_method.empty() || subject->assurance_level < static_cast<int>(level))
        refuse_signer(field + ".subject_id", "(" + id + ") is not verified to level " +
                                                 std::to_string(level) + " (it is at " +
                                                 std::to_string(subject->assurance_level) + ")");
    if (seal) {
        try {
            deps.registry.check_agent_may(signer.subject_id, *signer.agent_id, "apply_seal");
        } catch (const Error& e) {
            if (e.code() != Errc::failed_precondition && e.code() != Errc::not_found)
                throw;
            refuse_signer(field + ".agent_id", std::string("may not apply the seal: ") + e.what());
        }
    }
}

struct ContractUpload::State {
    std::shared_ptr<Contracts::Impl> impl;
    ContractDraft draft;
    ContractCaller caller;
    std::unique_ptr<DocumentInspector> inspector;
    std::optional<VaultWriter> writer;
    bool failed = false;

    void fail_on_error(const auto& step) {
        if (failed || !writer)
            throw Error(Errc::failed_precondition, "this contract upload has already ended");
        try {
            step();
        } catch (...) {
            failed = true;
            writer.reset();  // rolls the document back at once
            throw;
        }
    }
};

ContractUpload Contracts::create(const ContractDraft& draft, const ContractCaller& caller) {
    if (!caller.client)
        throw Error(Errc::failed_precondition, "a contract is created by an API client");
    rules::check_draft(draft, impl_->now(), impl_->deps.options);
    for (std::size_t i = 0; i < draft.signers.size(); ++i)
        impl_->check_signer(draft.signers[i], "signers[" + std::to_string(i) + "]");
    auto state = std::make_unique<ContractUpload::State>();
    state->impl = impl_;
    state->draft = draft;
    state->caller = caller;
    state->inspector = impl_->deps.inspect(draft.format);
    state->writer.emplace(impl_->deps.vault.write());
    return ContractUpload(std::move(state));
}

Contract Contracts::create(const ContractDraft& draft, ByteView document,
                           const ContractCaller& caller) {
    ContractUpload upload = create(draft, caller);
    upload.write(document);
    return upload.finish();
}

ContractUpload::ContractUpload(std::unique_ptr<State> state) : state_(std::move(state)) {}
ContractUpload::ContractUpload(ContractUpload&&) noexcept = default;
ContractUpload& ContractUpload::operator=(ContractUpload&&) noexcept = default;
ContractUpload::~ContractUpload() = default;

void ContractUpload::write(ByteView piece) {
    state_->fail_on_error([&] {
        state_->inspector->write(piece);
        state_->writer->write(piece);
    });
}

Contract ContractUpload::finish() {
    State& s = *state_;
    Contracts::Impl& impl = *s.impl;
    Contract created;
    s.fail_on_error([&] {
        s.inspector->finish();
        // Again at the end: a signer deactivated or an agent revoked during the upload.
        for (std::size_t i = 0; i < s.draft.signers.size(); ++i)
            impl.check_signer(s.draft.signers[i], "signers[" + std::to_string(i) + "]");
        const Clock::time_point now = impl.now();
        const Clock::time_point deadline = rules::check_draft(s.draft, now, impl.deps.options);
        const int approvals =
            rules::required_approvals(impl.deps.options, s.draft.contract_type, s.draft.amount);
        s.writer->finish([&](store::Connection& tx, const StoredDocument& document) {
            store::ContractRecord record;
            record.id = new_contract_id();
            record.title = s.draft.title;
            record.metadata = s.draft.metadata.dump();
            record.contract_type = s.draft.contract_type;
            if (s.draft.amount) {
                record.amount_minor = s.draft.amount->minor_units;
                record.currency = s.draft.amount->currency;
            }
            record.format = s.draft.format;
            record.client = *s.caller.client;
            record.state = "draft";
            record.signer_count = static_cast<int>(s.draft.signers.size());
            record.expires_at = std::chrono::time_point_cast<std::chrono::microseconds>(deadline);
            record.created_at = now;
            impl.deps.contracts.insert(tx, record);
            for (std::size_t i = 0; i < s.draft.signers.size(); ++i) {
                const SignerInput& input = s.draft.signers[i];
                store::ContractSignerRecord signer;
                signer.contract_id = record.id;
                signer.position = static_cast<int>(i) + 1;
                signer.kind = input.kind;
                signer.subject_id = input.subject_id;
                signer.agent_id = input.agent_id;
                signer.approvals_required = input.kind == "seal" ? approvals : 0;
                impl.deps.contracts.insert_signer(tx, signer);
            }
            impl.deps.contracts.insert_revision(
                tx,
                {record.id, 0, document.id, Bytes(document.sha256.begin(), document.sha256.end()),
                 static_cast<std::int64_t>(document.size), "original", std::nullopt, now});
            Contracts::Impl::Events events(impl, tx, s.caller);
            events.append(record, "created", std::nullopt,
                          {{"format", record.format},
                           {"signers", record.signer_count},
                           {"document", document.id}});
            events.finish();
            created = impl.load(tx, record);
        });
    });
    s.writer.reset();
    return created;
}

Contract Contracts::find(std::string_view id, const ContractCaller& caller) {
    return impl_->deps.database.with_connection([&](store::Connection& c) {
        const auto record = impl_->deps.contracts.find(c, id);
        if (!record || (caller.client && record->client != *caller.client))
            throw Error(Errc::not_found, "no contract " + std::string(id));
        return impl_->load(c, *record);
    });
}

std::vector<store::ContractRecord> Contracts::list(store::ContractQuery query,
                                                   const ContractCaller& caller) {
    if (caller.client)
        query.client = caller.client;
    return impl_->deps.database.with_connection(
        [&](store::Connection& c) { return impl_->deps.contracts.list(c, query); });
}

VaultReader Contracts::document(std::string_view id, int revision, const ContractCaller& caller) {
    const Contract contract = find(id, caller);
    const auto it =
        std::ranges::find(contract.revisions, revision, &store::ContractRevisionRecord::number);
    if (it == contract.revisions.end())
        throw Error(Errc::not_found,
                    "contract " + std::string(id) + " has no revision " + std::to_string(revision));
    return impl_->deps.vault.read(it->document_id);
}

}  // namespace signet::sign
