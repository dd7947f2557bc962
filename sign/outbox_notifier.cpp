// The outbox notifier (sign/outbox_notifier.hpp).
#include "sign/outbox_notifier.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace signet::sign {

namespace {

// The SHA-256 of the revision the contract is at (its rows are written before the notifier is
// called: contract_hooks.hpp).
Bytes current_revision_sha256(store::Connection& tx, store::ContractRepository& contracts,
                              const store::ContractRecord& contract) {
    for (const auto& revision : contracts.revisions(tx, contract.id)) {
        if (revision.number == contract.current_revision)
            return revision.sha256;
    }
    throw Error(Errc::internal, "contract " + contract.id + " has no revision " +
                                    std::to_string(contract.current_revision));
}

}  // namespace

OutboxNotifierOptions outbox_notifier_options(const policy::NotificationSettings& settings) {
    OutboxNotifierOptions options;
    for (const auto& [client, webhook] : settings.webhooks)
        options.webhook_clients.insert(client);
    options.email = settings.email.has_value();
    return options;
}

std::string notification_payload(std::string_view event, const store::ContractRecord& contract,
                                 ByteView revision_sha256,
                                 const store::ContractSignerRecord* signer, Clock::time_point at) {
    nlohmann::json payload = {
        {"event", event},
        {"contract",
         {{"id", contract.id},
          {"title", contract.title},
          {"state", contract.state},
          {"current_revision", contract.current_revision},
          {"revision_sha256", to_hex(revision_sha256)}}},
        {"at", format_utc(at)},
    };
    if (signer != nullptr) {
        payload["signer"] = {
            {"position", signer->position}, {"kind", signer->kind}, {"subject_id", signer->subject_id}};
    }
    return payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void OutboxNotifier::enqueue(store::Connection& tx, std::string_view event,
                             const store::ContractRecord& contract,
                             const store::ContractSignerRecord* signer) {
    const bool webhook = options_.webhook_clients.contains(contract.client);
    // A person signs themselves; a seal is applied by its agent, who is the one to tell.
    std::optional<std::int64_t> recipient;
    if (signer != nullptr && options_.email)
        recipient = signer->kind == "seal" ? signer->agent_id : signer->subject_id;
    const bool email = recipient && outbox_.subject_email(tx, *recipient).has_value();
    if (!webhook && !email)
        return;

    const auto now = std::chrono::time_point_cast<std::chrono::microseconds>(clock_.now());
    store::ContractNotificationRecord row;
    row.contract_id = contract.id;
    row.event = std::string(event);
    row.signer_position = signer ? std::optional<int>(signer->position) : std::nullopt;
    row.payload = notification_payload(event, contract,
                                       current_revision_sha256(tx, contracts_, contract), signer,
                                       now);
    row.next_attempt_at = now;
    row.created_at = now;
    if (webhook) {
        row.kind = "webhook";
        row.target = contract.client;
        outbox_.enqueue(tx, row);
    }
    if (email) {
        row.kind = "email";
        row.target = std::to_string(*recipient);
        outbox_.enqueue(tx, row);
    }
}

void OutboxNotifier::signer_due(store::Connection& tx, const store::ContractRecord& contract,
                                const store::ContractSignerRecord& signer) {
    enqueue(tx, "signer_due", contract, &signer);
}

void OutboxNotifier::contract_completed(store::Connection& tx,
                                        const store::ContractRecord& contract) {
    enqueue(tx, "contract_completed", contract, nullptr);
}

void OutboxNotifier::contract_cancelled(store::Connection& tx,
                                        const store::ContractRecord& contract) {
    enqueue(tx, "contract_cancelled", contract, nullptr);
}

void OutboxNotifier::contract_expired(store::Connection& tx,
                                      const store::ContractRecord& contract) {
    enqueue(tx, "contract_expired", contract, nullptr);
}

}  // namespace signet::sign
