// The outbox (sign/outbox_notifier.hpp, store/contract_notifications.hpp) and the signing links
// (sign/signing_links.hpp) on real parts: rows written in the transition's own transaction and
// none when it is refused, who is told what, what a payload holds and does not hold, and the
// links' single use and expiry.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "common/digest.hpp"
#include "tests/notify/notify_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

// Writes the outbox rows, then fails the transition (as any later step could).
class FailingAfterOutbox final : public sign::ContractNotifier {
  public:
    explicit FailingAfterOutbox(std::shared_ptr<sign::ContractNotifier> inner)
        : inner_(std::move(inner)) {}
    void signer_due(store::Connection& tx, const store::ContractRecord& c,
                    const store::ContractSignerRecord& s) override {
        inner_->signer_due(tx, c, s);
        throw Error(Errc::unavailable, "the step after the outbox failed");
    }
    void contract_completed(store::Connection&, const store::ContractRecord&) override {}
    void contract_cancelled(store::Connection&, const store::ContractRecord&) override {}
    void contract_expired(store::Connection&, const store::ContractRecord&) override {}

  private:
    std::shared_ptr<sign::ContractNotifier> inner_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(contract_outbox)

BOOST_AUTO_TEST_CASE(send_queues_a_webhook_and_an_email_for_the_first_signer) {
    NotifyFixture f("notify_send");
    f.set_email(f.alice.id, "wang.fang@example.test");
    const sign::Contract created = f.notified->create(f.draft(), f.document, f.caller);
    BOOST_CHECK_EQUAL(f.outbox_count(), 0);  // a draft tells nobody
    const sign::Contract sent = f.notified->send(created.record.id, f.caller);

    const auto rows = f.outbox_rows(sent.record.id);
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    BOOST_CHECK_EQUAL(rows[0].kind, "webhook");
    BOOST_CHECK_EQUAL(rows[0].target, "frontend-1");
    BOOST_CHECK_EQUAL(rows[1].kind, "email");
    BOOST_CHECK_EQUAL(rows[1].target, std::to_string(f.alice.id));  // the subject, no address
    for (const auto& row : rows) {
        BOOST_CHECK_EQUAL(row.event, "signer_due");
        BOOST_CHECK_EQUAL(*row.signer_position, 1);
        BOOST_CHECK_EQUAL(row.state, "pending");
        BOOST_CHECK_EQUAL(row.attempts, 0);
        BOOST_CHECK(row.next_attempt_at == row.created_at);
        BOOST_CHECK_EQUAL(row.payload, rows[0].payload);
        BOOST_CHECK(row.payload.find("example.test") == std::string::npos);
        for (const auto& number : numbers_used())
            BOOST_CHECK(row.payload.find(number) == std::string::npos);
    }
    const auto payload = nlohmann::json::parse(rows[0].payload);
    BOOST_CHECK_EQUAL(payload["event"], "signer_due");
    BOOST_CHECK_EQUAL(payload["contract"]["id"], sent.record.id);
    BOOST_CHECK_EQUAL(payload["contract"]["title"], "房屋租赁合同 2026-118");
    BOOST_CHECK_EQUAL(payload["contract"]["state"], "sent");
    BOOST_CHECK_EQUAL(payload["contract"]["current_revision"], 0);
    BOOST_CHECK_EQUAL(payload["contract"]["revision_sha256"],
                      to_hex(sha256_of(ByteView(f.document))));
    BOOST_CHECK_EQUAL(payload["signer"]["position"], 1);
    BOOST_CHECK_EQUAL(payload["signer"]["kind"], "person");
    BOOST_CHECK_EQUAL(payload["signer"]["subject_id"], f.alice.id);
    BOOST_CHECK_EQUAL(payload["at"], format_utc(f.clock.now()));
    BOOST_CHECK_EQUAL(payload.size(), 4u);
}

BOOST_AUTO_TEST_CASE(a_refused_transition_leaves_no_row) {
    NotifyFixture f("notify_refused");
    f.set_email(f.alice.id, "wang.fang@example.test");
    const sign::Contract c = f.notified->create(f.draft(), f.document, f.caller);

    // The TSA down: refused before anything is written.
    f.tsa_down = true;
    BOOST_CHECK_THROW(f.notified->send(c.record.id, f.caller), Error);
    f.tsa_down = false;
    BOOST_CHECK_EQUAL(f.outbox_count(), 0);

    // The outbox rows written, then the transition fails: they roll back with it.
    auto failing = f.service_with(std::make_shared<FailingAfterOutbox>(f.outbox_notifier));
    BOOST_CHECK_THROW(failing->send(c.record.id, f.caller), Error);
    BOOST_CHECK_EQUAL(f.outbox_count(), 0);
    BOOST_CHECK_EQUAL(f.notified->find(c.record.id, f.caller).record.state, "draft");

    // Another client's send is refused too, and writes nothing.
    const sign::ContractCaller other{"client:frontend-2", "frontend-2"};
    BOOST_CHECK_THROW(f.notified->send(c.record.id, other), Error);
    BOOST_CHECK_EQUAL(f.outbox_count(), 0);

    f.notified->send(c.record.id, f.caller);
    BOOST_CHECK_EQUAL(f.outbox_count(), 2);
}

BOOST_AUTO_TEST_CASE(only_configured_webhooks_and_known_addresses_are_told) {
    NotifyFixture f("notify_who");
    // frontend-2 has no webhook and alice no address: nobody to tell.
    const sign::ContractCaller other{"client:frontend-2", "frontend-2"};
    const sign::Contract c = f.notified->create(f.draft(), f.document, other);
    f.notified->send(c.record.id, other);
    BOOST_CHECK_EQUAL(f.outbox_count(), 0);
    f.notified->cancel(c.record.id, other);
    BOOST_CHECK_EQUAL(f.outbox_count(), 0);
}

BOOST_AUTO_TEST_CASE(a_seal_is_mailed_to_its_agent_and_completion_goes_to_the_webhook) {
    NotifyFixture f("notify_seal");
    f.set_email(f.agent.id, "chen.jing@example.test");
    f.set_email(f.organization.id, "office@example.test");
    sign::Contract c = f.notified->create(f.draft(), f.document, f.caller);
    c = f.notified->send(c.record.id, f.caller);
    for (int position = 1; position <= 2; ++position)
        c = f.notified->record_signature(c.record.id, position, f.revision_after(c, position),
                                         "5a3f0c", f.caller);
    auto rows = f.outbox_rows(c.record.id);
    // due 1 (webhook), due 2 (webhook), due 3 (webhook and the agent's e-mail)
    BOOST_REQUIRE_EQUAL(rows.size(), 4u);
    BOOST_CHECK_EQUAL(rows[3].kind, "email");
    BOOST_CHECK_EQUAL(rows[3].target, std::to_string(f.agent.id));
    BOOST_CHECK_EQUAL(*rows[3].signer_position, 3);
    const auto due3 = nlohmann::json::parse(rows[2].payload);
    BOOST_CHECK_EQUAL(due3["contract"]["state"], "partially_signed");
    BOOST_CHECK_EQUAL(due3["contract"]["current_revision"], 2);
    BOOST_CHECK_EQUAL(due3["contract"]["revision_sha256"], to_hex(c.revisions.back().sha256));
    BOOST_CHECK_EQUAL(due3["signer"]["kind"], "seal");
    BOOST_CHECK_EQUAL(due3["signer"]["subject_id"], f.organization.id);

    c = f.notified->record_signature(c.record.id, 3, f.revision_after(c, 3), "5a3f0c", f.caller);
    rows = f.outbox_rows(c.record.id);
    BOOST_REQUIRE_EQUAL(rows.size(), 5u);
    BOOST_CHECK_EQUAL(rows[4].kind, "webhook");
    BOOST_CHECK_EQUAL(rows[4].event, "contract_completed");
    BOOST_CHECK(!rows[4].signer_position);
    const auto done = nlohmann::json::parse(rows[4].payload);
    BOOST_CHECK_EQUAL(done["contract"]["state"], "completed");
    BOOST_CHECK(!done.contains("signer"));
}

BOOST_AUTO_TEST_CASE(cancel_and_expiry_are_reported_to_the_webhook) {
    NotifyFixture f("notify_cancel_expire");
    sign::Contract a = f.notified->create(f.draft(), f.document, f.caller);
    f.notified->cancel(a.record.id, f.caller);
    auto rows = f.outbox_rows(a.record.id);
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    BOOST_CHECK_EQUAL(rows[0].event, "contract_cancelled");

    sign::Contract b = f.notified->create(f.draft(), f.document, f.caller);
    f.notified->send(b.record.id, f.caller);
    f.clock.advance(8 * 24h);
    BOOST_CHECK_EQUAL(f.notified->expire_due(f.clock.now()), 1u);
    rows = f.outbox_rows(b.record.id);
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    BOOST_CHECK_EQUAL(rows[1].event, "contract_expired");
    BOOST_CHECK_EQUAL(nlohmann::json::parse(rows[1].payload)["contract"]["state"], "expired");
}

BOOST_AUTO_TEST_CASE(a_signing_link_resolves_until_used_once_or_expired) {
    NotifyFixture f("notify_links");
    sign::Contract c = f.notified->create(f.draft(), f.document, f.caller);
    c = f.notified->send(c.record.id, f.caller);
    const auto expires = std::chrono::time_point_cast<std::chrono::microseconds>(f.clock.now() + 1h);
    const std::string token = f.database.transaction(
        [&](store::Connection& tx) { return f.links.issue(tx, c.record.id, 1, expires); });
    BOOST_CHECK(sign::is_signing_token(token));
    // Only the hash is stored.
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM signing_links WHERE token_sha256 = '\\x" +
                              to_hex(sha256_of(token)) + "'::bytea"),
                      1);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM signing_links WHERE position(convert_to('" +
                              token + "', 'UTF8') in token_sha256) > 0"),
                      0);

    const auto target = f.links.resolve(token);
    BOOST_REQUIRE(target);
    BOOST_CHECK_EQUAL(target->contract_id, c.record.id);
    BOOST_CHECK_EQUAL(target->position, 1);
    BOOST_CHECK(target->expires_at == expires);

    // Unknown, malformed, or one character changed.
    std::string changed = token;
    changed[5] = changed[5] == 'A' ? 'B' : 'A';
    BOOST_CHECK(!f.links.resolve(changed));
    BOOST_CHECK(!f.links.resolve("short"));
    BOOST_CHECK(!f.links.resolve(token + "x"));

    // Single use.
    BOOST_CHECK(f.database.transaction(
        [&](store::Connection& tx) { return f.links.consume(tx, token); }));
    BOOST_CHECK(!f.links.resolve(token));
    BOOST_CHECK(!f.database.transaction(
        [&](store::Connection& tx) { return f.links.consume(tx, token); }));

    // A consume that rolls back leaves the token usable; expiry ends it.
    const std::string second = f.database.transaction(
        [&](store::Connection& tx) { return f.links.issue(tx, c.record.id, 1, expires); });
    BOOST_CHECK_THROW(f.database.transaction([&](store::Connection& tx) {
        BOOST_CHECK(f.links.consume(tx, second));
        throw Error(Errc::unavailable, "the signature failed");
    }),
                      Error);
    BOOST_CHECK(f.links.resolve(second));
    f.clock.advance(1h);
    BOOST_CHECK(!f.links.resolve(second));
    BOOST_CHECK(!f.database.transaction(
        [&](store::Connection& tx) { return f.links.consume(tx, second); }));

    // A link for a signer the contract does not have, or already expired, is refused.
    BOOST_CHECK_THROW(f.database.transaction([&](store::Connection& tx) {
        return f.links.issue(tx, c.record.id, 9, f.clock.now() + 1h);
    }),
                      Error);
    BOOST_CHECK_THROW(f.database.transaction([&](store::Connection& tx) {
        return f.links.issue(tx, c.record.id, 1, f.clock.now());
    }),
                      Error);
}

BOOST_AUTO_TEST_CASE(the_retry_delay_doubles_up_to_its_cap) {
    BOOST_CHECK(sign::retry_delay(1, 5s, 3600s) == 5s);
    BOOST_CHECK(sign::retry_delay(2, 5s, 3600s) == 10s);
    BOOST_CHECK(sign::retry_delay(5, 5s, 3600s) == 80s);
    BOOST_CHECK(sign::retry_delay(10, 5s, 3600s) == 2560s);
    BOOST_CHECK(sign::retry_delay(11, 5s, 3600s) == 3600s);
    BOOST_CHECK(sign::retry_delay(500, 5s, 3600s) == 3600s);
}

BOOST_AUTO_TEST_SUITE_END()
