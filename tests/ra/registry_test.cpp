// The registry's subjects on real parts (tests/ra/registry_fixture.hpp): creating people and
// organizations, finding them again through the HSM-keyed hash, changing and deactivating them.
#include "ra/registry.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/ra/registry_fixture.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

// Refused with `code`, the message naming `field`, and nothing written.
template <class F>
void expect_refused(RegistryFixture& f, F&& operation, Errc code, const std::string& needle) {
    const auto subjects = f.count("SELECT count(*) FROM subjects");
    const auto events = f.audit.size();
    expect_error(operation, code, needle);
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM subjects"), subjects);
    BOOST_CHECK_EQUAL(f.audit.size(), events);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_subjects)

BOOST_AUTO_TEST_CASE(a_person_is_stored_with_the_keyed_hash_and_masked_number_only) {
    RegistryFixture f("registry_person");
    auto input = f.person("王芳", "  11010519491231002x ");
    input.email = " Wang.Fang@Example.CN ";
    const auto s = f.registry->create_person(input, "client:test");
    BOOST_CHECK_GT(s.id, 0);
    BOOST_CHECK_EQUAL(s.kind, "person");
    BOOST_CHECK_EQUAL(s.status, "active");
    BOOST_CHECK_EQUAL(s.assurance_level, 0);
    BOOST_CHECK_EQUAL(s.document_kind, "cn_resident_id");
    BOOST_CHECK_EQUAL(s.id_masked, "1101XXXXXXXXXX002X");
    BOOST_CHECK_EQUAL(s.country, "CN");
    BOOST_CHECK_EQUAL(s.email, "Wang.Fang@example.cn");
    BOOST_REQUIRE(s.document_hmac.has_value());
    // HMAC-SHA-256 in the token of kind || 0 || country || 0 || number.
    const std::string input_text = std::string("cn_resident_id") + '\0' + "CN" + '\0' + kWangFangId;
    BOOST_CHECK(*s.document_hmac == f.token->hmac_sha256("signet-identity", as_bytes(input_text)));
    const auto stored = f.registry->find(s.id);
    BOOST_REQUIRE(stored.has_value());
    BOOST_CHECK(stored->document_hmac == s.document_hmac);
    BOOST_CHECK_EQUAL(stored->mobile, "+8613800138000");

    const auto events = f.events();
    BOOST_REQUIRE(!events.empty());
    BOOST_CHECK_EQUAL(events.back().event.type, "subject.created");
    BOOST_CHECK_EQUAL(events.back().event.object, "subject:" + std::to_string(s.id));
    BOOST_CHECK_EQUAL(events.back().event.details["id_masked"], "1101XXXXXXXXXX002X");
}

BOOST_AUTO_TEST_CASE(each_bad_field_is_named_and_nothing_is_stored) {
    RegistryFixture f("registry_bad_fields");
    const auto create = [&](ra::PersonInput input) {
        return [&f, input] { f.registry->create_person(input, "client:test"); };
    };
    auto p = f.person("王芳", "11010519491231002Y");  // wrong check character
    expect_refused(f, create(p), Errc::invalid_argument, "'document.number'");
    p = f.person("王芳", kWangFangId, "driving_licence");
    expect_refused(f, create(p), Errc::invalid_argument, "'document.kind'");
    p = f.person("王芳", kWangFangId, "cn_uscc");
    expect_refused(f, create(p), Errc::invalid_argument, "'document.kind'");
    p = f.person("John Smith", kPassport, "passport", "XX");
    expect_refused(f, create(p), Errc::invalid_argument, "'document.country'");
    p = f.person("", kWangFangId);
    expect_refused(f, create(p), Errc::invalid_argument, "'name'");
    p = f.person(std::string(65, 'a'), kWangFangId);
    expect_refused(f, create(p), Errc::invalid_argument, "'name'");
    p = f.person("王芳", kWangFangId);
    p.mobile = "13800138000";
    expect_refused(f, create(p), Errc::invalid_argument, "'mobile'");
    p.mobile = "+8613800138000";
    p.email = "not an address";
    expect_refused(f, create(p), Errc::invalid_argument, "'email'");
    expect_refused(
        f,
        [&] {
            f.registry->create_organization({"华为", "914403001922038217", 0}, "c:t");
        },
        Errc::invalid_argument, "'credit_code'");
    const auto rep = f.add_person("王芳", kWangFangId);
    expect_refused(
        f,
        [&] {
            f.registry->create_organization({"华为", kHuaweiUscc, rep.id + 100}, "c:t");
        },
        Errc::not_found, "'legal_representative_id'");
}

BOOST_AUTO_TEST_CASE(the_same_document_cannot_be_two_active_subjects) {
    RegistryFixture f("registry_duplicate");
    const auto first = f.add_person("王芳", kWangFangId);
    // Given differently (lower-case x, spaces): the same normalized number, the same hash.
    expect_refused(
        f, [&] { f.add_person("王 芳", " 11010519491231002x"); }, Errc::already_exists,
        "an active subject (id " + std::to_string(first.id) + ") already holds this document");
    // A passport number is per country: the same number of two countries are two documents.
    f.add_person("John Smith", kPassport, "passport", "GB");
    f.add_person("Jean Dupont", kPassport, "passport", "FR");
    expect_refused(
        f, [&] { f.add_person("J. Smith", kPassport, "passport", "gb"); }, Errc::already_exists,
        "already holds this document");
    // Deactivated, the document may be registered again.
    f.registry->deactivate(first.id, "duplicate registration", "client:test");
    BOOST_CHECK_GT(f.add_person("王芳", kWangFangId).id, first.id);
}

BOOST_AUTO_TEST_CASE(a_document_is_found_again_through_its_keyed_hash) {
    RegistryFixture f("registry_find_document");
    const auto wang = f.add_person("王芳", kWangFangId);
    const auto li = f.add_person("李雷", kLiLeiId);
    const auto rep = f.add_organization("华为技术有限公司", kHuaweiUscc, li.id);
    ra::SubjectFilter filter;
    filter.document = ra::DocumentInput{"cn_resident_id", "11010519491231002x", ""};
    auto found = f.registry->list(filter);
    BOOST_REQUIRE_EQUAL(found.size(), 1u);
    BOOST_CHECK_EQUAL(found[0].id, wang.id);
    filter.document = ra::DocumentInput{"cn_uscc", kHuaweiUscc, ""};
    found = f.registry->list(filter);
    BOOST_REQUIRE_EQUAL(found.size(), 1u);
    BOOST_CHECK_EQUAL(found[0].id, rep.id);
    BOOST_CHECK_EQUAL(found[0].legal_representative_id.value_or(0), li.id);
    filter.document = ra::DocumentInput{"cn_resident_id", kZhangWeiId, ""};
    BOOST_CHECK(f.registry->list(filter).empty());

    // The other filters and paging.
    ra::SubjectFilter people;
    people.kind = "person";
    BOOST_CHECK_EQUAL(f.registry->list(people).size(), 2u);
    people.limit = 1;
    people.after_id = wang.id;
    const auto page = f.registry->list(people);
    BOOST_REQUIRE_EQUAL(page.size(), 1u);
    BOOST_CHECK_EQUAL(page[0].id, li.id);
    ra::SubjectFilter verified;
    verified.min_level = 1;
    BOOST_CHECK(f.registry->list(verified).empty());
    ra::SubjectFilter bad;
    bad.limit = 0;
    expect_error([&] { f.registry->list(bad); }, Errc::invalid_argument, "'limit'");
    bad.limit = 10;
    bad.document = ra::DocumentInput{"cn_resident_id", "123", ""};
    expect_error([&] { f.registry->list(bad); }, Errc::invalid_argument, "'document.number'");
}

BOOST_AUTO_TEST_CASE(an_identity_change_revokes_as_superseded_and_requires_reverification) {
    RegistryFixture f("registry_identity_change");
    const auto s = f.add_verified_person("王芳", kWangFangId, 2);
    const auto issued = f.issue(s.id);
    const auto evidence_before =
        f.count("SELECT count(*) FROM identity_evidence WHERE superseded_at IS NULL");
    BOOST_CHECK_EQUAL(evidence_before, 1);

    ra::SubjectUpdate change;
    change.name = "王芳芳";
    const auto changed = f.registry->update(s.id, change, "client:test");
    BOOST_CHECK(changed.reverification_required);
    BOOST_CHECK_EQUAL(changed.subject.assurance_level, 0);
    BOOST_CHECK_EQUAL(changed.subject.verification_method, "");
    BOOST_REQUIRE_EQUAL(changed.revoked.size(), 1u);
    BOOST_CHECK_EQUAL(changed.revoked[0], ca::serial_hex(issued.record.serial));
    const auto record = f.certificates.find(issued.record.serial);
    BOOST_REQUIRE(record.has_value());
    BOOST_CHECK_EQUAL(record->status, "revoked");
    BOOST_CHECK_EQUAL(record->revocation_reason.value_or(-1),
                      static_cast<int>(ca::RevocationReason::superseded));
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM identity_evidence WHERE superseded_at IS NULL"),
                      0);
    // Level 0 now: the CA refuses until the subject is verified again.
    expect_error([&] { f.issue(s.id); }, Errc::failed_precondition, "identity assurance level 0");
    // Before the CA's events (certificate.revoked, crl.published): the change committed first.
    const auto events = f.events();
    const auto updated_event = std::ranges::find_if(
        events, [](const auto& e) { return e.event.type == "subject.updated"; });
    BOOST_REQUIRE(updated_event != events.end());
    BOOST_CHECK_EQUAL((updated_event + 1)->event.type, "certificate.revoked");
    const auto& updated = updated_event->event;
    BOOST_CHECK_EQUAL(updated.details["fields"], nlohmann::json::array({"name"}));

    // A new document: the same duplicate check as at creation.
    f.add_person("李雷", kLiLeiId);
    ra::SubjectUpdate taken;
    taken.document = ra::DocumentInput{"cn_resident_id", kLiLeiId, ""};
    expect_error([&] { f.registry->update(s.id, taken, "client:test"); }, Errc::already_exists,
                 "already holds this document");
    ra::SubjectUpdate document;
    document.document = ra::DocumentInput{"cn_resident_id", kZhangWeiId, ""};
    const auto moved = f.registry->update(s.id, document, "client:test");
    BOOST_CHECK_EQUAL(moved.subject.id_masked, ra::mask_number(kZhangWeiId));
}

BOOST_AUTO_TEST_CASE(a_contact_change_revokes_nothing) {
    RegistryFixture f("registry_contact_change");
    const auto s = f.add_verified_person("王芳", kWangFangId, 2);
    const auto issued = f.issue(s.id);
    ra::SubjectUpdate change;
    change.mobile = "+8613911112222";
    change.email = "wf@example.cn";
    const auto changed = f.registry->update(s.id, change, "client:test");
    BOOST_CHECK(!changed.reverification_required);
    BOOST_CHECK(changed.revoked.empty());
    BOOST_CHECK(f.revocations.empty());
    BOOST_CHECK_EQUAL(changed.subject.assurance_level, 2);
    BOOST_CHECK_EQUAL(changed.subject.mobile, "+8613911112222");
    BOOST_CHECK_EQUAL(f.certificates.find(issued.record.serial)->status, "issued");
    const auto event = f.events().back().event;
    BOOST_CHECK_EQUAL(event.details["fields"], nlohmann::json::array({"mobile", "email"}));
    BOOST_CHECK_EQUAL(event.details["reverification_required"], false);
    // An e-mail given as "" removes it; a bad mobile changes nothing.
    change = {};
    change.email = "";
    BOOST_CHECK_EQUAL(f.registry->update(s.id, change, "client:test").subject.email, "");
    change = {};
    change.mobile = "+0123";
    expect_refused(
        f, [&] { f.registry->update(s.id, change, "client:test"); }, Errc::invalid_argument,
        "'mobile'");
    BOOST_CHECK_EQUAL(f.registry->find(s.id)->mobile, "+8613911112222");
}

BOOST_AUTO_TEST_CASE(deactivation_revokes_every_certificate_and_the_ca_then_refuses) {
    RegistryFixture f("registry_deactivation");
    const auto s = f.add_verified_person("王芳", kWangFangId, 2);
    const auto first = f.issue(s.id);
    const auto second = f.issue(s.id);
    const auto gone = f.registry->deactivate(s.id, "the person asked", "client:test");
    BOOST_CHECK_EQUAL(gone.subject.status, "deactivated");
    BOOST_CHECK(gone.subject.deactivated_at.has_value());
    BOOST_CHECK_EQUAL(gone.subject.assurance_level, 0);
    BOOST_CHECK_EQUAL(gone.revoked.size(), 2u);
    for (const auto* issued : {&first, &second}) {
        const auto record = f.certificates.find(issued->record.serial);
        BOOST_CHECK_EQUAL(record->status, "revoked");
        BOOST_CHECK_EQUAL(record->revocation_reason.value_or(-1),
                          static_cast<int>(ca::RevocationReason::cessation_of_operation));
    }
    expect_error([&] { f.issue(s.id); }, Errc::failed_precondition,
                 "subject " + std::to_string(s.id) + " is deactivated");
    // Again: nothing left to revoke, no second event; other operations refused.
    const auto events = f.audit.size();
    BOOST_CHECK(f.registry->deactivate(s.id, "again", "client:test").revoked.empty());
    BOOST_CHECK_EQUAL(f.audit.size(), events);
    ra::SubjectUpdate change;
    change.mobile = "+8613911112222";
    expect_error([&] { f.registry->update(s.id, change, "client:test"); },
                 Errc::failed_precondition, "is deactivated");
    expect_error([&] { f.registry->deactivate(s.id + 100, "x", "client:test"); }, Errc::not_found,
                 "no subject");
    expect_error([&] { f.registry->deactivate(s.id, "", "client:test"); }, Errc::invalid_argument,
                 "'reason'");
}

BOOST_AUTO_TEST_SUITE_END()
