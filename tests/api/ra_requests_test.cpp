// The registration authority's request decoders (api/ra_requests.hpp), in process: each body's
// good form, each refusal naming the member by its path, and no refusal echoing a document
// number or a code. The same bodies over real HTTP are in ra_routes_test.cpp.
#include "api/ra_requests.hpp"

#include <boost/test/unit_test.hpp>
#include <variant>

#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::api;
using signet::testing::expect_error;

namespace {

constexpr const char* kNumber = "11010519491231002X";
constexpr const char* kCode = "493817";

template <class Decode>
void refused(Decode&& decode, const std::string& body, const std::string& needle) {
    BOOST_TEST_CONTEXT("body " << body) {
        expect_error([&] { decode(parse_ra_body(body)); }, Errc::invalid_argument, needle);
    }
}

// The message of the refusal `decode` gives `body`.
template <class Decode>
std::string refusal(Decode&& decode, const std::string& body) {
    try {
        decode(parse_ra_body(body));
    } catch (const Error& e) {
        return e.what();
    }
    BOOST_ERROR("accepted: " << body);
    return {};
}

const auto create = [](const JsonBody& body) { return decode_create_subject(body); };

}  // namespace

BOOST_AUTO_TEST_SUITE(ra_requests)

BOOST_AUTO_TEST_CASE(a_person_is_decoded_with_its_document_and_evidence) {
    const auto request = decode_create_subject(parse_ra_body(
        R"({"kind":"person","name":"王芳","document":{"kind":"cn_resident_id","number":"11010519491231002X"},
            "mobile":"+8613800000000","email":"wang@example.cn","organization":"Example Ltd",
            "evidence":{"statement":"a.b.c","profile":"personal"}})"));
    const auto& person = std::get<ra::PersonInput>(request.subject);
    BOOST_CHECK_EQUAL(person.name, "王芳");
    BOOST_CHECK_EQUAL(person.document.kind, "cn_resident_id");
    BOOST_CHECK_EQUAL(person.document.number, kNumber);
    BOOST_CHECK_EQUAL(person.document.country, "");
    BOOST_CHECK_EQUAL(person.mobile, "+8613800000000");
    BOOST_CHECK_EQUAL(person.email.value_or(""), "wang@example.cn");
    BOOST_CHECK_EQUAL(person.organization, "Example Ltd");
    BOOST_REQUIRE(request.evidence);
    BOOST_CHECK_EQUAL(request.evidence->statement, "a.b.c");
    BOOST_CHECK_EQUAL(request.evidence->profile.value_or(""), "personal");
    BOOST_CHECK(!request.evidence->level);

    const auto minimal = decode_create_subject(parse_ra_body(
        R"({"kind":"person","name":"A","document":{"kind":"passport","number":"E1","country":"de"},"mobile":"+4917000000000"})"));
    const auto& passport = std::get<ra::PersonInput>(minimal.subject);
    BOOST_CHECK_EQUAL(passport.document.country, "de");
    BOOST_CHECK(!passport.email);
    BOOST_CHECK(!minimal.evidence);
}

BOOST_AUTO_TEST_CASE(an_organization_is_decoded) {
    const auto request = decode_create_subject(parse_ra_body(
        R"({"kind":"organization","name":"Example Ltd","credit_code":"914403001922038216",
            "legal_representative_id":7,"evidence":{"statement":"a.b.c","level":3}})"));
    const auto& organization = std::get<ra::OrganizationInput>(request.subject);
    BOOST_CHECK_EQUAL(organization.credit_code, "914403001922038216");
    BOOST_CHECK_EQUAL(organization.legal_representative_id, 7);
    BOOST_REQUIRE(request.evidence && request.evidence->level);
    BOOST_CHECK_EQUAL(*request.evidence->level, 3u);
}

BOOST_AUTO_TEST_CASE(each_bad_member_of_a_creation_is_named_by_its_path) {
    const std::string person =
        R"("name":"A","mobile":"+8613800000000","document":{"kind":"cn_resident_id","number":"1"})";
    refused(create, R"({"name":"A"})", "'kind' is required");
    refused(create, R"({"kind":"robot","name":"A"})", "'kind' must be \"person\" or");
    refused(create, R"({"kind":"person","name":"A","mobile":"+1"})", "'document' is required");
    refused(create, R"({"kind":"person","name":"A","mobile":"+1","document":"x"})",
            "'document' must be an object");
    refused(create, R"({"kind":"person","name":"A","mobile":"+1","document":{"kind":"passport"}})",
            "'document.number' is required");
    refused(
        create,
        R"({"kind":"person","name":"A","mobile":"+1","document":{"kind":"p","number":"1","colour":1}})",
        "unknown member 'document.colour'");
    refused(create, R"({"kind":"person",)" + person + R"(,"document_number":"1"})",
            "unknown member 'document_number'");
    refused(create, R"({"kind":"person",)" + person + R"(,"name":"B"})", "duplicate member 'name'");
}

BOOST_AUTO_TEST_CASE(evidence_at_creation_takes_a_profile_or_a_level) {
    const std::string person =
        R"({"kind":"person","name":"A","mobile":"+1","document":{"kind":"k","number":"1"},)";
    refused(create, person + R"("evidence":{"profile":"p"}})", "'evidence.statement' is required");
    refused(create, person + R"("evidence":{"statement":"s","profile":"p","level":2}})",
            "'evidence.level' excludes 'profile'");
    refused(create, person + R"("evidence":{"statement":"s","level":0}})",
            "'evidence.level' must be an integer from 1 to 10");
    refused(create, person + R"("evidence":{"statement":"s","level":2.0}})",
            "'evidence.level' must be an integer");
    refused(create, person + R"("evidence":{"statement":"s","document_number":"1"}})",
            "unknown member 'evidence.document_number'");
}

BOOST_AUTO_TEST_CASE(no_refusal_echoes_a_document_number_or_a_code) {
    const std::string number = kNumber;
    const std::vector<std::string> bodies{
        // Cut inside the number's string: the reader must not quote the token it stopped at.
        R"({"kind":"person","document":{"kind":"cn_resident_id","number":")" + number,
        R"({"kind":"person","document":{"kind":"cn_resident_id","number":")" + number + "\x01\"}}",
        R"({"kind":"person","document":{"kind":"cn_resident_id","number":)" + number + "}}",
        R"({"kind":"person","document":{"kind":"cn_resident_id","number":1101051949123100}, "x":1e999})",
        R"({"kind":"organization","name":"A","credit_code":")" + number +
            R"(","legal_representative_id":")" + number + "\"}",
        R"({"kind":")" + number + "\"}",
    };
    for (const auto& body : bodies) {
        const std::string message = refusal(create, body);
        BOOST_TEST_CONTEXT("refusal: " << message) {
            BOOST_CHECK(message.find("1101051949") == std::string::npos);
            BOOST_CHECK(message.find("11010519") == std::string::npos);
        }
    }
    // The reader without InputEcho::never would quote it: the flag is what keeps it out.
    expect_error([&] { JsonBody::parse(R"({"document":{"number":")" + number); },
                 Errc::invalid_argument, "11010519");
    const auto verify = [](const JsonBody& body) { return decode_otp_verify(body); };
    for (const std::string& body :
         {std::string(R"({"method":"totp","code":)") + kCode + "0x}",
          std::string(R"({"challenge_id":"c","purpose":"p","code":")") + kCode,
          std::string(R"({"method":"totp","code":)") + kCode + "}"}) {
        const std::string message = refusal(verify, body);
        BOOST_TEST_CONTEXT("refusal: " << message) {
            BOOST_CHECK(message.find(kCode) == std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_list_query_is_checked_parameter_by_parameter) {
    const auto filter =
        decode_subject_query("kind=person&status=active&min_level=2&after=5&limit=10");
    BOOST_CHECK_EQUAL(filter.kind.value_or(""), "person");
    BOOST_CHECK_EQUAL(filter.status.value_or(""), "active");
    BOOST_CHECK_EQUAL(filter.min_level.value_or(-1), 2);
    BOOST_CHECK_EQUAL(filter.after_id, 5);
    BOOST_CHECK_EQUAL(filter.limit, 10u);
    BOOST_CHECK_EQUAL(decode_subject_query("").limit, 100u);
    const auto query_refused = [](const std::string& query, const std::string& needle) {
        expect_error([&] { decode_subject_query(query); }, Errc::invalid_argument, needle);
    };
    query_refused("limit=0", "'limit' must be an integer from 1 to 1000");
    query_refused("limit=1001", "'limit' must be an integer from 1 to 1000");
    query_refused("min_level=11", "'min_level' must be an integer from 0 to 10");
    query_refused("after=-1", "'after' must be an integer");
    query_refused("status=gone", "'status' must be active or deactivated");
    query_refused("kind=robot", "'kind' must be person or organization");
    query_refused("number=1101", "unknown query parameter 'number'");
    query_refused("kind=person&kind=organization", "given twice");
    query_refused("kind=%70erson", "percent-encoded");
}

BOOST_AUTO_TEST_CASE(a_search_takes_a_document_only) {
    const auto document = decode_subject_search(
        parse_ra_body(R"({"document":{"kind":"passport","number":"E12345678","country":"CN"}})"));
    BOOST_CHECK_EQUAL(document.number, "E12345678");
    BOOST_CHECK_EQUAL(document.country, "CN");
    const auto search = [](const JsonBody& body) { return decode_subject_search(body); };
    refused(search, "{}", "'document' is required");
    refused(search, R"({"document":{"kind":"passport","number":"E1"},"name":"A"})",
            "unknown member 'name'");
    refused(search, R"({"document":{"kind":"passport","number":7}})",
            "'document.number' must be a string");
}

BOOST_AUTO_TEST_CASE(an_update_changes_at_least_one_member) {
    const auto update = decode_subject_update(parse_ra_body(
        R"({"email":"","document":{"kind":"passport","number":"E1","country":"FR"},"legal_representative_id":4})"));
    BOOST_CHECK_EQUAL(update.email.value_or("unset"), "");  // "" removes it
    BOOST_REQUIRE(update.document);
    BOOST_CHECK_EQUAL(update.document->country, "FR");
    BOOST_CHECK_EQUAL(update.legal_representative_id.value_or(0), 4);
    BOOST_CHECK(!update.name && !update.mobile && !update.credit_code && !update.organization);
    const auto patch = [](const JsonBody& body) { return decode_subject_update(body); };
    refused(patch, "{}", "the body changes nothing");
    refused(patch, R"({"name":null})", "the body changes nothing");
    refused(patch, R"({"status":"active"})", "unknown member 'status'");
    refused(patch, R"({"document":{"number":"1"}})", "'document.kind' is required");
    refused(patch, R"({"legal_representative_id":0})", "'legal_representative_id' must be");
}

BOOST_AUTO_TEST_CASE(evidence_verification_and_deactivation_bodies) {
    const auto evidence = decode_evidence(
        parse_ra_body(R"({"statement":"a.b.c","document_number":"11010519491231002X","level":2})"));
    BOOST_CHECK_EQUAL(evidence.document_number, kNumber);
    BOOST_CHECK_EQUAL(evidence.level.value_or(0), 2u);
    const auto attach = [](const JsonBody& body) { return decode_evidence(body); };
    refused(attach, R"({"statement":"a.b.c"})", "'document_number' is required");
    refused(attach, R"({"statement":"s","document_number":"1","profile":"p","level":1})",
            "'level' excludes 'profile'");

    const auto verification = decode_verification(
        parse_ra_body(R"({"level":3,"reason":"seen at branch 12","document_number":"E1"})"));
    BOOST_CHECK_EQUAL(verification.level, 3u);
    BOOST_CHECK_EQUAL(verification.reason, "seen at branch 12");
    const auto verify = [](const JsonBody& body) { return decode_verification(body); };
    refused(verify, R"({"reason":"r","document_number":"1"})", "'level' is required");
    refused(verify, R"({"level":11,"reason":"r","document_number":"1"})",
            "'level' must be an integer from 1 to 10");

    BOOST_CHECK_EQUAL(decode_deactivation(parse_ra_body(R"({"reason":"closed"})")), "closed");
    const auto deactivate = [](const JsonBody& body) { return decode_deactivation(body); };
    refused(deactivate, "{}", "'reason' is required");
}

BOOST_AUTO_TEST_CASE(otp_bodies) {
    BOOST_CHECK(!decode_totp_enrolment(parse_ra_body("{}")));
    BOOST_CHECK_EQUAL(decode_totp_enrolment(parse_ra_body(R"({"account":"wang"})")).value_or(""),
                      "wang");
    BOOST_CHECK_EQUAL(decode_sms_number(parse_ra_body(R"({"mobile":"+8613800000000"})")),
                      "+8613800000000");
    const auto challenge =
        decode_challenge(parse_ra_body(R"({"purpose":"login","channel":"sms"})"));
    BOOST_CHECK_EQUAL(challenge.purpose, "login");
    BOOST_CHECK_EQUAL(challenge.channel, "sms");
    const auto send = [](const JsonBody& body) { return decode_challenge(body); };
    refused(send, R"({"purpose":"login","channel":"voice"})", "'channel' must be \"sms\"");
    refused(send, R"({"channel":"sms"})", "'purpose' is required");

    const auto answer = decode_otp_verify(parse_ra_body(
        R"({"challenge_id":"0123456789abcdef0123456789abcdef","purpose":"login","code":"493817"})"));
    const auto& by_challenge = std::get<ChallengeAnswer>(answer);
    BOOST_CHECK_EQUAL(by_challenge.challenge_id, "0123456789abcdef0123456789abcdef");
    BOOST_CHECK_EQUAL(by_challenge.code, kCode);
    const auto totp = decode_otp_verify(parse_ra_body(R"({"method":"totp","code":"493817"})"));
    BOOST_CHECK_EQUAL(std::get<TotpAnswer>(totp).code, kCode);
    const auto verify = [](const JsonBody& body) { return decode_otp_verify(body); };
    refused(verify, R"({"method":"sms","code":"1"})", "'method' must be \"totp\"");
    refused(verify, R"({"method":"totp","code":"1","purpose":"p"})", "unknown member 'purpose'");
    refused(verify, R"({"challenge_id":"c","code":"1"})", "'purpose' is required");
    refused(verify, R"({"challenge_id":"c","purpose":"p","code":493817})",
            "'code' must be a string");
}

BOOST_AUTO_TEST_CASE(an_agent_grant) {
    const auto grant = decode_agent_grant(parse_ra_body(
        R"({"person_id":5,"permissions":["sign","apply_seal"],"valid_until":"2027-06-30T00:00:00Z",
            "authorization_reference":"LoA-2026-17","authorization_sha256":")" +
        std::string(64, 'a') + "\"}"));
    BOOST_CHECK_EQUAL(grant.person_id, 5);
    BOOST_CHECK_EQUAL(grant.permissions.size(), 2u);
    BOOST_CHECK(grant.valid_until == parse_utc("2027-06-30T00:00:00Z"));
    BOOST_REQUIRE(grant.authorization_sha256);
    BOOST_CHECK_EQUAL(grant.authorization_sha256->size(), 32u);
    const auto agent = [](const JsonBody& body) { return decode_agent_grant(body); };
    const std::string rest =
        R"("valid_until":"2027-06-30T00:00:00Z","authorization_reference":"r")";
    refused(agent, R"({"person_id":5,)" + rest + "}", "'permissions' is required");
    refused(agent, R"({"person_id":5,"permissions":[],)" + rest + "}",
            "'permissions' must be an array of 1 to 8 strings");
    refused(agent, R"({"person_id":5,"permissions":["sign",1],)" + rest + "}",
            "'permissions' must be an array");
    refused(agent, R"({"person_id":5,"permissions":"sign",)" + rest + "}",
            "'permissions' must be an array");
    refused(
        agent,
        R"({"person_id":5,"permissions":["sign"],"valid_until":"next June","authorization_reference":"r"})",
        "'valid_until' must be an RFC 3339 UTC time");
    refused(agent,
            R"({"person_id":5,"permissions":["sign"],"authorization_sha256":"abcd",)" + rest + "}",
            "'authorization_sha256' must be 64 hex digits");
    refused(agent, R"({"permissions":["sign"],)" + rest + "}", "'person_id' is required");
}

BOOST_AUTO_TEST_CASE(ids_are_positive_decimal_integers) {
    BOOST_CHECK_EQUAL(parse_id("42", "id"), 42);
    BOOST_CHECK_EQUAL(parse_id("9223372036854775807", "id"), INT64_MAX);
    for (const char* bad :
         {"", "0", "-1", "+1", " 1", "1a", "0x10", "9223372036854775808", "99999999999999999999"})
        expect_error([&] { parse_id(bad, "agent_id"); }, Errc::invalid_argument,
                     "'agent_id' must be an integer from 1 to 9223372036854775807");
}

BOOST_AUTO_TEST_SUITE_END()
