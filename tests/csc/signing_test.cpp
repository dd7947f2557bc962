// signatures/signHash and signatures/timestamp (csc/signing.cpp): SCAL2 — a SAD signs exactly
// the hashes it was authorized for, as many times as authorized, once, in time, with its own
// credential — signatures that verify with the certificate's key, and RFC 3161 tokens from our
// TSA.
#include <openssl/pkcs7.h>
#include <openssl/ts.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>

#include "tests/csc/csc_fixture.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;
using csc::CscFailure;

namespace {

const csc::Caller& A = CscFixture::kPlatformA;

}  // namespace

BOOST_AUTO_TEST_SUITE(csc_signing)

BOOST_AUTO_TEST_CASE(a_sad_for_hash_a_cannot_sign_hash_b_and_nothing_is_signed) {
    CscFixture f("csc_scal2_hash");
    const Bytes a = CscFixture::sha256("contract A"), b = CscFixture::sha256("contract B");
    const auto activation = f.authorize(A, f.alice_ec_id, {a}, 1);
    const std::string before = f.csc_tables();
    expect_csc([&] { f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {b})); },
               CscFailure::invalid_request, "Hash is not authorized by the SAD");
    // Not with A beside it either, nor under another digest's name.
    expect_csc(
        [&] { f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a, b})); },
        CscFailure::invalid_request, "Hash is not authorized by the SAD");
    BOOST_CHECK_EQUAL(f.csc_tables(), before);  // the SAD unchanged, nothing recorded
    BOOST_CHECK(f.events_of_type("csc.signed").empty());
    // The SAD still signs what it was authorized for: the refusals used nothing up.
    const auto signatures =
        f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a}));
    BOOST_REQUIRE_EQUAL(signatures.size(), 1u);
    BOOST_CHECK(CscFixture::verifies(f.alice_ec, Digest::sha256, hsm::Padding::ecdsa,
                                     signatures[0], a));
}

BOOST_AUTO_TEST_CASE(a_sad_for_two_signatures_signs_two_and_no_more_and_only_once) {
    CscFixture f("csc_scal2_count");
    const Bytes a = CscFixture::sha256("A"), b = CscFixture::sha256("B");
    const auto activation = f.authorize(A, f.alice_ec_id, {a, b}, 2);
    // Three hashes where two were authorized: refused, nothing signed.
    expect_csc(
        [&] {
            f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a, b, a}));
        },
        CscFailure::invalid_request, "Hash is not authorized by the SAD");
    const auto signatures =
        f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {b, a}));
    BOOST_REQUIRE_EQUAL(signatures.size(), 2u);
    // In the order given.
    BOOST_CHECK(CscFixture::verifies(f.alice_ec, Digest::sha256, hsm::Padding::ecdsa,
                                     signatures[0], b));
    BOOST_CHECK(CscFixture::verifies(f.alice_ec, Digest::sha256, hsm::Padding::ecdsa,
                                     signatures[1], a));
    BOOST_CHECK_EQUAL(f.count("SELECT signatures_left FROM csc_transactions"), 0);
    // A second use: refused.
    expect_csc([&] { f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a})); },
               CscFailure::invalid_request, "Invalid parameter SAD");

    // A SAD used for one of its two hashes is spent too; the rest goes through
    // extendTransaction (authorization_test).
    const auto again = f.authorize(A, f.alice_ec_id, {a, b}, 2);
    f.service->sign_hash(A, f.sign_request(f.alice_ec_id, again.sad, {a}));
    expect_csc([&] { f.service->sign_hash(A, f.sign_request(f.alice_ec_id, again.sad, {b})); },
               CscFailure::invalid_request, "Invalid parameter SAD");
    BOOST_CHECK_EQUAL(f.events_of_type("csc.signed").size(), 2u);
}

BOOST_AUTO_TEST_CASE(four_platform_threads_racing_with_one_sad_get_one_signature) {
    CscFixture f("csc_scal2_race");
    const Bytes a = CscFixture::sha256("A");
    const auto activation = f.authorize(A, f.alice_ec_id, {a}, 1);
    std::atomic<int> signed_calls{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    // As many as the fixture's pool has connections (4): none waits for one, all for the row.
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            try {
                f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a}));
                ++signed_calls;
            } catch (const csc::CscError& e) {
                (std::string_view(e.what()) == "Invalid parameter SAD" ? refused : other)++;
            } catch (...) {
                ++other;
            }
        });
    for (auto& thread : threads)
        thread.join();
    // The SAD row's lock serializes them: one signs, three find it used.
    BOOST_CHECK_EQUAL(signed_calls.load(), 1);
    BOOST_CHECK_EQUAL(refused.load(), 3);
    BOOST_CHECK_EQUAL(other.load(), 0);
    BOOST_CHECK_EQUAL(f.events_of_type("csc.signed").size(), 1u);
}

BOOST_AUTO_TEST_CASE(an_expired_sad_is_refused) {
    CscFixture f("csc_scal2_expiry");
    const Bytes a = CscFixture::sha256("A");
    const auto activation = f.authorize(A, f.alice_ec_id, {a}, 1);
    f.clock.advance(299s);
    const std::string before = f.csc_tables();
    f.clock.advance(1s);  // the SAD's 300 s are over
    expect_csc([&] { f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a})); },
               CscFailure::invalid_request, "SAD expired");
    BOOST_CHECK_EQUAL(f.csc_tables(), before);
}

BOOST_AUTO_TEST_CASE(a_sad_signs_only_with_its_own_credential_and_platform) {
    CscFixture f("csc_scal2_credential");
    const Bytes a = CscFixture::sha256("A");
    const auto activation = f.authorize(A, f.alice_ec_id, {a}, 1);
    const std::string before = f.csc_tables();
    // Alice's other credential, bob's (same platform): the SAD is not theirs.
    for (const std::string* other : {&f.alice_rsa_id, &f.bob_ec_id}) {
        const hsm::Padding padding =
            *other == f.alice_rsa_id ? hsm::Padding::pkcs1 : hsm::Padding::ecdsa;
        expect_csc(
            [&] { f.service->sign_hash(A, f.sign_request(*other, activation.sad, {a}, padding)); },
            CscFailure::invalid_request, "Invalid parameter SAD");
    }
    // Another platform naming alice's credential: no such credential for it.
    expect_csc(
        [&] {
            f.service->sign_hash(CscFixture::kPlatformB,
                                 f.sign_request(f.alice_ec_id, activation.sad, {a}));
        },
        CscFailure::invalid_request, "Invalid parameter credentialID");
    // A SAD that is no SAD, and a padding the key cannot make.
    expect_csc([&] { f.service->sign_hash(A, f.sign_request(f.alice_ec_id, "nonsense", {a})); },
               CscFailure::invalid_request, "Invalid parameter SAD");
    expect_csc(
        [&] {
            f.service->sign_hash(
                A, f.sign_request(f.alice_ec_id, activation.sad, {a}, hsm::Padding::pss));
        },
        CscFailure::invalid_request, "Invalid parameter signAlgo");
    expect_csc([&] { f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {})); },
               CscFailure::invalid_request, "Empty hash array");
    expect_csc(
        [&] {
            f.service->sign_hash(A,
                                 f.sign_request(f.alice_ec_id, activation.sad, {Bytes(20, 1)}));
        },
        CscFailure::invalid_request, "Invalid digest value length");
    BOOST_CHECK_EQUAL(f.csc_tables(), before);
    BOOST_CHECK_NO_THROW(
        f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a})));
}

BOOST_AUTO_TEST_CASE(a_revocation_after_authorize_stops_the_signature) {
    CscFixture f("csc_scal2_revoked");
    const Bytes a = CscFixture::sha256("A");
    const auto activation = f.authorize(A, f.alice_ec_id, {a}, 1);
    f.authority->revoke(f.alice_ec.record.serial, ca::RevocationReason::key_compromise,
                        std::nullopt, "operator:test");
    const std::string before = f.csc_tables();
    expect_csc([&] { f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a})); },
               CscFailure::invalid_request,
               "The credential identified by credentialID is disabled");
    BOOST_CHECK_EQUAL(f.csc_tables(), before);
}

BOOST_AUTO_TEST_CASE(signatures_verify_for_ec_rsa_pkcs1_and_rsa_pss) {
    CscFixture f("csc_algorithms");
    struct Case {
        const ca::Issued* issued;
        std::string id;
        hsm::Padding padding;
    };
    for (const Case& c : {Case{&f.alice_ec, f.alice_ec_id, hsm::Padding::ecdsa},
                          Case{&f.alice_rsa, f.alice_rsa_id, hsm::Padding::pkcs1},
                          Case{&f.alice_rsa, f.alice_rsa_id, hsm::Padding::pss}}) {
        BOOST_TEST_CONTEXT(c.id << " padding " << static_cast<int>(c.padding)) {
            const std::vector<Bytes> hashes{CscFixture::sha256("one"), CscFixture::sha256("two"),
                                            CscFixture::sha256("three")};
            const auto activation = f.authorize(A, c.id, hashes, 3);
            const auto signatures =
                f.service->sign_hash(A, f.sign_request(c.id, activation.sad, hashes, c.padding));
            BOOST_REQUIRE_EQUAL(signatures.size(), 3u);
            for (std::size_t i = 0; i < 3; ++i) {
                BOOST_CHECK(CscFixture::verifies(*c.issued, Digest::sha256, c.padding,
                                                 signatures[i], hashes[i]));
                BOOST_CHECK(!CscFixture::verifies(*c.issued, Digest::sha256, c.padding,
                                                  signatures[i], hashes[(i + 1) % 3]));
            }
        }
    }
    // A SHA-384 transaction signs SHA-384 digests, and no SHA-256 one under its name.
    const Bytes sha384(48, 0x5a);
    csc::AuthorizeRequest r = f.by_sms(A, f.alice_rsa_id, {sha384}, 1);
    r.hash_algorithm = Digest::sha384;
    const auto activation = f.service->authorize(A, r);
    csc::SignHashRequest s = f.sign_request(f.alice_rsa_id, activation.sad, {sha384},
                                            hsm::Padding::pss);
    expect_csc([&] { f.service->sign_hash(A, s); }, CscFailure::invalid_request,
               "Invalid digest value length");  // sign_request says SHA-256
    s.hash_algorithm = Digest::sha384;
    const auto signatures = f.service->sign_hash(A, s);
    BOOST_CHECK(CscFixture::verifies(f.alice_rsa, Digest::sha384, hsm::Padding::pss,
                                     signatures.at(0), sha384));
}

BOOST_AUTO_TEST_CASE(every_signature_is_an_audit_event_naming_platform_credential_and_hashes) {
    CscFixture f("csc_audit");
    const Bytes a = CscFixture::sha256("A"), b = CscFixture::sha256("B");
    const auto activation = f.authorize(A, f.alice_ec_id, {a, b}, 2);
    f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a, b}));
    const auto signed_events = f.events_of_type("csc.signed");
    BOOST_REQUIRE_EQUAL(signed_events.size(), 1u);
    const auto& e = signed_events[0].event;
    BOOST_CHECK_EQUAL(e.actor, "client:platform-a");
    BOOST_CHECK_EQUAL(e.object, "csc_credential:" + f.alice_ec_id);
    BOOST_CHECK_EQUAL(e.details.at("hashes").at(0), to_hex(a));
    BOOST_CHECK_EQUAL(e.details.at("hashes").at(1), to_hex(b));
    BOOST_CHECK_EQUAL(e.details.at("signatures"), 2);
    BOOST_CHECK_EQUAL(e.details.at("signatures_left"), 0);
    BOOST_CHECK_EQUAL(e.details.at("hash_algorithm"), "SHA256");
    BOOST_CHECK_EQUAL(e.details.at("address"), "192.0.2.10");
    // No SAD anywhere in the log.
    for (const auto& event : f.drained_events())
        BOOST_CHECK(event.event.details.dump().find(activation.sad) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_database_going_away_during_sign_hash_consumes_nothing) {
    CscFixture f("csc_database_gone");
    const Bytes a = CscFixture::sha256("A");
    const auto activation = f.authorize(A, f.alice_ec_id, {a}, 1);
    const std::string before = f.csc_tables();
    auto& server = TestCluster::instance().server();
    bool stopped = false;
    {
        RestartGuard guard{server};
        // After the HSM signed, before the commit: the last step of sign_hash's transaction.
        f.hooked_audit.before_defer = [&](const audit::AuditEvent& event) {
            if (event.type == "csc.signed" && !stopped) {
                stopped = true;
                server.stop();
            }
        };
        expect_error(
            [&] { f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a})); },
            Errc::unavailable, "database unavailable");
        // And with the server down from the start.
        expect_error(
            [&] { f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a})); },
            Errc::unavailable, "database unavailable");
    }
    BOOST_CHECK(stopped);
    f.hooked_audit.before_defer = nullptr;
    // Nothing was consumed: the SAD signs once the database is back.
    BOOST_CHECK_EQUAL(f.csc_tables(), before);
    const auto signatures =
        f.service->sign_hash(A, f.sign_request(f.alice_ec_id, activation.sad, {a}));
    BOOST_CHECK(CscFixture::verifies(f.alice_ec, Digest::sha256, hsm::Padding::ecdsa,
                                     signatures.at(0), a));
}

BOOST_AUTO_TEST_CASE(a_timestamp_token_from_our_tsa_covers_the_hash_and_echoes_the_nonce) {
    CscFixture f("csc_timestamp");
    const Bytes hash = CscFixture::sha256("signature value");
    const Bytes nonce = from_hex("0123456789abcdef0011");
    const Bytes token = f.service->timestamp(A, Digest::sha256, hash, nonce);
    const unsigned char* p = token.data();
    Pkcs7Ptr pkcs7(d2i_PKCS7(nullptr, &p, static_cast<long>(token.size())));
    BOOST_REQUIRE(pkcs7);
    TsTstInfoPtr info(PKCS7_to_TS_TST_INFO(pkcs7.get()));
    BOOST_REQUIRE(info);
    const ASN1_OCTET_STRING* imprint =
        TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(info.get()));
    BOOST_CHECK(Bytes(ASN1_STRING_get0_data(imprint),
                      ASN1_STRING_get0_data(imprint) + ASN1_STRING_length(imprint)) == hash);
    BignumPtr echoed(ASN1_INTEGER_to_BN(TS_TST_INFO_get_nonce(info.get()), nullptr));
    BignumPtr sent(BN_bin2bn(nonce.data(), static_cast<int>(nonce.size()), nullptr));
    BOOST_CHECK_EQUAL(BN_cmp(echoed.get(), sent.get()), 0);

    // openssl ts -verify: the token is over this hash and chains to the TSA's root.
    const auto path = f.dir.path() / "token.tst";
    write_file(path, std::string(token.begin(), token.end()));
    const CommandResult verified =
        run_command({"openssl", "ts", "-verify", "-digest", to_hex(hash), "-token_in", "-in",
                     path.string(), "-CAfile", f.tsa.root_pem().string()});
    BOOST_CHECK_MESSAGE(verified.exit_code == 0 &&
                            verified.output.find("Verification: OK") != std::string::npos,
                        verified.output);
    // Without a nonce, too; the TSA's record names the platform.
    BOOST_CHECK(!f.service->timestamp(A, Digest::sha256, hash, std::nullopt).empty());
    BOOST_CHECK_EQUAL(f.tsa.database->with_connection([](store::Connection& c) {
        return c.exec("SELECT count(*) FROM tsa_tokens WHERE client = 'platform-a'").one()[0].int64();
    }), 2);

    expect_csc([&] { f.service->timestamp(A, Digest::sha256, Bytes(31, 1), std::nullopt); },
               CscFailure::invalid_request, "Invalid digest value length");
    expect_csc([&] { f.service->timestamp(A, Digest::sha256, {}, std::nullopt); },
               CscFailure::invalid_request, "Empty hash parameter");
    expect_csc([&] { f.service->timestamp(A, Digest::sha256, hash, Bytes(64, 1)); },
               CscFailure::invalid_request, "Invalid parameter nonce");
    const auto stamped = f.events_of_type("csc.timestamped");
    BOOST_REQUIRE_EQUAL(stamped.size(), 2u);
    BOOST_CHECK_EQUAL(stamped[0].event.details.at("hash"), to_hex(hash));
}

BOOST_AUTO_TEST_SUITE_END()
