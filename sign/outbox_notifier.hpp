#pragma once

// The contract service's notifier (sign/contract_hooks.hpp ContractNotifier) as an outbox
// (issue 13 "Telling the next party"): each call writes rows of contract_notifications (store
// migration 12) on the transition's own transaction, so a notification exists exactly when the
// transition commits, and sends nothing; sign/notification_deliverer.hpp sends them.
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/clock.hpp"
#include "policy/config.hpp"
#include "sign/contract_hooks.hpp"
#include "store/contract_notifications.hpp"
#include "store/contracts.hpp"

namespace signet::sign {

struct OutboxNotifierOptions {
    // The API clients with a webhook configured: a contract created by one of them is reported
    // to it (every event). Others are not told.
    std::set<std::string> webhook_clients;
    // E-mail the due signer (a person: the subject; a seal: its agent) when it has an address.
    bool email = false;
};

OutboxNotifierOptions outbox_notifier_options(const policy::NotificationSettings& settings);

// The JSON every notification carries (a webhook's body; the e-mail is written from it):
// {"event", "contract": {"id", "title", "state", "current_revision", "revision_sha256"},
//  "signer": {"position", "kind", "subject_id"} (signer_due only), "at"} — no identity number,
// no document byte, no address. "at" is RFC 3339 UTC.
std::string notification_payload(std::string_view event, const store::ContractRecord& contract,
                                 ByteView revision_sha256,
                                 const store::ContractSignerRecord* signer, Clock::time_point at);

class OutboxNotifier final : public ContractNotifier {
  public:
    OutboxNotifier(store::ContractNotificationRepository& outbox,
                   store::ContractRepository& contracts, const Clock& clock,
                   OutboxNotifierOptions options)
        : outbox_(outbox), contracts_(contracts), clock_(clock), options_(std::move(options)) {}

    void signer_due(store::Connection& tx, const store::ContractRecord& contract,
                    const store::ContractSignerRecord& signer) override;
    void contract_completed(store::Connection& tx, const store::ContractRecord& contract) override;
    void contract_cancelled(store::Connection& tx, const store::ContractRecord& contract) override;
    void contract_expired(store::Connection& tx, const store::ContractRecord& contract) override;

  private:
    void enqueue(store::Connection& tx, std::string_view event,
                 const store::ContractRecord& contract, const store::ContractSignerRecord* signer);

    store::ContractNotificationRepository& outbox_;
    store::ContractRepository& contracts_;
    const Clock& clock_;
    OutboxNotifierOptions options_;
};

}  // namespace signet::sign
