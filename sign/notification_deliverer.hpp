#pragma once

// The deliverer of contract notifications (issue 13 "Telling the next party"): a background
// thread that claims due rows of the outbox (store/contract_notifications.hpp; FOR UPDATE SKIP
// LOCKED, so every signetd node may run one), sends each once, and records the attempt. A
// message not delivered is tried again after an exponential backoff (initial_backoff doubling,
// capped at max_backoff) until max_attempts, then it is `failed`. Delivery is at least once: a
// node that dies between sending and recording sends again after the claim's lease; webhook
// receivers drop duplicates by Signet-Delivery (docs/signing.md).
//
// An e-mail goes to the due signer's address as the subjects table holds it when the message is
// sent, and carries a new signing link (sign/signing_links.hpp) issued in the claim's
// transaction: the token exists only in memory and in the message. A message whose signer is no
// longer due (signed, the contract cancelled, completed or expired), whose subject has no
// address, or whose client has no webhook any more, is failed at once and not retried.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "policy/config.hpp"
#include "sign/notification_senders.hpp"
#include "sign/signing_links.hpp"
#include "store/contract_notifications.hpp"
#include "store/contracts.hpp"
#include "store/database.hpp"

namespace signet::sign {

struct DelivererSettings {
    std::map<std::string, WebhookEndpoint> webhooks;  // by API client name
    std::optional<SmtpEndpoint> email;                // nullopt: e-mails fail
    std::string link_base;                            // the e-mail's link is link_base + token
    std::chrono::seconds link_validity = std::chrono::hours(7 * 24);
    unsigned max_attempts = 12;
    std::chrono::seconds initial_backoff{5};
    std::chrono::seconds max_backoff{3600};
    std::chrono::milliseconds poll_interval{1000};
    std::size_t batch = 20;  // rows claimed at once
};

// The settings of signet.yaml's signing.notifications, the secrets read from their sources
// (common/secret.hpp read_secret: an env: variable can be read once per process).
DelivererSettings deliverer_settings(const policy::NotificationSettings& settings);

// The wait after the `attempts`-th failed try: initial * 2^(attempts-1), at most `max`.
std::chrono::seconds retry_delay(unsigned attempts, std::chrono::seconds initial,
                                 std::chrono::seconds max);

struct DelivererDependencies {
    store::Database& database;
    store::ContractNotificationRepository& outbox;
    store::ContractRepository& contracts;
    SigningLinks& links;
    WebhookSender& webhooks;
    EmailSender& email;
    const Clock& clock;
    std::shared_ptr<Logger> log;  // may be nullptr
};

class NotificationDeliverer {
  public:
    NotificationDeliverer(DelivererDependencies dependencies, DelivererSettings settings);
    ~NotificationDeliverer();
    NotificationDeliverer(const NotificationDeliverer&) = delete;
    NotificationDeliverer& operator=(const NotificationDeliverer&) = delete;

    // One batch: claims up to `batch` rows due at the clock's now, tries each once, records
    // each try. Returns how many were tried. The thread calls it; tests call it directly.
    std::size_t run_once();
    // Runs batches every poll_interval (at once again while batches come back full) until
    // stop(), which returns after the try in progress, if any (at most its timeout).
    void start();
    void stop();

  private:
    struct Job;
    std::vector<Job> claim(Clock::time_point now);
    void prepare_email(store::Connection& tx, Job& job, Clock::time_point now);
    SendResult send(const Job& job, Clock::time_point now);
    void record(const Job& job, const SendResult& result, Clock::time_point now);

    DelivererDependencies deps_;
    DelivererSettings settings_;
    std::chrono::seconds lease_;
    std::jthread thread_;
};

}  // namespace signet::sign
