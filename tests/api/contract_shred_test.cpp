// Retention and crypto-shredding (sign/contracts.hpp Contracts::shred, POST
// /v1/contracts/{id}/shred) over real HTTPS, PostgreSQL and SoftHSM: refused before the retention
// ends (409 naming the date) and for an open contract; after it, every revision's wrapped data
// key and chunks are gone — the vault cannot open the document even with the HSM — the record,
// hashes and time-stamped events are intact, downloads are 410, and the audit log holds
// "contract.shredded" with the revisions' SHA-256.
#include "tests/api/contracts_api.hpp"
#include "tests/support/expect.hpp"

BOOST_AUTO_TEST_SUITE(contract_shred)

BOOST_AUTO_TEST_CASE(a_contract_is_shredded_only_after_its_retention_period) {
    ContractsApi f("contract_api_shred");
    sign::Contract c = f.create();
    const std::string id = c.record.id;
    const std::string shred = "/v1/contracts/" + id + "/shred";
    // Open: refused.
    check_problem(f.call(http::verb::post, shred), 409,
                  "only a completed, cancelled or expired contract can be shredded");
    c = f.service->send(id, f.caller);
    for (int position = 1; position <= c.record.signer_count; ++position)
        c = f.sign_as(c, position);
    BOOST_REQUIRE_EQUAL(c.record.state, "completed");
    BOOST_REQUIRE(c.revisions.size() > 1u);

    // The scope: a client with `contracts` alone may not shred (frontend-1 has contracts-admin).
    BOOST_CHECK_EQUAL(f.call(http::verb::post, shred, {}, {}, kOtherToken).status, 403u);
    // Before the retention ends: 409 naming the date, nothing changed.
    const std::string before = f.tables();
    const Clock::time_point end = *f.service->retention_end(c.record);
    BOOST_CHECK(end > *c.record.completed_at + std::chrono::days(3650));
    check_problem(f.call(http::verb::post, shred), 409, "kept until " + format_utc(end));
    BOOST_CHECK(f.tables() == before);
    const Answer events_before = f.call(http::verb::get, "/v1/contracts/" + id);

    // After it: shredded.
    f.clock.set(end + std::chrono::seconds(1));
    const Answer shredded = f.call(http::verb::post, shred);
    BOOST_REQUIRE_EQUAL(shredded.status, 200u);
    BOOST_CHECK(shredded.body["shredded_at"].is_string());
    // The record, the revisions' hashes and the time-stamped events are as they were.
    BOOST_CHECK(shredded.body["events"] == events_before.body["events"]);
    BOOST_CHECK(shredded.body["revisions"] == events_before.body["revisions"]);
    f.verify_event_tokens(f.service->find(id, f.caller));
    // The keys and chunks are gone; the vault cannot open a revision, HSM or not.
    for (const auto& r : c.revisions) {
        BOOST_TEST_CONTEXT("revision " << r.number) {
            BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM documents WHERE id = '" +
                                      r.document_id + "' AND wrapped_key IS NULL"),
                              1);
            BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM document_chunks WHERE document_id = '" +
                                      r.document_id + "'"),
                              0);
            expect_error([&] { f.vault->read(r.document_id); }, Errc::failed_precondition,
                         "crypto-shredded");
        }
    }
    // Downloads: 410 naming the shredding.
    const Answer gone = f.call(http::verb::get, "/v1/contracts/" + id + "/document?revision=0");
    check_problem(gone, 410, "crypto-shredded");
    BOOST_CHECK(gone.body["type"].get<std::string>().ends_with("document-shredded"));
    // Once only.
    check_problem(f.call(http::verb::post, shred), 409, "already shredded");
    // The audit event, with every revision's SHA-256.
    bool found = false;
    for (const auto& e : f.events()) {
        if (e.event.type != "contract.shredded")
            continue;
        found = true;
        BOOST_CHECK_EQUAL(e.event.object, "contract:" + id);
        BOOST_CHECK_EQUAL(e.event.actor, "client:frontend-1");
        BOOST_REQUIRE_EQUAL(e.event.details["revisions"].size(), c.revisions.size());
        for (std::size_t i = 0; i < c.revisions.size(); ++i)
            BOOST_CHECK_EQUAL(e.event.details["revisions"][i]["sha256"],
                              to_hex(c.revisions[i].sha256));
    }
    BOOST_CHECK(found);
}

BOOST_AUTO_TEST_SUITE_END()
