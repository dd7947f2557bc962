// What a subject's lifecycle does to the things authorized in its name, on real parts: its
// one-time passwords (deactivation voids them and removes TOTP, a new mobile number voids the
// codes sent to the old one, re-enrolling TOTP must be asked for), a certificate issuance under
// way when the subject changes, and an organization's agents when the organization is not
// verified.
#include <boost/test/unit_test.hpp>

#include "ra/otp.hpp"
#include "ra/otp_limits.hpp"
#include "ra/totp.hpp"
#include "store/otp.hpp"
#include "tests/ra/fake_otp_crypto.hpp"
#include "tests/ra/otp_fixture.hpp"
#include "tests/ra/registry_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

// The registry and the OTP services on one database, as signetd wires them.
struct LifecycleFixture : RegistryFixture {
    LifecycleFixture() : RegistryFixture("registry_lifecycle") {}

    ra::IssuedChallenge send(std::int64_t subject) {
        return challenges.issue(
            {.subject_id = subject, .purpose = "sign contract 7", .destination = "+8613800000000"},
            [this](const std::string&, const std::string& message) { last_message = message; });
    }
    std::string last_code() const {
        const auto at = last_message.find_first_of("0123456789");
        BOOST_REQUIRE(at != std::string::npos);
        return last_message.substr(at, 6);
    }
    std::string seed_of(std::int64_t subject) {
        const auto enrolment = database.with_connection(
            [&](store::Connection& c) { return repository.find_totp(c, subject); });
        BOOST_REQUIRE(enrolment.has_value());
        const Secret seed = crypto.unwrap_seed(enrolment->wrapped_seed);
        return std::string(seed.view());
    }
    std::string totp_now(std::int64_t subject) {
        const auto unix_time =
            std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch());
        return ra::totp_code(seed_of(subject), unix_time.count(), 30s, 6);
    }
    std::string challenge_void_reason(const std::string& id) {
        const auto c = database.with_connection(
            [&](store::Connection& tx) { return repository.find_challenge(tx, id); });
        BOOST_REQUIRE(c.has_value());
        return c->voided_reason;
    }
    std::int64_t issued_certificates(std::int64_t subject) {
        return count("SELECT count(*) FROM certificates WHERE status = 'issued' AND subject_id = " +
                     std::to_string(subject));
    }
    std::int64_t abandoned_certificates(std::int64_t subject) {
        return count(
            "SELECT count(*) FROM certificates WHERE status = 'abandoned' AND subject_id = " +
            std::to_string(subject));
    }

    ra::OtpPolicy policy{};
    store::PostgresOtp repository;
    FakeOtpCrypto crypto;
    ra::OtpLockouts lockouts{database, repository, audit, clock, policy};
    ra::OtpChallenges challenges{database, repository, crypto, lockouts, clock};
    ra::Totp totp{database, repository, crypto, lockouts, audit, clock};
    std::string last_message;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_lifecycle)

BOOST_AUTO_TEST_CASE(deactivation_voids_open_codes_and_removes_totp) {
    LifecycleFixture f;
    const auto person = f.add_verified_person("王芳", kWangFangId);
    const auto pending = f.send(person.id);
    const std::string code = f.last_code();
    f.totp.enrol(person.id, "wang", "client:test");
    const std::string totp_code = f.totp_now(person.id);

    f.registry->deactivate(person.id, "left the platform", "client:test");

    const auto event = f.events().back().event;
    BOOST_CHECK_EQUAL(event.type, "subject.deactivated");
    BOOST_CHECK_EQUAL(event.details["otp_challenges_voided"], 1);
    BOOST_CHECK_EQUAL(event.details["totp_enrolment_removed"], true);
    BOOST_CHECK_EQUAL(f.challenge_void_reason(pending.id), "deactivated");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM otp_totp"), 0);

    // Nothing is accepted, sent or enrolled for it any more, and nothing is counted.
    expect_error([&] { f.challenges.verify(pending.id, person.id, "sign contract 7", code); },
                 Errc::failed_precondition, "is deactivated");
    expect_error([&] { f.totp.verify(person.id, totp_code); }, Errc::failed_precondition,
                 "is deactivated");
    expect_error([&] { f.send(person.id); }, Errc::failed_precondition, "is deactivated");
    expect_error([&] { f.totp.enrol(person.id, "wang", "client:test"); }, Errc::failed_precondition,
                 "is deactivated");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM otp_challenges"), 1);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM otp_totp"), 0);
    BOOST_CHECK_EQUAL(f.count("SELECT coalesce(sum(failures), 0) FROM otp_subjects"), 0);
}

BOOST_AUTO_TEST_CASE(a_new_mobile_number_voids_the_codes_sent_to_the_old_one) {
    LifecycleFixture f;
    const auto person = f.add_verified_person("王芳", kWangFangId);
    const auto pending = f.send(person.id);
    const std::string code = f.last_code();

    ra::SubjectUpdate email;
    email.email = "wang@example.cn";
    f.registry->update(person.id, email, "client:test");
    BOOST_CHECK_EQUAL(f.challenge_void_reason(pending.id), "");  // another contact: still open

    ra::SubjectUpdate mobile;
    mobile.mobile = "+8613912345678";
    f.registry->update(person.id, mobile, "client:test");
    const auto event = f.events().back().event;
    BOOST_CHECK_EQUAL(event.type, "subject.updated");
    BOOST_CHECK_EQUAL(event.details["otp_challenges_voided"], 1);
    BOOST_CHECK_EQUAL(f.challenge_void_reason(pending.id), "mobile_changed");
    const auto refusal = expect_otp_error(
        [&] { f.challenges.verify(pending.id, person.id, "sign contract 7", code); },
        ra::OtpFailure::voided);
    BOOST_CHECK(std::string(refusal.what()).find("mobile number changed") != std::string::npos);

    // A code sent to the new number works.
    f.clock.advance(2min);
    const auto fresh = f.send(person.id);
    BOOST_CHECK_NO_THROW(
        f.challenges.verify(fresh.id, person.id, "sign contract 7", f.last_code()));
}

BOOST_AUTO_TEST_CASE(replacing_a_totp_seed_must_be_asked_for) {
    LifecycleFixture f;
    const auto person = f.add_verified_person("王芳", kWangFangId);
    f.totp.enrol(person.id, "wang", "client:first");
    const std::string first_seed = f.seed_of(person.id);

    expect_error([&] { f.totp.enrol(person.id, "wang", "client:other"); }, Errc::already_exists,
                 "already enrolled for TOTP");
    BOOST_CHECK_EQUAL(f.seed_of(person.id), first_seed);  // unchanged
    BOOST_CHECK_EQUAL(f.events().back().event.actor, "client:first");

    f.totp.enrol(person.id, "wang", "client:officer", ra::TotpEnrolment::replace);
    BOOST_CHECK_NE(f.seed_of(person.id), first_seed);
    const auto event = f.events().back().event;
    BOOST_CHECK_EQUAL(event.type, "otp.totp_enrolled");
    BOOST_CHECK_EQUAL(event.details["replaced"], true);
    BOOST_CHECK_NO_THROW(f.totp.verify(person.id, f.totp_now(person.id)));
}

BOOST_AUTO_TEST_CASE(an_issuance_under_way_when_the_subject_is_deactivated_is_abandoned) {
    LifecycleFixture f;
    const auto person = f.add_verified_person("王芳", kWangFangId);
    // Between the reservation and the signature, the subject is deactivated.
    f.authority->set_after_reservation([&](const store::CertificateRecord&) {
        f.authority->set_after_reservation({});
        f.registry->deactivate(person.id, "left the platform", "client:test");
    });
    expect_error([&] { f.issue(person.id); }, Errc::failed_precondition, "is deactivated");
    BOOST_CHECK_EQUAL(f.issued_certificates(person.id), 0);
    BOOST_CHECK_EQUAL(f.abandoned_certificates(person.id), 1);
}

BOOST_AUTO_TEST_CASE(an_issuance_under_way_when_the_identity_changes_is_abandoned) {
    LifecycleFixture f;
    const auto person = f.add_verified_person("王芳", kWangFangId);
    f.authority->set_after_reservation([&](const store::CertificateRecord&) {
        f.authority->set_after_reservation({});
        ra::SubjectUpdate rename;
        rename.name = "王芳芳";
        f.registry->update(person.id, rename, "client:test");
    });
    // The level dropped to 0 with the change.
    expect_error([&] { f.issue(person.id); }, Errc::failed_precondition,
                 "has identity assurance level 0");
    BOOST_CHECK_EQUAL(f.issued_certificates(person.id), 0);
    BOOST_CHECK_EQUAL(f.abandoned_certificates(person.id), 1);
}

BOOST_AUTO_TEST_CASE(a_revocation_sweep_abandons_a_reserved_certificate_so_it_never_completes) {
    LifecycleFixture f;
    const auto person = f.add_verified_person("王芳", kWangFangId);
    // The sweep runs after the issuance's second look at the subject (here: while the subject
    // is unchanged), as when a change commits just after that look.
    f.authority->set_after_reservation([&](const store::CertificateRecord&) {
        f.authority->set_after_reservation({});
        BOOST_CHECK(
            f.authority->revoke_subject(person.id, ca::RevocationReason::superseded, "client:test")
                .empty());
    });
    expect_error([&] { f.issue(person.id); }, Errc::failed_precondition, "");
    BOOST_CHECK_EQUAL(f.issued_certificates(person.id), 0);
    BOOST_CHECK_EQUAL(f.abandoned_certificates(person.id), 1);
    std::size_t abandoned_events = 0;
    for (const auto& recorded : f.events())
        abandoned_events += recorded.event.type == "certificate.abandoned";
    BOOST_CHECK_EQUAL(abandoned_events, 1u);

    // Without a sweep the same subject is issued for.
    BOOST_CHECK_NO_THROW(f.issue(person.id));
    BOOST_CHECK_EQUAL(f.issued_certificates(person.id), 1);
}

BOOST_AUTO_TEST_CASE(only_a_verified_organization_has_agents_who_may_act) {
    LifecycleFixture f;
    const auto representative = f.add_verified_person("李雷", kLiLeiId);
    const auto agent = f.add_verified_person("王芳", kWangFangId);
    const auto organization =
        f.add_organization("华为技术有限公司", kHuaweiUscc, representative.id);
    const ra::AgentGrant grant{agent.id, {"sign"}, f.clock.now() + 24h, "LOA-1", std::nullopt};
    expect_error([&] { f.registry->grant_agent(organization.id, grant, "client:test"); },
                 Errc::failed_precondition, "is not verified (assurance level 0)");
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM organization_agents"), 0);

    f.registry->verify_manually(organization.id, {2, "licence seen at branch 12", kHuaweiUscc},
                                "client:officer");
    f.registry->grant_agent(organization.id, grant, "client:test");
    BOOST_CHECK_NO_THROW(f.registry->check_agent_may(organization.id, agent.id, "sign"));

    // An identity change takes the organization back to level 0: its agents wait for it.
    ra::SubjectUpdate rename;
    rename.name = "华为技术股份有限公司";
    f.registry->update(organization.id, rename, "client:test");
    expect_error([&] { f.registry->check_agent_may(organization.id, agent.id, "sign"); },
                 Errc::failed_precondition, "is not verified (assurance level 0)");
}

BOOST_AUTO_TEST_SUITE_END()
