// The strict JSON body reader and the CA's request decoders on it, in process (the same cases
// over real HTTP are in tests/integration/ca_test.cpp).
#include "api/json_body.hpp"

#include <boost/test/unit_test.hpp>

#include "api/ca_requests.hpp"
#include "api/problem.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::api;
using signet::testing::expect_error;

namespace {

void refused(const std::string& body, const std::string& needle) {
    expect_error([&] { decode_issue_request(JsonBody::parse(body)); }, Errc::invalid_argument,
                 needle);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_body)

BOOST_AUTO_TEST_CASE(integers_are_integer_syntax_within_range) {
    const auto ok = decode_issue_request(
        JsonBody::parse(R"({"subject_id": 9223372036854775807, "profile": "p"})"));
    BOOST_CHECK_EQUAL(ok.subject_id, INT64_MAX);
    BOOST_CHECK_EQUAL(
        decode_issue_request(JsonBody::parse(R"({"subject_id":3,"profile":"p"})")).subject_id, 3);
    const std::string rule = "'subject_id' must be an integer from 1 to 9223372036854775807";
    for (const char* number : {"3.9", "3.0", "3e0", "3E+0", "-3", "0", "9223372036854775808",
                               "18446744073709551616", "1e19", "\"3\"", "true", "[3]"})
        refused(std::string(R"({"profile":"p","subject_id":)") + number + "}", rule);
    refused(R"({"profile":"p","subject_id":1e400})", "'subject_id' is out of range");
    refused(R"({"profile":"p","subject_id":-1e400})", "'subject_id' is out of range");
    refused(R"({"profile":"p","x":{"y":[1,2e999]}})", "'x.y[1]' is out of range");
}

BOOST_AUTO_TEST_CASE(duplicate_names_are_refused_at_any_depth) {
    refused(R"({"subject_id":1,"profile":"a","profile":"b"})", "duplicate member 'profile'");
    refused(R"({"subject_id":1,"subject_id":1,"profile":"a"})", "duplicate member 'subject_id'");
    refused(R"({"a":[{"k":1,"k":2}],"subject_id":1,"profile":"a"})", "duplicate member 'a[0].k'");
    // The same name in different objects is no duplicate (refused later as unknown, not before).
    refused(R"({"a":{"k":1},"b":{"k":2},"subject_id":1,"profile":"p"})", "unknown member 'a'");
}

BOOST_AUTO_TEST_CASE(the_body_is_one_bounded_json_object) {
    refused("", "not JSON");
    refused("[1]", "must be a JSON object");
    refused("\"x\"", "must be a JSON object");
    refused(R"({"subject_id":1,"profile":"p"} {})", "not JSON");
    refused(R"({"subject_id":1,"profile":"p")", "not JSON");
    refused(std::string(33, '[') + std::string(33, ']'), "nests deeper than 32");
    refused(
        R"({"subject_id":1,"profile":"p","k":)" + std::string(40, '[') + std::string(40, ']') + "}",
        "nests deeper than 32");
    refused("{\"profile\":\"\xFF\"}", "not JSON");  // not UTF-8
    // The echo of the input in nlohmann's message is cut short.
    expect_error([&] { JsonBody::parse("{\"a\":\"" + std::string(5000, 'e') + "\x01\"}"); },
                 Errc::invalid_argument, "...(");
}

BOOST_AUTO_TEST_CASE(members_are_typed_and_named) {
    refused(R"({"subject_id":1})", "'profile' is required");
    refused(R"({"profile":"p"})", "'subject_id' is required");
    refused(R"({"subject_id":1,"profile":7})", "'profile' must be a string");
    refused(R"({"subject_id":1,"profile":"p","csr":1})", "'csr' must be a string");
    refused(R"({"subject_id":1,"profile":"p","colour":"blue"})", "unknown member 'colour'");
    const std::string long_name(16384, 'n');
    refused(R"({"subject_id":1,"profile":"p",")" + long_name + R"(":1})", "...(16384 bytes)");
    // null is absent.
    const auto r = decode_issue_request(
        JsonBody::parse(R"({"subject_id":1,"profile":"p","csr":null,"key_type":"ec-p384"})"));
    BOOST_CHECK(!r.csr);
    BOOST_REQUIRE(r.key_type);
    BOOST_CHECK(*r.key_type == KeyType::ec_p384);
}

BOOST_AUTO_TEST_CASE(revoke_bodies) {
    const auto r = decode_revoke_request(
        JsonBody::parse(R"({"reason":"keyCompromise","invalidity_date":"2026-01-02T03:04:05Z"})"));
    BOOST_CHECK(r.reason == ca::RevocationReason::key_compromise);
    BOOST_CHECK(r.invalidity_date.has_value());
    expect_error([] { decode_revoke_request(JsonBody::parse(R"({"reason":"a","reason":"b"})")); },
                 Errc::invalid_argument, "duplicate member 'reason'");
    expect_error([] { decode_revoke_request(JsonBody::parse(R"({"reason":3})")); },
                 Errc::invalid_argument, "'reason' must be a string");
    // Found by fuzz/json_body_fuzz.cpp: year 1013 overflowed the nanosecond clock (UBSan).
    expect_error(
        [] {
            decode_revoke_request(JsonBody::parse(R"({"invalidity_date":"1013-01-02T03:04:05Z"})"));
        },
        Errc::invalid_argument, "is not an RFC 3339 UTC time");
}

// The safety net under quote_input: whatever a service's message holds, a problem's detail is
// at most kMaxProblemDetailBytes, cut at a character boundary.
BOOST_AUTO_TEST_CASE(problem_details_are_capped_at_a_character_boundary) {
    std::string message;
    while (message.size() < 16384)
        message += "王";  // three bytes each: a cut in the middle would not be UTF-8
    const auto body = nlohmann::json::parse(
        problem_json(problems::invalid_argument, message, "00000000-0000-0000-0000-000000000000"));
    const std::string detail = body["detail"];
    BOOST_CHECK_LE(detail.size(), kMaxProblemDetailBytes);
    BOOST_CHECK(detail.ends_with("...(cut)"));
    BOOST_CHECK(detail.starts_with("王王王"));
    BOOST_CHECK_EQUAL(
        problem_json(problems::invalid_argument, "short", "id").find("\"detail\":\"short\""),
        problem_json(problems::invalid_argument, "short", "id").find("\"detail\""));
}

BOOST_AUTO_TEST_SUITE_END()
