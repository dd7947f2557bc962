// DESIGN.md invariant 2 for the TSA: "every time-stamp token that leaves the server is in the
// database". The token's row is committed before the HSM is asked to sign: checked at the very
// moment of the signature, from another connection (another pool), by a signer that stands
// between OpenSSL's bridge and the HSM key. And a crash between the commit and the signature
// (the after_recording hook, as the CA's after_reservation) leaves the row and no token.
#include <boost/test/unit_test.hpp>
#include <functional>

#include "hsm/bridge.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/tsa/tsa_fixture.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

// The TSA's HSM key, with a look around before each signature.
class WatchedSigner final : public hsm::Signer {
  public:
    WatchedSigner(std::shared_ptr<const hsm::Signer> key, std::function<void()> before_signing)
        : key_(std::move(key)), before_signing_(std::move(before_signing)) {}
    KeyType key_type() const noexcept override { return key_->key_type(); }
    EVP_PKEY* public_key() const noexcept override { return key_->public_key(); }
    Bytes sign_digest(Digest digest_alg, hsm::Padding padding, ByteView digest) const override {
        before_signing_();
        return key_->sign_digest(digest_alg, padding, digest);
    }

  private:
    std::shared_ptr<const hsm::Signer> key_;
    std::function<void()> before_signing_;
};

struct InjectedCrash : std::runtime_error {
    InjectedCrash() : std::runtime_error("injected crash after the commit") {}
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tsa_durability)

BOOST_AUTO_TEST_CASE(the_row_is_committed_when_the_hsm_is_asked_to_sign) {
    TsaFixture f({.start = false});
    // Another pool: a row it sees is committed, not merely written in the responder's session.
    store::Database observer({.dsn = f.dsn, .pool_size = 1});
    std::optional<store::TsaTokenRecord> recorded;
    int signatures = 0;
    std::vector<std::string> seen_at_signing;  // per signature: what the observer found
    auto options = f.responder_options({});
    options.identity.key = hsm::bridge_key(std::make_shared<WatchedSigner>(f.signer, [&] {
        ++signatures;
        if (!recorded) {
            seen_at_signing.push_back("no row recorded yet");
            return;
        }
        const auto rows = observer.with_connection([&](store::Connection& c) {
            return c
                .exec("SELECT count(*) FROM tsa_tokens WHERE serial = $1 AND gen_time = $2",
                      {recorded->serial, recorded->gen_time})
                .one()[0]
                .int64();
        });
        seen_at_signing.push_back(rows == 1 ? "committed" : "not visible");
    }));
    options.after_recording = [&](const store::TsaTokenRecord& row) { recorded = row; };
    tsa::Responder responder(std::move(options));
    // The token template's sample and its check are signed by a stand-in key
    // (tsa/token_template.hpp): the TSA's key signs nothing before a token's row exists.
    BOOST_CHECK_EQUAL(signatures, 0);

    for (int i = 0; i < 3; ++i) {
        recorded.reset();
        const tsa::Reply reply = responder.respond(make_request({}), kRequester);
        BOOST_REQUIRE_MESSAGE(!reply.failure, reply.reason);
        BOOST_REQUIRE(recorded.has_value());
        BOOST_CHECK(recorded->serial == reply.serial);
    }
    BOOST_CHECK_EQUAL(signatures, 3);
    BOOST_REQUIRE_EQUAL(seen_at_signing.size(), 3u);
    for (const auto& seen : seen_at_signing)
        BOOST_CHECK_EQUAL(seen, "committed");
}

BOOST_AUTO_TEST_CASE(a_crash_between_commit_and_signature_leaves_the_row_and_no_token) {
    TsaFixture f({.start = false});
    int signatures = 0;
    std::optional<store::TsaTokenRecord> recorded;
    auto options = f.responder_options({});
    options.identity.key =
        hsm::bridge_key(std::make_shared<WatchedSigner>(f.signer, [&] { ++signatures; }));
    options.after_recording = [&](const store::TsaTokenRecord& row) {
        recorded = row;
        throw InjectedCrash();
    };
    tsa::Responder responder(std::move(options));
    const tsa::Reply reply = responder.respond(make_request({}), kRequester);
    BOOST_REQUIRE(reply.failure.has_value());
    BOOST_CHECK_EQUAL(to_string(*reply.failure), "systemFailure");
    BOOST_CHECK(!parse_reply(reply.der).has_token);
    BOOST_CHECK(reply.serial.empty());
    BOOST_CHECK_EQUAL(signatures, 0);
    // The row says a token may exist for that serial; none does, which the table allows.
    BOOST_REQUIRE(recorded.has_value());
    const auto row = f.tokens->find(recorded->serial);
    BOOST_REQUIRE(row.has_value());
    BOOST_CHECK(row->imprint == recorded->imprint);
    BOOST_CHECK_EQUAL(f.tokens->count(), 1);
}

BOOST_AUTO_TEST_CASE(a_commit_that_does_not_come_gives_system_failure_after_the_wait) {
    TsaFixture f({.start = false});
    // The journal waits 300 ms for a commit; the database would let the INSERT wait a minute.
    f.journal = std::make_shared<tsa::GroupCommitJournal>(
        *f.database, *f.tokens,
        store::GroupCommitOptions{.writers = 1, .wait = std::chrono::milliseconds(300)});
    f.restart({});
    store::Database other({.dsn = f.dsn, .pool_size = 1});
    auto blocker = other.acquire();
    blocker->begin({});
    blocker->exec("LOCK TABLE tsa_tokens IN ACCESS EXCLUSIVE MODE");
    const tsa::Reply reply = f.responder->respond(make_request({}), kRequester);
    BOOST_REQUIRE(reply.failure.has_value());
    BOOST_CHECK_EQUAL(to_string(*reply.failure), "systemFailure");
    BOOST_CHECK(!parse_reply(reply.der).has_token);
    BOOST_TEST_MESSAGE("cause: " << reply.reason);
    BOOST_CHECK(reply.reason.find("database.wait_ms") != std::string::npos);
    BOOST_CHECK_EQUAL(f.journal->stats().timeouts, 1u);
    blocker->rollback();
    // Once the table is free, tokens come again.
    const tsa::Reply after = f.responder->respond(make_request({}), kRequester);
    BOOST_CHECK_MESSAGE(!after.failure, after.reason);
}

BOOST_AUTO_TEST_SUITE_END()
