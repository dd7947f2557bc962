// The Authority in process, on a real SoftHSM token and a real PostgreSQL: the issuance cycle's
// guarantees that need a hand inside it (a crash between reservation and signing), revocation,
// and the ceremony's refusals.
#include "ca/authority.hpp"

#include <openssl/x509v3.h>

#include <boost/test/unit_test.hpp>
#include <functional>
#include <set>
#include <thread>

#include "ca/ceremony.hpp"
#include "common/error.hpp"
#include "tests/ca/small_ca.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

struct InjectedCrash : std::runtime_error {
    InjectedCrash() : std::runtime_error("injected crash") {}
};

struct Fixture {
    TempDir dir;
    std::shared_ptr<hsm::Token> token = SoftHsm::instance().open_new_token("ca");
    store::Database database{
        {.dsn = TestCluster::instance().migrated_database("authority"), .pool_size = 4}};
    ManualClock clock{std::chrono::system_clock::now()};
    audit::PostgresAuditLog audit{database, clock};
    store::PostgresCertificates certificates{database};
    store::PostgresSubjects subjects{database};
    std::unique_ptr<ca::Authority> authority;
    std::int64_t subject_id = 0;

    Fixture() {
        token->generate_kek("user-kek");
        ca::run_ceremony(small_ceremony(dir.path()), {}, *token, database, certificates, audit,
                         clock, "operator:test");
        policy::CaSettings settings;
        settings.profiles.emplace("personal", personal_profile());
        // Valid longer than its CA (365 days): every certificate of it fails lint.
        auto too_long = personal_profile();
        too_long.validity_days = 400;
        settings.profiles.emplace("too-long", too_long);
        authority = std::make_unique<ca::Authority>(ca::Authority::Dependencies{
            token, database, certificates, subjects, audit, clock, settings});
        subject_id = database.transaction([&](store::Connection& tx) {
            return subjects.add(tx, {0, "person", "Wang Fang", "", "CN", "", 2, clock.now()});
        });
    }

    ca::IssueRequest request() const {
        return {subject_id, "personal", std::nullopt, KeyType::ec_p256, "operator:test"};
    }

    std::int64_t count_sql(const std::string& sql) {
        return database.with_connection(
            [&](store::Connection& c) { return c.exec(sql).one()[0].int64(); });
    }

    std::int64_t count(const std::string& status) {
        return database.with_connection([&](store::Connection& c) {
            return c.exec("SELECT count(*) FROM certificates WHERE status = $1", {status})
                .one()[0]
                .int64();
        });
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(authority)

BOOST_AUTO_TEST_CASE(a_crash_between_reservation_and_signing_leaves_a_reserved_row_only) {
    Fixture f;
    const auto issued_before = f.count("issued");
    std::optional<store::CertificateRecord> seen;
    f.authority->set_after_reservation([&](const store::CertificateRecord& record) {
        seen = record;
        throw InjectedCrash();
    });
    BOOST_CHECK_THROW(f.authority->issue(f.request()), InjectedCrash);
    BOOST_REQUIRE(seen.has_value());
    // The reservation is durable and visible; nothing was signed or stored.
    const auto row = f.certificates.find(seen->serial);
    BOOST_REQUIRE(row.has_value());
    BOOST_CHECK_EQUAL(row->status, "reserved");
    BOOST_CHECK(!row->der.has_value());
    BOOST_CHECK(!row->tbs.empty());
    BOOST_CHECK_EQUAL(f.count("issued"), issued_before);

    // Without the crash: stored, with the very TBS that was reserved and linted.
    f.authority->set_after_reservation({});
    const auto issued = f.authority->issue(f.request());
    const auto stored = f.certificates.find(issued.record.serial);
    BOOST_REQUIRE(stored.has_value());
    BOOST_CHECK_EQUAL(stored->status, "issued");
    BOOST_CHECK(stored->der == ca::certificate_der(issued.certificate()));
    BOOST_CHECK(stored->tbs == ca::tbs_der(issued.certificate()));
    // Every issued certificate row has its certificate; every reserved one has none.
    BOOST_CHECK_EQUAL(f.database.with_connection([](store::Connection& c) {
        return c
            .exec(
                "SELECT count(*) FROM certificates WHERE (status = 'issued') <> "
                "(der IS NOT NULL) AND status <> 'revoked'")
            .one()[0]
            .int64();
    }),
                      0);
}

// Concurrent issuances share the journal's transactions; a member that fails lint is refused
// alone, before anything signs it, and the others are issued.
BOOST_AUTO_TEST_CASE(concurrent_issuances_are_each_stored_and_a_lint_failure_signs_nothing) {
    Fixture f;
    const auto issued_before = f.count("issued");
    const auto abandoned_before = f.count("abandoned");
    const auto events_before =
        f.count_sql("SELECT count(*) FROM audit_outbox WHERE event_type = 'certificate.issued'");
    constexpr int kThreads = 8;
    constexpr int kEach = 3;
    std::vector<std::vector<ca::Issued>> issued(kThreads);
    std::vector<int> refused(kThreads, 0);
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kEach; ++i) {
                    auto request = f.request();
                    if (t == 0)
                        request.profile = "too-long";
                    try {
                        issued[t].push_back(f.authority->issue(request));
                    } catch (const Error& e) {
                        if (e.code() == Errc::failed_precondition &&
                            std::string(e.what()).find("within_issuer") != std::string::npos)
                            ++refused[t];
                    }
                }
            });
        }
    }
    BOOST_CHECK_EQUAL(refused[0], kEach);
    BOOST_CHECK(issued[0].empty());
    const auto ca = f.certificates.find_ca("issuing");
    BOOST_REQUIRE(ca.has_value());
    const auto ca_certificate = ca::certificate_from_der(ca->certificate);
    for (int t = 1; t < kThreads; ++t) {
        BOOST_CHECK_EQUAL(refused[t], 0);
        BOOST_REQUIRE_EQUAL(issued[t].size(), static_cast<std::size_t>(kEach));
        for (const auto& one : issued[t]) {
            const auto stored = f.certificates.find(one.record.serial);
            BOOST_REQUIRE(stored.has_value());
            BOOST_CHECK_EQUAL(stored->status, "issued");
            BOOST_CHECK(stored->der == ca::certificate_der(one.certificate()));
            BOOST_CHECK(stored->tbs == ca::tbs_der(one.certificate()));
            BOOST_CHECK_EQUAL(
                X509_verify(one.certificate(), X509_get0_pubkey(ca_certificate.get())), 1);
        }
    }
    BOOST_CHECK_EQUAL(f.count("issued"), issued_before + (kThreads - 1) * kEach);
    // The refused ones: reserved, then abandoned with the findings; never signed.
    BOOST_CHECK_EQUAL(f.count("abandoned"), abandoned_before + kEach);
    BOOST_CHECK_EQUAL(f.count_sql("SELECT count(*) FROM certificates WHERE status = 'abandoned' "
                                  "AND (der IS NOT NULL OR failure NOT LIKE '%within_issuer%')"),
                      0);
    // One certificate.issued event per stored certificate, and none for the refused.
    BOOST_CHECK_EQUAL(
        f.count_sql("SELECT count(*) FROM audit_outbox WHERE event_type = 'certificate.issued'"),
        events_before + (kThreads - 1) * kEach);
}

BOOST_AUTO_TEST_CASE(subject_dn_templates_fill_values_verbatim_and_drop_empty_attributes) {
    store::Subject s;
    s.name = "Doe, John+Jr";
    s.country = "CN";
    const ca::DistinguishedName expected{{"C", "CN"}, {"CN", "Doe, John+Jr"}};
    BOOST_CHECK(ca::subject_dn("CN={name},O={organization},C={country}", s) == expected);
    expect_error([&] { ca::subject_dn("CN={nickname}", s); }, Errc::failed_precondition,
                 "unknown {nickname}");
    expect_error([&] { ca::subject_dn("O={organization}", s); }, Errc::failed_precondition,
                 "empty DN");
}

BOOST_AUTO_TEST_CASE(revocation_publishes_a_crl) {
    Fixture f;
    const auto issued = f.authority->issue(f.request());
    const auto before = f.certificates.latest_crl("issuing");
    const auto revoked = f.authority->revoke(
        issued.record.serial, ca::RevocationReason::key_compromise, std::nullopt, "operator:test");
    BOOST_CHECK_EQUAL(revoked.status, "revoked");
    const auto after = f.certificates.latest_crl("issuing");
    BOOST_REQUIRE(after.has_value());
    BOOST_CHECK(!before || after->number > before->number);
    BOOST_CHECK_EQUAL(after->entries, 1);
    expect_error(
        [&] {
            f.authority->revoke(issued.record.serial, ca::RevocationReason::superseded,
                                f.clock.now() + std::chrono::hours(1), "operator:test");
        },
        Errc::invalid_argument, "future");
    expect_error(
        [&] {
            f.authority->revoke(issued.record.serial, ca::RevocationReason::superseded,
                                std::nullopt, "operator:test");
        },
        Errc::failed_precondition, "already revoked");
}

// The RA's revocations (ra/registry.hpp): every issued certificate of one subject, one CRL.
BOOST_AUTO_TEST_CASE(revoking_a_subject_revokes_each_issued_certificate_and_only_its_own) {
    Fixture f;
    const auto first = f.authority->issue(f.request());
    const auto second = f.authority->issue(f.request());
    const auto other_subject = f.database.transaction([&](store::Connection& tx) {
        return f.subjects.add(tx, {.kind = "person",
                                   .name = "Li Lei",
                                   .country = "CN",
                                   .assurance_level = 2,
                                   .created_at = f.clock.now()});
    });
    auto other_request = f.request();
    other_request.subject_id = other_subject;
    const auto other = f.authority->issue(other_request);
    // One already revoked: not again, not counted.
    f.authority->revoke(second.record.serial, ca::RevocationReason::key_compromise, std::nullopt,
                        "operator:test");
    const auto crls_before = f.certificates.latest_crl("issuing")->number;

    const auto serials =
        f.authority->revoke_subject(f.subject_id, ca::RevocationReason::superseded, "client:ra");
    BOOST_REQUIRE_EQUAL(serials.size(), 1u);
    BOOST_CHECK_EQUAL(serials[0], ca::serial_hex(first.record.serial));
    const auto revoked = f.certificates.find(first.record.serial);
    BOOST_CHECK_EQUAL(revoked->status, "revoked");
    BOOST_CHECK_EQUAL(revoked->revocation_reason.value_or(-1),
                      static_cast<int>(ca::RevocationReason::superseded));
    BOOST_CHECK_EQUAL(f.certificates.find(second.record.serial)->revocation_reason.value_or(-1),
                      static_cast<int>(ca::RevocationReason::key_compromise));
    BOOST_CHECK_EQUAL(f.certificates.find(other.record.serial)->status, "issued");
    const auto crl = f.certificates.latest_crl("issuing");
    BOOST_CHECK_EQUAL(crl->number, crls_before + 1);
    BOOST_CHECK_EQUAL(crl->entries, 2);
    // Nothing left: nothing revoked, no CRL.
    BOOST_CHECK(
        f.authority->revoke_subject(f.subject_id, ca::RevocationReason::superseded, "client:ra")
            .empty());
    BOOST_CHECK_EQUAL(f.certificates.latest_crl("issuing")->number, crls_before + 1);
    expect_error(
        [&] {
            f.authority->revoke_subject(f.subject_id, ca::RevocationReason::remove_from_crl,
                                        "client:ra");
        },
        Errc::invalid_argument, "removeFromCRL");
}

BOOST_AUTO_TEST_CASE(a_deactivated_subject_gets_no_certificate) {
    Fixture f;
    f.database.transaction([&](store::Connection& tx) {
        auto subject = *f.subjects.lock(tx, f.subject_id);
        subject.status = "deactivated";
        subject.deactivated_at = f.clock.now();
        f.subjects.update(tx, subject);
    });
    const auto reserved = f.count_sql("SELECT count(*) FROM certificates");
    expect_error([&] { f.authority->issue(f.request()); }, Errc::failed_precondition,
                 "subject " + std::to_string(f.subject_id) + " is deactivated");
    BOOST_CHECK_EQUAL(f.count_sql("SELECT count(*) FROM certificates"), reserved);
}

BOOST_AUTO_TEST_CASE(the_ceremony_refuses_existing_keys_and_bad_names_and_changes_nothing) {
    Fixture f;
    const auto cas_before = f.certificates.list_cas().size();
    auto ceremony = small_ceremony(f.dir.path());
    ceremony.root.name = "root2";
    ceremony.issuing_cas[0].name = "issuing2";
    ceremony.issuing_cas[0].key.label = "issuing2";
    ceremony.output_dir = f.dir.path() / "out2";
    expect_error(
        [&] {
            ca::run_ceremony(ceremony, {}, *f.token, f.database, f.certificates, f.audit, f.clock,
                             "operator:test");
        },
        Errc::already_exists, "already holds a key labelled 'root'");
    BOOST_CHECK_EQUAL(f.certificates.list_cas().size(), cas_before);
    BOOST_CHECK_THROW(f.token->find_key("issuing2"), Error);
    ceremony.root.key.label = "root2";
    ceremony.root.subject = "CN=";
    expect_error(
        [&] {
            ca::run_ceremony(ceremony, {}, *f.token, f.database, f.certificates, f.audit, f.clock,
                             "operator:test");
        },
        Errc::invalid_argument, "root.subject");
    BOOST_CHECK_THROW(f.token->find_key("root2"), Error);
}

// The intake rules (store::validate_subject) hold at intake and again at issuance: a row
// written around them (as before them) is refused before anything is reserved.
BOOST_AUTO_TEST_CASE(subjects_meet_the_same_rules_at_intake_and_at_issuance) {
    Fixture f;
    const auto subjects_before = f.count_sql("SELECT count(*) FROM subjects");
    const auto add = [&](store::Subject s) {
        return f.database.transaction([&](store::Connection& tx) { return f.subjects.add(tx, s); });
    };
    const store::Subject good{0, "person",     "Wang Fang", "", "CN", "1101XXXXXXXXXX1234",
                              3, f.clock.now()};
    const std::pair<std::function<void(store::Subject&)>, std::string> bad[] = {
        {[](store::Subject& s) { s.id_masked = "1101****1234"; }, "'id_masked' has '*'"},
        {[](store::Subject& s) { s.name = std::string(100, 'a'); }, "'name' has 100 characters"},
        {[](store::Subject& s) { s.name = "evil\xE2\x80\xAEgnp"; }, "'name' contains U+202E"},
        {[](store::Subject& s) { s.name = "Wang\tFang"; }, "'name' contains U+0009"},
        {[](store::Subject& s) { s.organization = std::string(65, 'o'); }, "'organization' has 65"},
        {[](store::Subject& s) { s.name = "   "; }, "'name' is blank"},
        {[](store::Subject& s) { s.country = "cn"; }, "'country' is two capital letters"},
    };
    for (const auto& [spoil, needle] : bad) {
        store::Subject s = good;
        spoil(s);
        expect_error([&] { add(s); }, Errc::invalid_argument, needle);
    }
    BOOST_CHECK_EQUAL(f.count_sql("SELECT count(*) FROM subjects"), subjects_before);

    const auto legacy = f.database.with_connection([&](store::Connection& c) {
        return c
            .exec(
                "INSERT INTO subjects (kind, name, country, id_masked, assurance_level, "
                "created_at) "
                "VALUES ('person', $1, 'CN', '1101****1234', 3, now()) RETURNING id",
                {std::string(100, 'a')})
            .one()[0]
            .int64();
    });
    const auto rows_before = f.count_sql("SELECT count(*) FROM certificates");
    auto request = f.request();
    request.subject_id = legacy;
    expect_error([&] { f.authority->issue(request); }, Errc::failed_precondition,
                 "'name' has 100 characters");
    BOOST_CHECK_EQUAL(f.count_sql("SELECT count(*) FROM certificates"), rows_before);
}

// RFC 5280 §6.1: the issuing CA carries the policies of the profiles it issues under (or the
// ceremony file's list, which must cover them); the root carries none.
BOOST_AUTO_TEST_CASE(the_ceremony_gives_issuing_cas_their_profiles_policies) {
    Fixture f;
    auto ceremony = small_ceremony(f.dir.path());
    ceremony.root.name = "root2";
    ceremony.root.key.label = "root2";
    ceremony.issuing_cas[0].name = "issuing2";
    ceremony.issuing_cas[0].key.label = "issuing2";
    ceremony.output_dir = f.dir.path() / "out2";
    std::map<std::string, policy::CertificateProfile> profiles;
    auto personal = personal_profile();
    personal.issuer = "issuing2";
    personal.certificate_policies = {"1.3.6.1.4.1.99999.2.1"};
    auto seal = personal;
    seal.certificate_policies = {"1.3.6.1.4.1.99999.2.2", "1.3.6.1.4.1.99999.2.1"};
    auto elsewhere = personal;
    elsewhere.issuer = "issuing";
    elsewhere.certificate_policies = {"1.3.6.1.4.1.99999.9.9"};
    profiles.emplace("personal", personal);
    profiles.emplace("seal", seal);
    profiles.emplace("elsewhere", elsewhere);

    ceremony.issuing_cas[0].certificate_policies =
        std::vector<std::string>{"1.3.6.1.4.1.99999.2.1"};
    expect_error(
        [&] {
            ca::run_ceremony(ceremony, profiles, *f.token, f.database, f.certificates, f.audit,
                             f.clock, "operator:test");
        },
        Errc::invalid_argument, "profile 'seal' issues under policy 1.3.6.1.4.1.99999.2.2");
    BOOST_CHECK_THROW(f.token->find_key("root2"), Error);

    ceremony.issuing_cas[0].certificate_policies.reset();
    ca::run_ceremony(ceremony, profiles, *f.token, f.database, f.certificates, f.audit, f.clock,
                     "operator:test");
    auto policies_of = [&](const std::string& name) {
        const auto record = f.certificates.find_ca(name);
        BOOST_REQUIRE(record.has_value());
        const auto certificate = ca::certificate_from_der(record->certificate);
        std::set<std::string> oids;
        const CertificatePoliciesPtr policies(static_cast<CERTIFICATEPOLICIES*>(
            X509_get_ext_d2i(certificate.get(), NID_certificate_policies, nullptr, nullptr)));
        for (int i = 0; policies && i < sk_POLICYINFO_num(policies.get()); ++i) {
            char text[80];
            OBJ_obj2txt(text, sizeof text, sk_POLICYINFO_value(policies.get(), i)->policyid, 1);
            oids.insert(text);
        }
        return oids;
    };
    BOOST_CHECK((policies_of("issuing2") ==
                 std::set<std::string>{"1.3.6.1.4.1.99999.2.1", "1.3.6.1.4.1.99999.2.2"}));
    BOOST_CHECK(policies_of("root2").empty());
}

BOOST_AUTO_TEST_SUITE_END()
