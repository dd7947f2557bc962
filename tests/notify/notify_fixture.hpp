#pragma once

// Telling the next party on real parts: the contract fixture (tests/sign/contracts_fixture.hpp:
// SoftHSM, PostgreSQL, the RA, the vault, the TSA) with a second contract service whose notifier
// is the outbox (sign/outbox_notifier.hpp), the signing links, the deliverer with the real curl
// senders, and helper processes on loopback (a webhook receiver and an SMTP server, python3).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sign/notification_deliverer.hpp"
#include "sign/outbox_notifier.hpp"
#include "sign/signing_links.hpp"
#include "store/contract_notifications.hpp"
#include "tests/sign/contracts_fixture.hpp"
#include "tests/support/process.hpp"

namespace signet::testing {

inline constexpr const char* kWebhookSecret = "whsec-test-0123456789abcdef";

struct NotifyFixture : ContractsFixture {
    explicit NotifyFixture(const std::string& database_name);

    // Rows of the outbox for the contract, in order.
    std::vector<store::ContractNotificationRecord> outbox_rows(const std::string& contract_id);
    std::vector<store::NotificationAttemptRecord> attempts_of(std::int64_t notification_id);
    std::int64_t outbox_count() { return count("SELECT count(*) FROM contract_notifications"); }
    void set_email(std::int64_t subject_id, const std::string& email);

    // A contract service like the fixture's whose notifier is `notifier`.
    std::unique_ptr<sign::Contracts> service_with(std::shared_ptr<sign::ContractNotifier> notifier);
    // The deliverer over `settings` and the real senders, on this fixture's clock.
    std::unique_ptr<sign::NotificationDeliverer> deliverer(sign::DelivererSettings settings);
    static sign::DelivererSettings settings_for_webhook(std::uint16_t port);

    // tests/notify/webhook_receiver.py on 127.0.0.1:`port` (0: a free one, set in `port`),
    // checking signatures under `secret` and writing each request to `out` (request-N.json);
    // returns once it listens.
    std::unique_ptr<ChildProcess> start_webhook_receiver(std::uint16_t& port,
                                                         const std::string& secret,
                                                         const std::filesystem::path& out);

    store::PostgresContractNotifications outbox;
    store::PostgresSigningLinks link_rows;
    sign::SigningLinks links{database, link_rows, clock};
    std::shared_ptr<sign::OutboxNotifier> outbox_notifier;
    // The contract service with the outbox notifier (the fixture's `service` records calls).
    std::unique_ptr<sign::Contracts> notified;
    sign::CurlWebhookSender webhook_sender;
    sign::CurlEmailSender email_sender;
};

}  // namespace signet::testing
