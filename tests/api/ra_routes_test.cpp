// The registration authority's routes over real HTTPS on loopback (tests/api/ra_api_fixture.hpp):
// each route's success, a bad member named in invalid_params, scopes refused, the OTP refusals
// with their own problem types, the SMS gateway failing, and — last — that neither log holds a
// document number or a code.
#include <boost/test/unit_test.hpp>

#include "ra/identity_numbers.hpp"
#include "ra/totp.hpp"
#include "tests/api/ra_api_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using nlohmann::json;

namespace {

RaApi& ra_api() {
    return RaApi::instance();
}

// The codes the tests used, looked for in the logs at the end.
std::vector<std::string>& codes_used() {
    static std::vector<std::string> codes;
    return codes;
}

std::string person_body(const std::string& name, const std::string& number) {
    return json{{"kind", "person"},
                {"name", name},
                {"document", {{"kind", "cn_resident_id"}, {"number", number}}},
                {"mobile", "+8613800138000"}}
        .dump();
}

// A resident identity number (GB 11643) of the 17 digits given, with its check character.
std::string resident_id(const std::string& body17) {
    return body17 + ra::gb11643_check_character(body17);
}

// More people than the registry fixture's numbers.
const std::string kRepresentative = resident_id("44030819800101123");
const std::string kAgent = resident_id("44030819850202123");
const std::string kSunLi = resident_id("11010119900307651");
const std::string kZhaoMin = resident_id("11010119880707851");
const std::string kQianYu = resident_id("11010119751212123");
const std::string kWuHao = resident_id("11010119920101567");

json problem(const ApiAnswer& answer, unsigned status, std::string_view slug) {
    return expect_problem(answer.raw, status, slug);
}

std::int64_t create_person(const std::string& name, const std::string& number) {
    const auto created = ra_api().call(http::verb::post, "/v1/subjects", person_body(name, number));
    BOOST_REQUIRE_EQUAL(created.status, 201u);
    return created.body["id"].get<std::int64_t>();
}

std::string subject_path(std::int64_t id, const std::string& rest = "") {
    return "/v1/subjects/" + std::to_string(id) + rest;
}

// RFC 4648 §6 base32 (unpadded, as the otpauth URI carries it) back to bytes.
std::string base32_decode(const std::string& text) {
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : text) {
        buffer = (buffer << 5) | static_cast<unsigned>(alphabet.find(c));
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ra_routes)

BOOST_AUTO_TEST_CASE(a_person_is_created_read_listed_and_found_by_document) {
    const auto created =
        ra_api().call(http::verb::post, "/v1/subjects", person_body("王芳", kWangFangId));
    BOOST_REQUIRE_EQUAL(created.status, 201u);
    const auto id = created.body["id"].get<std::int64_t>();
    BOOST_CHECK_EQUAL(std::string(created.raw["Location"]), subject_path(id));
    BOOST_CHECK_EQUAL(created.body["id_masked"], "1101XXXXXXXXXX002X");
    BOOST_CHECK_EQUAL(created.body["assurance_level"], 0);
    BOOST_CHECK_EQUAL(created.body["status"], "active");
    BOOST_CHECK(!created.body.contains("document_hmac"));
    for (const char* member :
         {"organization", "country", "document_kind", "mobile", "email", "legal_representative_id",
          "verification_method", "verified_at", "created_at", "updated_at", "deactivated_at"})
        BOOST_CHECK_MESSAGE(created.body.contains(member), member);

    const auto one = ra_api().call(http::verb::get, subject_path(id), "", kReader);
    BOOST_CHECK_EQUAL(one.status, 200u);
    BOOST_CHECK_EQUAL(one.body, created.body);

    const auto listed =
        ra_api().call(http::verb::get, "/v1/subjects?kind=person&limit=1", "", kReader);
    BOOST_REQUIRE_EQUAL(listed.status, 200u);
    BOOST_CHECK_EQUAL(listed.body["subjects"].size(), 1u);
    BOOST_CHECK(listed.body.contains("next_after"));

    const auto found = ra_api().call(
        http::verb::post, "/v1/subjects/search",
        json{{"document", {{"kind", "cn_resident_id"}, {"number", kWangFangId}}}}.dump(), kReader);
    BOOST_REQUIRE_EQUAL(found.status, 200u);
    BOOST_REQUIRE_EQUAL(found.body["subjects"].size(), 1u);
    BOOST_CHECK_EQUAL(found.body["subjects"][0]["id"], id);

    problem(ra_api().call(http::verb::get, subject_path(999999), "", kReader), 404, "not-found");
    problem(ra_api().call(http::verb::get, "/v1/subjects/abc", "", kReader), 400,
            "invalid-argument");
}

BOOST_AUTO_TEST_CASE(a_bad_member_is_named_in_invalid_params) {
    // The decoder's refusal.
    const auto missing = problem(
        ra_api().call(
            http::verb::post, "/v1/subjects",
            R"({"kind":"person","name":"A","mobile":"+8613800138000","document":{"kind":"cn_resident_id"}})"),
        400, "invalid-argument");
    BOOST_REQUIRE(missing.contains("invalid_params"));
    BOOST_CHECK_EQUAL(missing["invalid_params"][0]["name"], "document.number");
    BOOST_CHECK_EQUAL(missing["invalid_params"][0]["reason"], "is required");
    // The registry's: a wrong check character (never echoed).
    std::string wrong = kLiLeiId;
    wrong.back() = wrong.back() == '9' ? '0' : '9';
    const auto bad =
        problem(ra_api().call(http::verb::post, "/v1/subjects", person_body("李雷", wrong)), 400,
                "invalid-argument");
    BOOST_REQUIRE(bad.contains("invalid_params"));
    BOOST_TEST_MESSAGE("refused: " << bad.dump());
    BOOST_CHECK(bad.dump().find(wrong) == std::string::npos);
    BOOST_CHECK(bad.dump().find(kLiLeiId) == std::string::npos);
    const auto unknown =
        problem(ra_api().call(http::verb::patch, subject_path(1), R"({"colour":1})"), 400,
                "invalid-argument");
    BOOST_CHECK_EQUAL(unknown["invalid_params"][0]["name"], "colour");
}

BOOST_AUTO_TEST_CASE(each_route_wants_its_scope) {
    const auto id = create_person("张伟", kZhangWeiId);
    const std::string officer_body = json{
        {"level", 2},
        {"reason", "seen at branch 12"},
        {"document_number", kZhangWeiId}}.dump();
    problem(ra_api().call(http::verb::post, subject_path(id, "/verification"), officer_body), 403,
            "permission-denied");
    problem(ra_api().call(http::verb::post, "/v1/subjects", person_body("X", kChenJingId), kReader),
            403, "permission-denied");
    problem(ra_api().call(http::verb::get, subject_path(id), "", ""), 401, "unauthenticated");
    problem(ra_api().call(http::verb::post, subject_path(id, "/otp/unlock"), "", kFrontend), 403,
            "permission-denied");
    // Plain HTTP serves no /v1 route but the OpenAPI document.
    problem(ra_api().plain_get(subject_path(id)), 404, "no-such-route");

    const auto verified =
        ra_api().call(http::verb::post, subject_path(id, "/verification"), officer_body, kOfficer);
    BOOST_REQUIRE_EQUAL(verified.status, 200u);
    BOOST_CHECK_EQUAL(verified.body["assurance_level"], 2);
    BOOST_CHECK_EQUAL(verified.body["verification_method"], "officer");
}

BOOST_AUTO_TEST_CASE(evidence_raises_the_level_and_a_refusal_has_its_reason) {
    auto& registry = ra_api().registry;
    const auto id = create_person("陈静", kChenJingId);
    const std::string statement = registry.statement(registry.claims("陈静", kChenJingId, "api-1"));
    const std::string body =
        json{{"statement", statement}, {"document_number", kChenJingId}, {"level", 3}}.dump();
    const auto accepted = ra_api().call(http::verb::post, subject_path(id, "/evidence"), body);
    BOOST_REQUIRE_EQUAL(accepted.status, 200u);
    BOOST_CHECK_EQUAL(accepted.body["assurance_level"], 3);
    BOOST_CHECK_EQUAL(accepted.body["verification_method"], "provider");
    const auto replayed =
        problem(ra_api().call(http::verb::post, subject_path(id, "/evidence"), body), 422,
                "evidence-refused");
    BOOST_CHECK_EQUAL(replayed["reason"], "evidence_replayed");

    // At creation: the subject exists, the refusal says where.
    const std::string wrongly_bound =
        registry.statement(registry.claims("Someone Else", kPassport, "api-2"));
    const auto created = ra_api().call(
        http::verb::post, "/v1/subjects",
        json{{"kind", "person"},
             {"name", "Anna Schmidt"},
             {"document", {{"kind", "passport"}, {"number", kPassport}, {"country", "DE"}}},
             {"mobile", "+4917000000000"},
             {"evidence", {{"statement", wrongly_bound}, {"level", 2}}}}
            .dump());
    const auto refused = problem(created, 422, "evidence-refused");
    BOOST_CHECK_EQUAL(refused["reason"], "evidence_wrong_subject");
    BOOST_REQUIRE(refused.contains("subject_id"));
    BOOST_CHECK_EQUAL(std::string(created.raw["Location"]),
                      subject_path(refused["subject_id"].get<std::int64_t>()));

    // A profile no evidence could meet is the request's error: no subject is created.
    const auto subjects_before = registry.count("SELECT count(*) FROM subjects");
    const auto unknown_profile = ra_api().call(
        http::verb::post, "/v1/subjects",
        json{{"kind", "person"},
             {"name", "Karl Weber"},
             {"document", {{"kind", "passport"}, {"number", kOtherPassport}, {"country", "DE"}}},
             {"evidence", {{"statement", wrongly_bound}, {"profile", "no-such-profile"}}}}
            .dump());
    const auto invalid = problem(unknown_profile, 400, "invalid-argument");
    BOOST_CHECK(!invalid.contains("subject_id"));
    BOOST_CHECK_EQUAL(registry.count("SELECT count(*) FROM subjects"), subjects_before);
}

BOOST_AUTO_TEST_CASE(an_update_and_a_deactivation_say_what_they_revoked) {
    const auto id = create_person("Li Lei", kLiLeiId);
    const auto contact = ra_api().call(http::verb::patch, subject_path(id),
                                       R"({"email":"li@example.cn","mobile":"+8613900139000"})");
    BOOST_REQUIRE_EQUAL(contact.status, 200u);
    BOOST_CHECK_EQUAL(contact.body["reverification_required"], false);
    BOOST_CHECK_EQUAL(contact.body["subject"]["email"], "li@example.cn");
    const auto renamed =
        ra_api().call(http::verb::patch, subject_path(id), R"({"name":"Li Lei Jr"})");
    BOOST_REQUIRE_EQUAL(renamed.status, 200u);
    BOOST_CHECK_EQUAL(renamed.body["reverification_required"], true);
    BOOST_CHECK(renamed.body["revoked_certificates"].is_array());
    const auto gone =
        ra_api().call(http::verb::post, subject_path(id, "/deactivate"), R"({"reason":"closed"})");
    BOOST_REQUIRE_EQUAL(gone.status, 200u);
    BOOST_CHECK_EQUAL(gone.body["subject"]["status"], "deactivated");
    problem(
        ra_api().call(http::verb::post, subject_path(id, "/otp/challenges"), R"({"purpose":"x"})"),
        409, "failed-precondition");
}

BOOST_AUTO_TEST_CASE(agents_are_granted_listed_and_revoked) {
    auto& registry = ra_api().registry;
    const auto representative = registry.add_verified_person("Huang Rep", kRepresentative);
    const auto agent_person = registry.add_verified_person("Zhou Agent", kAgent);
    const auto organization = ra_api().call(http::verb::post, "/v1/subjects",
                                            json{{"kind", "organization"},
                                                 {"name", "Example Ltd"},
                                                 {"credit_code", kHuaweiUscc},
                                                 {"legal_representative_id", representative.id}}
                                                .dump());
    BOOST_REQUIRE_EQUAL(organization.status, 201u);
    // Agents act for a verified organization only.
    const auto organization_id = organization.body["id"].get<std::int64_t>();
    const std::string grant_body = json{
        {"person_id", agent_person.id},
        {"permissions", {"sign", "apply_seal"}},
        {"valid_until", format_utc(registry.clock.now() + std::chrono::hours(24 * 30))},
        {"authorization_reference",
         "LoA-2026-17"}}.dump();
    problem(ra_api().call(http::verb::post,
                          "/v1/organizations/" + std::to_string(organization_id) + "/agents",
                          grant_body),
            409, "failed-precondition");
    const auto verified = ra_api().call(
        http::verb::post, subject_path(organization_id, "/verification"),
        json{
            {"level", 2}, {"reason", "licence seen at branch 12"}, {"document_number", kHuaweiUscc}}
            .dump(),
        kOfficer);
    BOOST_REQUIRE_EQUAL(verified.status, 200u);
    const std::string agents = "/v1/organizations/" +
                               std::to_string(organization.body["id"].get<std::int64_t>()) +
                               "/agents";
    const auto granted = ra_api().call(http::verb::post, agents, grant_body);
    BOOST_REQUIRE_EQUAL(granted.status, 201u);
    BOOST_CHECK_EQUAL(granted.body["person_id"], agent_person.id);
    BOOST_CHECK_EQUAL(granted.body["granted_by"], "client:frontend");
    const auto listed = ra_api().call(http::verb::get, agents, "", kReader);
    BOOST_REQUIRE_EQUAL(listed.status, 200u);
    BOOST_CHECK_EQUAL(listed.body["agents"].size(), 1u);
    const auto revoked = ra_api().call(
        http::verb::post,
        agents + "/" + std::to_string(granted.body["id"].get<std::int64_t>()) + "/revoke");
    BOOST_REQUIRE_EQUAL(revoked.status, 200u);
    BOOST_CHECK(revoked.body["revoked_at"].is_string());
    BOOST_CHECK_EQUAL(ra_api().call(http::verb::get, agents, "", kReader).body["agents"].size(),
                      0u);
    BOOST_CHECK_EQUAL(ra_api()
                          .call(http::verb::get, agents + "?include_inactive=true", "", kReader)
                          .body["agents"]
                          .size(),
                      1u);
    problem(ra_api().call(http::verb::post, agents, R"({"person_id":1,"permissions":"sign"})"), 400,
            "invalid-argument");
}

BOOST_AUTO_TEST_CASE(an_sms_code_is_sent_verified_once_and_rate_limited) {
    const auto id = create_person("Sun Li", kSunLi);
    // A client that only sends and verifies codes cannot redirect them to another number.
    problem(ra_api().call(http::verb::put, subject_path(id, "/otp/sms"),
                          R"({"mobile":"+8613900139000"})", kSender),
            403, "permission-denied");
    const auto number = ra_api().call(http::verb::put, subject_path(id, "/otp/sms"),
                                      R"({"mobile":"+8613700137000"})");
    BOOST_REQUIRE_EQUAL(number.status, 200u);
    BOOST_CHECK_EQUAL(number.body["mobile"], "+8613700137000");

    const auto sent = ra_api().call(http::verb::post, subject_path(id, "/otp/challenges"),
                                    R"({"purpose":"login"})");
    BOOST_REQUIRE_EQUAL(sent.status, 201u);
    const std::string challenge = sent.body["challenge_id"];
    BOOST_CHECK(sent.body["expires_at"].is_string());
    const std::string code = last_sms_code(ra_api().working_gateway);
    codes_used().push_back(code);
    const auto answer = [&](const std::string& given) {
        return ra_api().call(
            http::verb::post, subject_path(id, "/otp/verify"),
            json{{"challenge_id", challenge}, {"purpose", "login"}, {"code", given}}.dump());
    };
    std::string wrong = code;
    wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
    const auto refused = problem(answer(wrong), 403, "otp-wrong-code");
    BOOST_CHECK_EQUAL(refused["attempts_left"], 2);  // the subject's 3, less one
    BOOST_CHECK(refused.dump().find(code) == std::string::npos);
    const auto accepted = answer(code);
    BOOST_REQUIRE_EQUAL(accepted.status, 200u);
    BOOST_CHECK_EQUAL(accepted.body, json::parse(R"({"verified":true})"));
    problem(answer(code), 409, "otp-already-used");

    const auto limited = ra_api().call(http::verb::post, subject_path(id, "/otp/challenges"),
                                       R"({"purpose":"login"})");
    const auto too_soon = problem(limited, 429, "otp-rate-limited");
    BOOST_REQUIRE(too_soon.contains("retry_after"));
    BOOST_CHECK_GE(too_soon["retry_after"].get<int>(), 1);
    BOOST_CHECK_EQUAL(std::string(limited.raw["Retry-After"]),
                      std::to_string(too_soon["retry_after"].get<int>()));
    problem(
        ra_api().call(
            http::verb::post, subject_path(id, "/otp/verify"),
            json{{"challenge_id", std::string(32, 'a')}, {"purpose", "login"}, {"code", "123456"}}
                .dump()),
        404, "otp-not-found");
}

BOOST_AUTO_TEST_CASE(wrong_codes_lock_and_an_officer_unlocks) {
    const auto id = create_person("Zhao Min", kZhaoMin);
    const auto sent = ra_api().call(http::verb::post, subject_path(id, "/otp/challenges"),
                                    R"({"purpose":"sign"})");
    BOOST_REQUIRE_EQUAL(sent.status, 201u);
    const std::string code = last_sms_code(ra_api().working_gateway);
    codes_used().push_back(code);
    std::string wrong = code;
    wrong[1] = wrong[1] == '9' ? '0' : static_cast<char>(wrong[1] + 1);
    const std::string body = json{
        {"challenge_id", sent.body["challenge_id"]},
        {"purpose", "sign"},
        {"code", wrong}}.dump();
    problem(ra_api().call(http::verb::post, subject_path(id, "/otp/verify"), body), 403,
            "otp-wrong-code");
    problem(ra_api().call(http::verb::post, subject_path(id, "/otp/verify"), body), 403,
            "otp-wrong-code");
    const auto locked = problem(
        ra_api().call(http::verb::post, subject_path(id, "/otp/verify"), body), 403, "otp-locked");
    BOOST_CHECK(locked["locked_until"].is_string());
    const auto unlocked =
        ra_api().call(http::verb::post, subject_path(id, "/otp/unlock"), "", kOfficer);
    BOOST_REQUIRE_EQUAL(unlocked.status, 200u);
    BOOST_CHECK_EQUAL(unlocked.body["unlocked"], true);
    BOOST_CHECK_EQUAL(ra_api()
                          .call(http::verb::post, subject_path(id, "/otp/unlock"), "", kOfficer)
                          .body["unlocked"],
                      false);
}

BOOST_AUTO_TEST_CASE(the_gateway_down_is_a_502_and_leaves_no_usable_code) {
    const auto id = create_person("Qian Yu", kQianYu);
    ra_api().sms.current = ra_api().failing_sms.get();
    const auto failed = ra_api().call(http::verb::post, subject_path(id, "/otp/challenges"),
                                      R"({"purpose":"login"})");
    ra_api().sms.current = ra_api().working_sms.get();
    const auto detail = problem(failed, 502, "sms-gateway-failed");
    BOOST_CHECK(detail["detail"].get<std::string>().find("HTTP 500") != std::string::npos);
    // The gateway received the message (and answered 500): its code is voided.
    const std::string code = last_sms_code(ra_api().failing_gateway);
    codes_used().push_back(code);
    BOOST_CHECK(failed.raw.body().find(code) == std::string::npos);
    BOOST_CHECK(failed.raw.body().find("+8613800138000") == std::string::npos);
    const auto challenge = ra_api().registry.count(
        "SELECT count(*) FROM otp_challenges WHERE subject_id = " + std::to_string(id) +
        " AND voided_at IS NULL");
    BOOST_CHECK_EQUAL(challenge, 0);

    // No gateway configured at all: 409, nothing sent.
    RunningServer bare(test_options(), ra_api().v1_router(nullptr),
                       ServerContext{ra_api().clients, {}, quiet_log(), {}, {}});
    problem(ra_api().call_port(bare.https_port(), http::verb::post,
                               subject_path(id, "/otp/challenges"), R"({"purpose":"login"})"),
            409, "failed-precondition");
}

BOOST_AUTO_TEST_CASE(totp_is_enrolled_without_caching_and_verified_once) {
    const auto id = create_person("Wu Hao", kWuHao);
    const auto enrolled =
        ra_api().call(http::verb::post, subject_path(id, "/otp/totp"), R"({"account":"wu"})");
    BOOST_REQUIRE_EQUAL(enrolled.status, 201u);
    BOOST_CHECK_EQUAL(std::string(enrolled.raw[http::field::cache_control]), "no-store");
    const std::string uri = enrolled.body["otpauth_uri"];
    BOOST_CHECK(uri.starts_with("otpauth://totp/"));
    const auto at = uri.find("secret=") + 7;
    const std::string seed = base32_decode(uri.substr(at, uri.find('&', at) - at));
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         ra_api().registry.clock.now().time_since_epoch())
                         .count();
    const std::string code = ra::totp_code(seed, now, std::chrono::seconds(30), 6);
    codes_used().push_back(code);
    const std::string body = json{{"method", "totp"}, {"code", code}}.dump();
    const auto verified = ra_api().call(http::verb::post, subject_path(id, "/otp/verify"), body);
    BOOST_REQUIRE_EQUAL(verified.status, 200u);
    problem(ra_api().call(http::verb::post, subject_path(id, "/otp/verify"), body), 409,
            "otp-already-used");

    // Enrolling again replaces the seed: a subjects:write client's act, asked for with PUT.
    problem(ra_api().call(http::verb::post, subject_path(id, "/otp/totp"), R"({"account":"wu"})"),
            409, "already-exists");
    problem(ra_api().call(http::verb::put, subject_path(id, "/otp/totp"), R"({"account":"wu"})",
                          kSender),
            403, "permission-denied");
    const auto replaced =
        ra_api().call(http::verb::put, subject_path(id, "/otp/totp"), R"({"account":"wu"})");
    BOOST_REQUIRE_EQUAL(replaced.status, 201u);
    BOOST_CHECK_NE(replaced.body["otpauth_uri"], uri);
}

// Last: everything above went through both logs. The fields that hold digit runs of their own
// (the time's microseconds, the latency, the request id) are left out, so that a code cannot
// match them by chance.
BOOST_AUTO_TEST_CASE(no_log_holds_a_document_number_or_a_code) {
    std::string logs;
    std::istringstream lines(ra_api().logs());
    for (std::string line; std::getline(lines, line);) {
        json entry = json::parse(line);
        for (const char* own : {"time", "latency_ms", "request_id", "remote"})
            entry.erase(own);
        logs += entry.dump() + "\n";
    }
    BOOST_CHECK(logs.find("\"route\":\"/v1/subjects/{id}/otp/verify\"") != std::string::npos);
    std::vector<std::string> secrets = numbers_used();
    for (const auto& number : {kRepresentative, kAgent, kSunLi, kZhaoMin, kQianYu, kWuHao})
        secrets.push_back(number);
    for (const auto& code : codes_used())
        secrets.push_back(code);
    BOOST_CHECK_GE(codes_used().size(), 4u);
    for (const auto& secret : secrets)
        BOOST_CHECK_MESSAGE(logs.find(secret) == std::string::npos, "the logs hold " << secret);
}

BOOST_AUTO_TEST_SUITE_END()
