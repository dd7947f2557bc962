#include "tests/notify/notify_fixture.hpp"

#include "common/error.hpp"
#include "tests/support/process.hpp"

namespace signet::testing {

using namespace std::chrono_literals;

NotifyFixture::NotifyFixture(const std::string& database_name) : ContractsFixture(database_name) {
    outbox_notifier = std::make_shared<sign::OutboxNotifier>(
        outbox, contracts, clock, sign::OutboxNotifierOptions{{"frontend-1"}, true});
    notified = service_with(outbox_notifier);
}

std::unique_ptr<sign::Contracts> NotifyFixture::service_with(
    std::shared_ptr<sign::ContractNotifier> with) {
    return std::make_unique<sign::Contracts>(sign::ContractsDependencies{
        .database = database,
        .contracts = contracts,
        .documents = documents,
        .vault = *vault,
        .registry = *registry,
        .audit = audit,
        .clock = clock,
        .stamp =
            [this, stamper = sign::responder_stamper(tsa.responder)](ByteView digest) {
                if (tsa_down)
                    throw Error(Errc::unavailable, "the test's TSA is down");
                return stamper(digest);
            },
        .notifier = std::move(with),
        .options = default_options(),
    });
}

std::vector<store::ContractNotificationRecord> NotifyFixture::outbox_rows(
    const std::string& contract_id) {
    return database.with_connection(
        [&](store::Connection& c) { return outbox.of_contract(c, contract_id); });
}

std::vector<store::NotificationAttemptRecord> NotifyFixture::attempts_of(std::int64_t id) {
    return database.with_connection([&](store::Connection& c) { return outbox.attempts(c, id); });
}

void NotifyFixture::set_email(std::int64_t subject_id, const std::string& email) {
    database.with_connection([&](store::Connection& c) {
        c.exec("UPDATE subjects SET email = $2 WHERE id = $1", {subject_id, email});
    });
}

std::unique_ptr<sign::NotificationDeliverer> NotifyFixture::deliverer(
    sign::DelivererSettings settings) {
    return std::make_unique<sign::NotificationDeliverer>(
        sign::DelivererDependencies{database, outbox, contracts, links, webhook_sender,
                                    email_sender, clock, nullptr},
        std::move(settings));
}

std::unique_ptr<ChildProcess> NotifyFixture::start_webhook_receiver(
    std::uint16_t& port, const std::string& secret, const std::filesystem::path& out) {
    std::filesystem::create_directories(out);
    const auto secret_file = out / "secret";
    const auto ready = out / "ready";
    write_file(secret_file, secret + "\n");
    std::filesystem::remove(ready);
    auto child = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/bin/python3", source_file("tests/notify/webhook_receiver.py").string(),
        std::to_string(port), secret_file.string(), out.string(), ready.string()});
    port = static_cast<std::uint16_t>(std::stoi(wait_for_file(ready)));
    return child;
}

sign::DelivererSettings NotifyFixture::settings_for_webhook(std::uint16_t port) {
    sign::DelivererSettings s;
    s.webhooks.emplace("frontend-1",
                       sign::WebhookEndpoint{"http://127.0.0.1:" + std::to_string(port) + "/hook",
                                             Secret(kWebhookSecret), 30000ms});
    s.max_attempts = 4;
    return s;
}

}  // namespace signet::testing
