// Identity evidence through the registry on real parts: a provider's statement accepted once and
// stored minimized, each kind of bad statement refused with its own reason and nothing stored
// (not even the replay record), and an officer's verification.
#include <boost/test/unit_test.hpp>
#include <latch>
#include <thread>

#include "common/digest.hpp"
#include "ra/evidence_error.hpp"
#include "store/identity_evidence.hpp"
#include "tests/ra/registry_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using nlohmann::json;

namespace {

struct Counts {
    std::int64_t evidence, replay, events;
    int level;
    bool operator==(const Counts&) const = default;
};

Counts counts(RegistryFixture& f, std::int64_t subject_id) {
    return {f.count("SELECT count(*) FROM identity_evidence"),
            f.count("SELECT count(*) FROM evidence_replay"), f.audit.size(),
            f.registry->find(subject_id)->assurance_level};
}

ra::EvidenceSubmission submission(std::string statement, std::string number = kWangFangId) {
    return {std::move(statement), std::move(number), std::nullopt, std::nullopt};
}

// Refused with exactly `want`, and the tables and the audit log as they were.
void expect_refusal(RegistryFixture& f, std::int64_t subject_id,
                    const ra::EvidenceSubmission& evidence, ra::EvidenceRefusal want) {
    const Counts before = counts(f, subject_id);
    try {
        f.registry->attach_evidence(subject_id, evidence, "client:test");
        BOOST_ERROR("accepted; expected " << ra::to_string(want));
    } catch (const ra::EvidenceError& e) {
        BOOST_TEST_MESSAGE("refused as expected: " << e.what());
        BOOST_CHECK_EQUAL(ra::to_string(e.refusal()), ra::to_string(want));
    }
    const Counts after = counts(f, subject_id);
    BOOST_CHECK_EQUAL(after.evidence, before.evidence);
    BOOST_CHECK_EQUAL(after.replay, before.replay);
    BOOST_CHECK_EQUAL(after.events, before.events);
    BOOST_CHECK_EQUAL(after.level, before.level);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_evidence)

BOOST_AUTO_TEST_CASE(an_accepted_statement_raises_the_level_and_is_stored_minimized) {
    RegistryFixture f("registry_evidence_accepted");
    const auto s = f.add_person("王芳", kWangFangId);
    const std::string token = f.statement(f.claims("王芳", kWangFangId, "stmt-accepted"));
    auto evidence = submission(token, "11010519491231002x");
    evidence.profile = "personal";  // requires level 2; the statement meets 3
    const auto verified = f.registry->attach_evidence(s.id, evidence, "client:test");
    BOOST_CHECK_EQUAL(verified.assurance_level, 3);
    BOOST_CHECK_EQUAL(verified.verification_method, "provider");
    BOOST_CHECK(verified.verified_at.has_value());

    const auto rows = f.database.with_connection([&](store::Connection& c) {
        return store::PostgresIdentityEvidence().of_subject(c, s.id);
    });
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    const auto& row = rows[0];
    BOOST_CHECK_EQUAL(row.method, "provider");
    BOOST_CHECK_EQUAL(row.level, 3);
    BOOST_CHECK_EQUAL(row.issuer.value_or(""), kProvider);
    BOOST_CHECK_EQUAL(row.jti.value_or(""), "stmt-accepted");
    BOOST_CHECK_EQUAL(row.key_id.value_or(""), kProviderKeyId);
    BOOST_CHECK_EQUAL(row.algorithm.value_or(""), "ES256");
    BOOST_CHECK_EQUAL(row.face_match_score.value_or(0), 0.97);
    BOOST_CHECK_EQUAL(row.liveness_score.value_or(0), 0.95);
    BOOST_CHECK_EQUAL(row.methods.size(), 3u);
    const auto digest = sha256_of(token);
    BOOST_CHECK(row.statement_sha256 == Bytes(digest.begin(), digest.end()));
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM evidence_replay"), 1);
    const auto event = f.events().back().event;
    BOOST_CHECK_EQUAL(event.type, "subject.verified");
    BOOST_CHECK_EQUAL(event.details["method"], "provider");
    BOOST_CHECK_EQUAL(event.details["assurance_level"], 3);
    // The CA now issues for the profile.
    BOOST_CHECK_NO_THROW(f.issue(s.id));
}

BOOST_AUTO_TEST_CASE(each_bad_statement_is_refused_with_its_own_reason_and_nothing_stored) {
    RegistryFixture f("registry_evidence_refused");
    const auto s = f.add_person("王芳", kWangFangId);
    const json good = f.claims("王芳", kWangFangId, "stmt-1");
    using R = ra::EvidenceRefusal;

    const auto forger = ra::testing::make_ec_key();
    expect_refusal(f, s.id,
                   submission(ra::testing::sign_jws(R"({"alg":"ES256","kid":"idv-1"})", good.dump(),
                                                    forger.key.get())),
                   R::bad_signature);
    json c = good;
    c["exp"] = c["iat"].get<std::int64_t>() - 120;
    expect_refusal(f, s.id, submission(f.statement(c)), R::expired);
    c = good;
    c["iat"] = c["iat"].get<std::int64_t>() - 3600;
    expect_refusal(f, s.id, submission(f.statement(c)), R::stale);
    c = good;
    c["iat"] = c["iat"].get<std::int64_t>() + 3600;
    expect_refusal(f, s.id, submission(f.statement(c)), R::not_yet_valid);
    // Bound to another person: another name, another number.
    expect_refusal(f, s.id, submission(f.statement(f.claims("王芳芳", kWangFangId))),
                   R::wrong_subject);
    expect_refusal(f, s.id, submission(f.statement(f.claims("王芳", kLiLeiId))), R::wrong_subject);
    const std::string none = ra::testing::base64url(R"({"alg":"none"})") + "." +
                             ra::testing::base64url(good.dump()) + ".";
    expect_refusal(f, s.id, submission(none), R::algorithm_not_allowed);
    c = good;
    c["iss"] = "https://idv.example/someone-else";
    expect_refusal(f, s.id, submission(f.statement(c)), R::unknown_issuer);
    c = good;
    c["face_match_score"] = 0.5;
    auto weak = submission(f.statement(c));
    weak.level = 2;  // needs a face match of 0.80
    expect_refusal(f, s.id, weak, R::too_weak);

    // None of them used up the jti: the good statement with it is accepted, once.
    const auto evidence = submission(f.statement(good));
    BOOST_CHECK_EQUAL(f.registry->attach_evidence(s.id, evidence, "client:test").assurance_level,
                      3);
    expect_refusal(f, s.id, evidence, R::replayed);
    // A statement of one subject cannot verify another.
    const auto li = f.add_person("李雷", kLiLeiId);
    expect_refusal(f, li.id, submission(f.statement(good), kLiLeiId), R::wrong_subject);
}

BOOST_AUTO_TEST_CASE(the_request_is_checked_before_the_statement) {
    RegistryFixture f("registry_evidence_request");
    const auto s = f.add_person("王芳", kWangFangId);
    const std::string token = f.statement(f.claims("王芳", kWangFangId));
    expect_error([&] { f.registry->attach_evidence(s.id, submission(token, kLiLeiId), "c:t"); },
                 Errc::invalid_argument, "'document_number' does not match");
    expect_error([&] { f.registry->attach_evidence(s.id, submission(token, "1234"), "c:t"); },
                 Errc::invalid_argument, "'document_number'");
    auto evidence = submission(token);
    evidence.profile = "no-such-profile";
    expect_error([&] { f.registry->attach_evidence(s.id, evidence, "c:t"); },
                 Errc::invalid_argument, "'profile'");
    evidence.profile.reset();
    evidence.level = 4;
    expect_error([&] { f.registry->attach_evidence(s.id, evidence, "c:t"); },
                 Errc::invalid_argument, "'level' is 1 to 3");
    expect_error([&] { f.registry->attach_evidence(s.id + 100, submission(token), "c:t"); },
                 Errc::not_found, "no subject");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM evidence_replay"), 0);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM identity_evidence"), 0);
    // The statement is still good.
    BOOST_CHECK_EQUAL(f.registry->attach_evidence(s.id, submission(token), "c:t").assurance_level,
                      3);
}

BOOST_AUTO_TEST_CASE(of_two_concurrent_uses_of_one_statement_exactly_one_is_accepted) {
    RegistryFixture f("registry_evidence_race");
    const auto s = f.add_person("王芳", kWangFangId);
    const auto evidence = submission(f.statement(f.claims("王芳", kWangFangId, "stmt-race")));
    std::latch start(4);
    std::atomic<int> accepted = 0, replayed = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            start.arrive_and_wait();
            try {
                f.registry->attach_evidence(s.id, evidence, "client:test");
                ++accepted;
            } catch (const ra::EvidenceError& e) {
                if (e.refusal() == ra::EvidenceRefusal::replayed)
                    ++replayed;
            } catch (const std::exception& e) {
                BOOST_TEST_MESSAGE("other failure: " << e.what());
            }
        });
    for (auto& t : threads)
        t.join();
    BOOST_CHECK_EQUAL(accepted.load(), 1);
    BOOST_CHECK_EQUAL(replayed.load(), 3);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM identity_evidence"), 1);
}

BOOST_AUTO_TEST_CASE(an_officer_sets_the_level_with_a_reason) {
    RegistryFixture f("registry_officer");
    const auto s = f.add_person("王芳", kWangFangId);
    const auto up = f.registry->verify_manually(s.id, {3, "seen at branch 12", kWangFangId},
                                                "client:officer-1");
    BOOST_CHECK_EQUAL(up.assurance_level, 3);
    BOOST_CHECK_EQUAL(up.verification_method, "officer");
    // A weaker statement afterwards does not lower it.
    auto weak_claims = f.claims("王芳", kWangFangId);
    weak_claims["method"] = {"id_registry"};
    weak_claims.erase("face_match_score");
    const auto after =
        f.registry->attach_evidence(s.id, submission(f.statement(weak_claims)), "client:test");
    BOOST_CHECK_EQUAL(after.assurance_level, 3);
    BOOST_CHECK_EQUAL(after.verification_method, "officer");
    // The officer may lower it.
    const auto down =
        f.registry->verify_manually(s.id, {1, "document expired", kWangFangId}, "client:officer-2");
    BOOST_CHECK_EQUAL(down.assurance_level, 1);
    const auto event = f.events().back().event;
    BOOST_CHECK_EQUAL(event.type, "subject.verified");
    BOOST_CHECK_EQUAL(event.details["officer"], "client:officer-2");
    BOOST_CHECK_EQUAL(event.details["reason"], "document expired");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM identity_evidence WHERE method = 'officer' "
                              "AND officer = 'client:officer-2' AND reason = 'document expired'"),
                      1);

    const auto before = f.count("SELECT count(*) FROM identity_evidence");
    expect_error(
        [&] {
            f.registry->verify_manually(s.id, {4, "x", kWangFangId}, "c:o");
        },
        Errc::invalid_argument, "'level' is 1 to 3");
    expect_error(
        [&] {
            f.registry->verify_manually(s.id, {0, "x", kWangFangId}, "c:o");
        },
        Errc::invalid_argument, "'level'");
    expect_error(
        [&] {
            f.registry->verify_manually(s.id, {2, "", kWangFangId}, "c:o");
        },
        Errc::invalid_argument, "'reason'");
    expect_error(
        [&] {
            f.registry->verify_manually(s.id, {2, std::string(501, 'r'), kWangFangId}, "c:o");
        },
        Errc::invalid_argument, "'reason'");
    // A reason is stored and audited as written: a number in it is refused, never echoed.
    const std::string careless = std::string("checked card ") + kWangFangId;
    try {
        f.registry->verify_manually(s.id, {2, careless, kWangFangId}, "c:o");
        BOOST_ERROR("a reason holding the number was accepted");
    } catch (const Error& e) {
        BOOST_CHECK(e.code() == Errc::invalid_argument);
        const std::string detail = e.what();
        BOOST_CHECK_MESSAGE(detail.find("'reason' holds a run of 5 or more digits") !=
                                std::string::npos,
                            detail);
        BOOST_CHECK(detail.find("0519491231") == std::string::npos);
    }
    expect_error(
        [&] {
            f.registry->verify_manually(s.id, {2, "tab\there", kWangFangId}, "c:o");
        },
        Errc::invalid_argument, "'reason'");
    expect_error(
        [&] {
            f.registry->verify_manually(s.id, {2, "seen", kLiLeiId}, "c:o");
        },
        Errc::invalid_argument, "'document_number' does not match");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM identity_evidence"), before);
}

BOOST_AUTO_TEST_SUITE_END()
