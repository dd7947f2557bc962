// Webhook delivery (sign/notification_deliverer.hpp, sign/notification_senders.hpp) to a
// receiver on loopback (tests/notify/webhook_receiver.py) that verifies the HMAC-SHA256
// signature the way docs/signing.md tells receivers to: delivered and recorded; a wrong secret
// refused and retried; a receiver down at first retried with backoff on the injected clock,
// then delivered; failed after max_attempts; the deliverer's own thread.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/notify/notify_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signetd.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

// A sent contract whose first signer (no e-mail address) is due: one webhook row.
store::ContractNotificationRecord queued_webhook(NotifyFixture& f) {
    sign::Contract c = f.notified->create(f.draft(), f.document, f.caller);
    c = f.notified->send(c.record.id, f.caller);
    const auto rows = f.outbox_rows(c.record.id);
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    BOOST_REQUIRE_EQUAL(rows[0].kind, "webhook");
    return rows[0];
}

store::ContractNotificationRecord reload(NotifyFixture& f,
                                         const store::ContractNotificationRecord& row) {
    for (const auto& r : f.outbox_rows(row.contract_id))
        if (r.id == row.id)
            return r;
    BOOST_FAIL("the row is gone");
    return row;
}

std::int64_t unix_seconds(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(webhook_delivery)

BOOST_AUTO_TEST_CASE(a_signed_webhook_is_delivered_and_recorded) {
    NotifyFixture f("notify_webhook");
    const auto row = queued_webhook(f);
    std::uint16_t port = 0;
    const auto out = f.dir.path() / "hook";
    const auto receiver = f.start_webhook_receiver(port, kWebhookSecret, out);
    auto deliverer = f.deliverer(NotifyFixture::settings_for_webhook(port));

    BOOST_CHECK_EQUAL(deliverer->run_once(), 1u);
    const auto done = reload(f, row);
    BOOST_CHECK_EQUAL(done.state, "delivered");
    BOOST_CHECK_EQUAL(done.attempts, 1);
    BOOST_REQUIRE(done.delivered_at);
    BOOST_CHECK(*done.delivered_at == std::chrono::time_point_cast<std::chrono::microseconds>(
                                          f.clock.now()));
    BOOST_CHECK(!done.last_error);
    const auto attempts = f.attempts_of(row.id);
    BOOST_REQUIRE_EQUAL(attempts.size(), 1u);
    BOOST_CHECK_EQUAL(attempts[0].outcome, "delivered");
    BOOST_CHECK_EQUAL(attempts[0].reply_code.value_or(0), 204);

    const auto received = nlohmann::json::parse(read_file(out / "request-1.json"));
    BOOST_CHECK_EQUAL(received["verified"], true);  // the receiver's own HMAC check
    BOOST_CHECK_EQUAL(received["path"], "/hook");
    BOOST_CHECK_EQUAL(received["body"], row.payload);
    BOOST_CHECK_EQUAL(received["headers"]["Content-Type"], "application/json");
    BOOST_CHECK_EQUAL(received["headers"]["Signet-Event"], "signer_due");
    BOOST_CHECK_EQUAL(received["headers"]["Signet-Delivery"], std::to_string(row.id));
    BOOST_CHECK_EQUAL(received["headers"]["Signet-Timestamp"],
                      std::to_string(unix_seconds(f.clock.now())));
    BOOST_CHECK_EQUAL(received["headers"]["Signet-Signature"],
                      sign::webhook_signature(kWebhookSecret,
                                              std::to_string(unix_seconds(f.clock.now())),
                                              row.payload));

    BOOST_CHECK_EQUAL(deliverer->run_once(), 0u);  // delivered once, not again
}

BOOST_AUTO_TEST_CASE(a_signature_the_receiver_refuses_is_retried_not_delivered) {
    NotifyFixture f("notify_webhook_refused");
    const auto row = queued_webhook(f);
    std::uint16_t port = 0;
    const auto out = f.dir.path() / "hook";
    const auto receiver = f.start_webhook_receiver(port, "another-secret", out);
    auto deliverer = f.deliverer(NotifyFixture::settings_for_webhook(port));

    BOOST_CHECK_EQUAL(deliverer->run_once(), 1u);
    const auto after = reload(f, row);
    BOOST_CHECK_EQUAL(after.state, "pending");
    BOOST_CHECK_EQUAL(after.attempts, 1);
    BOOST_CHECK_EQUAL(after.last_error.value_or(""), "HTTP 401");
    BOOST_CHECK(after.next_attempt_at == f.clock.now() + 5s);
    const auto attempts = f.attempts_of(row.id);
    BOOST_REQUIRE_EQUAL(attempts.size(), 1u);
    BOOST_CHECK_EQUAL(attempts[0].outcome, "retry");
    BOOST_CHECK_EQUAL(attempts[0].reply_code.value_or(0), 401);
    BOOST_CHECK_EQUAL(nlohmann::json::parse(read_file(out / "request-1.json"))["verified"], false);
}

BOOST_AUTO_TEST_CASE(a_receiver_down_at_first_is_retried_with_backoff_then_delivered) {
    NotifyFixture f("notify_webhook_down");
    const auto row = queued_webhook(f);
    std::uint16_t port = free_port();  // nothing listens yet
    auto deliverer = f.deliverer(NotifyFixture::settings_for_webhook(port));
    const auto t0 = std::chrono::time_point_cast<std::chrono::microseconds>(f.clock.now());

    BOOST_CHECK_EQUAL(deliverer->run_once(), 1u);
    auto after = reload(f, row);
    BOOST_CHECK_EQUAL(after.state, "pending");
    BOOST_CHECK(after.next_attempt_at == t0 + 5s);
    BOOST_CHECK_EQUAL(deliverer->run_once(), 0u);  // not due before its backoff

    f.clock.advance(5s);
    BOOST_CHECK_EQUAL(deliverer->run_once(), 1u);
    after = reload(f, row);
    BOOST_CHECK_EQUAL(after.attempts, 2);
    BOOST_CHECK(after.next_attempt_at == t0 + 15s);  // doubled: 10 s

    const auto receiver = f.start_webhook_receiver(port, kWebhookSecret, f.dir.path() / "hook");
    f.clock.advance(9s);
    BOOST_CHECK_EQUAL(deliverer->run_once(), 0u);
    f.clock.advance(1s);
    BOOST_CHECK_EQUAL(deliverer->run_once(), 1u);
    after = reload(f, row);
    BOOST_CHECK_EQUAL(after.state, "delivered");
    BOOST_CHECK_EQUAL(after.attempts, 3);

    const auto attempts = f.attempts_of(row.id);
    BOOST_REQUIRE_EQUAL(attempts.size(), 3u);
    BOOST_CHECK_EQUAL(attempts[0].outcome, "retry");
    BOOST_CHECK(!attempts[0].reply_code);  // no answer: nothing listened
    BOOST_CHECK(!attempts[0].error.value_or("").empty());
    BOOST_CHECK(attempts[0].at == t0);
    BOOST_CHECK_EQUAL(attempts[1].outcome, "retry");
    BOOST_CHECK(attempts[1].at == t0 + 5s);
    BOOST_CHECK_EQUAL(attempts[2].outcome, "delivered");
    BOOST_CHECK(attempts[2].at == t0 + 15s);
    BOOST_CHECK_EQUAL(attempts[2].reply_code.value_or(0), 204);
}

BOOST_AUTO_TEST_CASE(a_message_is_failed_after_max_attempts) {
    NotifyFixture f("notify_webhook_failed");
    const auto row = queued_webhook(f);
    auto deliverer = f.deliverer(NotifyFixture::settings_for_webhook(free_port()));  // 4 tries
    for (int i = 0; i < 4; ++i) {
        BOOST_CHECK_EQUAL(deliverer->run_once(), 1u);
        f.clock.advance(1h);
    }
    const auto after = reload(f, row);
    BOOST_CHECK_EQUAL(after.state, "failed");
    BOOST_CHECK_EQUAL(after.attempts, 4);
    BOOST_CHECK(after.last_error);
    const auto attempts = f.attempts_of(row.id);
    BOOST_REQUIRE_EQUAL(attempts.size(), 4u);
    BOOST_CHECK_EQUAL(attempts[3].outcome, "failed");
    f.clock.advance(24h);
    BOOST_CHECK_EQUAL(deliverer->run_once(), 0u);
}

BOOST_AUTO_TEST_CASE(a_client_without_a_webhook_any_more_is_failed_at_once) {
    NotifyFixture f("notify_webhook_gone");
    const auto row = queued_webhook(f);
    auto deliverer = f.deliverer(sign::DelivererSettings{});
    BOOST_CHECK_EQUAL(deliverer->run_once(), 1u);
    const auto after = reload(f, row);
    BOOST_CHECK_EQUAL(after.state, "failed");
    BOOST_CHECK_EQUAL(after.last_error.value_or(""), "no webhook is configured for the client");
}

BOOST_AUTO_TEST_CASE(the_deliverer_thread_delivers_and_stops) {
    NotifyFixture f("notify_webhook_thread");
    const auto row = queued_webhook(f);
    std::uint16_t port = 0;
    const auto receiver = f.start_webhook_receiver(port, kWebhookSecret, f.dir.path() / "hook");
    auto settings = NotifyFixture::settings_for_webhook(port);
    settings.poll_interval = 100ms;
    auto deliverer = f.deliverer(std::move(settings));
    deliverer->start();
    // Waits for the delivery with a generous bound (not a timing threshold).
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (reload(f, row).state != "delivered" && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(50ms);
    deliverer->stop();
    BOOST_CHECK_EQUAL(reload(f, row).state, "delivered");
    BOOST_CHECK_EQUAL(f.attempts_of(row.id).size(), 1u);
}

BOOST_AUTO_TEST_SUITE_END()
