// The registration authority's tables (store migration 8) against the real test cluster: the
// migration over existing subjects, the subjects' new columns and rules, identity_evidence,
// evidence_replay and organization_agents.
#include <boost/test/unit_test.hpp>

#include "store/identity_evidence.hpp"
#include "store/organization_agents.hpp"
#include "store/subjects.hpp"
#include "tests/store/test_cluster.hpp"

using namespace signet;
using namespace signet::store;
using namespace std::chrono_literals;
using signet::testing::expect_error;
using signet::testing::TestCluster;

namespace {

const Clock::time_point kNow = parse_utc("2026-12-06T05:00:00Z");

Bytes hmac_of(std::uint8_t seed) {
    return Bytes(32, seed);
}

Subject person(const std::string& name, std::uint8_t document) {
    Subject s;
    s.kind = "person";
    s.name = name;
    s.country = "CN";
    s.id_masked = "1101XXXXXXXXXX002X";
    s.created_at = s.updated_at = kNow;
    s.document_kind = "cn_resident_id";
    s.document_hmac = hmac_of(document);
    s.mobile = "+8613800138000";
    return s;
}

struct RegistryFixture {
    explicit RegistryFixture(const std::string& name)
        : database({.dsn = TestCluster::instance().migrated_database(name), .pool_size = 2}) {}

    std::int64_t add(const Subject& s) {
        return database.transaction([&](Connection& tx) { return subjects.add(tx, s); });
    }
    template <class F>
    auto in_transaction(F&& f) {
        return database.transaction(std::forward<F>(f));
    }

    Database database;
    PostgresSubjects subjects{database};
    PostgresIdentityEvidence evidence;
    PostgresOrganizationAgents agents;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_tables)

BOOST_AUTO_TEST_CASE(migration_8_keeps_existing_subjects_active_and_drops_hand_set_levels) {
    const std::string dsn = TestCluster::instance().fresh_database("registry_migration");
    Database database({.dsn = dsn, .pool_size = 1});
    // The schema as migration 7 left it, with a subject signetctl added then.
    database.transaction([](Connection& c) {
        c.exec(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())");
        for (const auto& m : known_migrations()) {
            if (m.version >= 8)
                break;
            c.exec(m.sql);
            c.exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                   {m.version, m.name});
        }
        c.exec(
            "INSERT INTO subjects (kind, name, country, id_masked, assurance_level, "
            "created_at) VALUES ('person', 'Old Person', 'CN', '', 2, $1::timestamptz)",
            {kNow});
    });
    const auto report = migrate(database);
    BOOST_CHECK_EQUAL(report.from_version, 7);
    PostgresSubjects subjects(database);
    const auto old = subjects.list(0, 10);
    BOOST_REQUIRE_EQUAL(old.size(), 1u);
    BOOST_CHECK_EQUAL(old[0].status, "active");
    // The level an operator typed rests on no evidence: the CA must not issue on it.
    BOOST_CHECK_EQUAL(old[0].assurance_level, 0);
    BOOST_CHECK_EQUAL(old[0].verification_method, "");
    BOOST_CHECK_EQUAL(old[0].document_kind, "");
    BOOST_CHECK(!old[0].document_hmac.has_value());
    BOOST_CHECK(old[0].updated_at == kNow);
    BOOST_CHECK_NO_THROW(validate_subject(old[0]));
}

BOOST_AUTO_TEST_CASE(subjects_round_trip_every_column_and_are_searched) {
    RegistryFixture f("registry_subjects");
    Subject s = person("王芳", 1);
    s.email = "wf@example.cn";
    s.id = f.add(s);
    auto found = f.subjects.find(s.id);
    BOOST_REQUIRE(found.has_value());
    BOOST_CHECK(found->document_hmac == s.document_hmac);
    BOOST_CHECK_EQUAL(found->mobile, s.mobile);
    BOOST_CHECK_EQUAL(found->email, s.email);
    BOOST_CHECK_EQUAL(found->status, "active");

    Subject org;
    org.kind = "organization";
    org.name = "华为技术有限公司";
    org.country = "CN";
    org.created_at = kNow;  // updated_at left at its default: created_at
    org.document_kind = "cn_uscc";
    org.document_hmac = hmac_of(2);
    org.legal_representative_id = s.id;
    org.id = f.add(org);
    BOOST_CHECK(f.subjects.find(org.id)->updated_at == kNow);

    f.in_transaction([&](Connection& tx) {
        Subject locked = *f.subjects.lock(tx, s.id);
        locked.assurance_level = 3;
        locked.verification_method = "provider";
        locked.verified_at = kNow + 1s;
        locked.updated_at = kNow + 1s;
        f.subjects.update(tx, locked);
        BOOST_CHECK_EQUAL(f.subjects.find_active_by_document(tx, "cn_resident_id", hmac_of(1))->id,
                          s.id);
        BOOST_CHECK(!f.subjects.find_active_by_document(tx, "passport", hmac_of(1)));
    });
    found = f.subjects.find(s.id);
    BOOST_CHECK_EQUAL(found->assurance_level, 3);
    BOOST_CHECK(found->verified_at == kNow + 1s);

    SubjectQuery q;
    q.kind = "person";
    BOOST_CHECK_EQUAL(f.subjects.search(q).size(), 1u);
    q = {};
    q.min_level = 3;
    BOOST_CHECK_EQUAL(f.subjects.search(q).at(0).id, s.id);
    q = {};
    q.document_kind = "cn_uscc";
    q.document_hmac = hmac_of(2);
    BOOST_CHECK_EQUAL(f.subjects.search(q).at(0).id, org.id);
    q = {};
    q.after_id = s.id;
    q.limit = 5;
    BOOST_CHECK_EQUAL(f.subjects.search(q).at(0).id, org.id);
    q = {};
    q.status = "deactivated";
    BOOST_CHECK(f.subjects.search(q).empty());
}

BOOST_AUTO_TEST_CASE(one_document_is_one_active_subject) {
    RegistryFixture f("registry_unique_document");
    Subject first = person("王芳", 7);
    first.id = f.add(first);
    expect_error([&] { f.add(person("王芳", 7)); }, Errc::already_exists,
                 "an active subject already holds this document");
    f.in_transaction([&](Connection& tx) {
        Subject gone = *f.subjects.lock(tx, first.id);
        gone.status = "deactivated";
        gone.deactivated_at = kNow;
        f.subjects.update(tx, gone);
    });
    BOOST_CHECK_GT(f.add(person("王芳", 7)), first.id);
    Subject missing = person("Nobody", 8);
    missing.id = 999999;
    expect_error([&] { f.in_transaction([&](Connection& tx) { f.subjects.update(tx, missing); }); },
                 Errc::not_found, "no subject with id 999999");
}

BOOST_AUTO_TEST_CASE(each_new_rule_names_its_field) {
    const auto refused = [](const std::function<void(Subject&)>& change, const char* field) {
        Subject s = person("王芳", 1);
        change(s);
        expect_error([&] { validate_subject(s); }, Errc::invalid_argument,
                     std::string("'") + field + "'");
    };
    refused([](Subject& s) { s.status = "paused"; }, "status");
    refused([](Subject& s) { s.deactivated_at = kNow; }, "deactivated_at");
    refused([](Subject& s) { s.document_kind = "cn_uscc"; }, "document_kind");
    refused([](Subject& s) { s.document_hmac.reset(); }, "document_hmac");
    refused([](Subject& s) { s.document_hmac = Bytes(31, 1); }, "document_hmac");
    refused([](Subject& s) { s.mobile = "+0123456789"; }, "mobile");
    refused([](Subject& s) { s.mobile = "+86 138 0013 8000"; }, "mobile");
    refused([](Subject& s) { s.email = std::string(255, 'a'); }, "email");
    refused([](Subject& s) { s.email = "a b@example.cn"; }, "email");
    refused([](Subject& s) { s.legal_representative_id = 5; }, "legal_representative_id");
    refused([](Subject& s) { s.verification_method = "guess"; }, "verification_method");
    refused([](Subject& s) { s.verification_method = "officer"; }, "verified_at");
}

BOOST_AUTO_TEST_CASE(identity_evidence_is_kept_and_superseded) {
    RegistryFixture f("registry_evidence_rows");
    const std::int64_t subject = f.add(person("王芳", 1));
    IdentityEvidenceRecord provider;
    provider.subject_id = subject;
    provider.method = "provider";
    provider.level = 3;
    provider.issuer = "https://idv.example";
    provider.jti = "stmt-1";
    provider.algorithm = "ES256";
    provider.issued_at = kNow - 5s;
    provider.methods = {"id_registry", "face_match"};
    provider.face_match_score = 0.931;
    provider.statement_sha256 = Bytes(32, 9);
    provider.recorded_at = kNow;
    IdentityEvidenceRecord officer;
    officer.subject_id = subject;
    officer.method = "officer";
    officer.level = 1;
    officer.officer = "client:officer";
    officer.reason = "seen at branch 12";
    officer.recorded_at = kNow;
    f.in_transaction([&](Connection& tx) {
        f.evidence.add(tx, provider);
        f.evidence.add(tx, officer);
    });
    // A provider row without its statement's identity is refused by the table itself.
    IdentityEvidenceRecord incomplete = provider;
    incomplete.jti.reset();
    expect_error([&] { f.in_transaction([&](Connection& tx) { f.evidence.add(tx, incomplete); }); },
                 Errc::invalid_argument, "violates check constraint");
    const auto rows = f.database.with_connection(
        [&](Connection& c) { return f.evidence.of_subject(c, subject); });
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    BOOST_CHECK_EQUAL(rows[0].face_match_score.value_or(0), 0.931);
    BOOST_CHECK(!rows[0].liveness_score.has_value());
    BOOST_CHECK_EQUAL(rows[0].methods.size(), 2u);
    BOOST_CHECK_EQUAL(rows[1].reason.value_or(""), "seen at branch 12");
    BOOST_CHECK_EQUAL(
        f.in_transaction([&](Connection& tx) { return f.evidence.supersede(tx, subject, kNow); }),
        2u);
    BOOST_CHECK_EQUAL(
        f.in_transaction([&](Connection& tx) { return f.evidence.supersede(tx, subject, kNow); }),
        0u);
}

BOOST_AUTO_TEST_CASE(a_statement_is_recorded_once_and_expired_records_go) {
    RegistryFixture f("registry_replay");
    const auto use = [&](const std::string& jti, Clock::time_point keep_until,
                         Clock::time_point now) {
        return f.in_transaction([&](Connection& tx) {
            return f.evidence.record_statement_use(tx, "https://idv.example", jti, keep_until, now);
        });
    };
    BOOST_CHECK(use("a", kNow + 600s, kNow));
    BOOST_CHECK(!use("a", kNow + 600s, kNow));
    BOOST_CHECK(use("b", kNow + 600s, kNow));
    // Rolled back: not recorded.
    BOOST_CHECK_THROW(f.in_transaction([&](Connection& tx) {
        f.evidence.record_statement_use(tx, "https://idv.example", "c", kNow + 600s, kNow);
        throw Error(Errc::internal, "the evidence could not be stored");
    }),
                      Error);
    BOOST_CHECK(use("c", kNow + 600s, kNow));
    // Later than keep_until: the rows are deleted by the next use.
    BOOST_CHECK(use("d", kNow + 2000s, kNow + 700s));
    BOOST_CHECK_EQUAL(f.database.with_connection([](Connection& c) {
        return c.exec("SELECT count(*) FROM evidence_replay").one()[0].int64();
    }),
                      1);
}

BOOST_AUTO_TEST_CASE(agents_are_granted_listed_and_revoked) {
    RegistryFixture f("registry_agents_rows");
    const std::int64_t person_id = f.add(person("王芳", 1));
    Subject org = person("华为", 2);
    org.kind = "organization";
    org.document_kind = "cn_uscc";
    const std::int64_t org_id = f.add(org);
    AgentRecord grant{0,          org_id,       person_id,    {"sign", "apply_seal"},
                      kNow + 24h, "LOA-1",      std::nullopt, "client:test",
                      kNow,       std::nullopt, std::nullopt};
    const std::int64_t id =
        f.in_transaction([&](Connection& tx) { return f.agents.add(tx, grant); });
    AgentRecord bad = grant;
    bad.permissions = {"sign", "delete"};
    expect_error([&] { f.in_transaction([&](Connection& tx) { f.agents.add(tx, bad); }); },
                 Errc::invalid_argument, "violates check constraint");

    f.database.with_connection([&](Connection& c) {
        BOOST_CHECK_EQUAL(f.agents.of_organization(c, org_id, kNow).size(), 1u);
        BOOST_CHECK(f.agents.of_organization(c, org_id, kNow + 25h).empty());
        BOOST_CHECK_EQUAL(f.agents.grants(c, org_id, person_id).at(0).permissions.size(), 2u);
    });
    f.in_transaction([&](Connection& tx) {
        BOOST_REQUIRE(f.agents.lock(tx, org_id, id).has_value());
        BOOST_CHECK(!f.agents.lock(tx, person_id, id).has_value());
        BOOST_CHECK(f.agents.revoke(tx, id, kNow + 1h, "client:test"));
        BOOST_CHECK(!f.agents.revoke(tx, id, kNow + 2h, "client:test"));
        f.agents.add(tx, grant);
        BOOST_CHECK_EQUAL(f.agents.revoke_all_of(tx, person_id, kNow + 3h, "system"), 1u);
    });
    f.database.with_connection([&](Connection& c) {
        const auto all = f.agents.of_organization(c, org_id, std::nullopt);
        BOOST_REQUIRE_EQUAL(all.size(), 2u);
        BOOST_CHECK(all[0].revoked_at == kNow + 1h);
        BOOST_CHECK_EQUAL(all[1].revoked_by.value_or(""), "system");
        BOOST_CHECK(f.agents.of_organization(c, org_id, kNow).empty());
    });
}

BOOST_AUTO_TEST_SUITE_END()
