// Segment-pattern routes (PathMatch::segments, "/v1/subjects/{id}/evidence") and the problem
// documents' extension members (RFC 9457 §3.2), in process.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "api/problem.hpp"
#include "api/router.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::api;
using signet::testing::expect_error;

namespace {

Route route(http::verb method, std::string path, PathMatch match, std::string scope = "") {
    Route r;
    r.method = method;
    r.path = std::move(path);
    r.match = match;
    r.scope = std::move(scope);
    r.handler = [](const Request&) { return Response::text("x"); };
    return r;
}

const Route* found(const Router& router, http::verb method, std::string_view path) {
    const auto match = router.match(method, path, ListenerKind::https);
    return match.outcome == Router::Outcome::found ? match.route : nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(route_patterns)

BOOST_AUTO_TEST_CASE(a_segment_takes_one_non_empty_segment) {
    std::vector<std::string_view> values;
    BOOST_CHECK(match_segments("/v1/subjects/{id}", "/v1/subjects/42", &values));
    BOOST_REQUIRE_EQUAL(values.size(), 1u);
    BOOST_CHECK_EQUAL(values[0], "42");
    BOOST_CHECK(match_segments("/v1/organizations/{id}/agents/{agent_id}/revoke",
                               "/v1/organizations/7/agents/9/revoke", &values));
    BOOST_REQUIRE_EQUAL(values.size(), 2u);
    BOOST_CHECK_EQUAL(values[0], "7");
    BOOST_CHECK_EQUAL(values[1], "9");
    for (const char* path : {"/v1/subjects", "/v1/subjects/", "/v1/subjects/42/",
                             "/v1/subjects/42/evidence", "/v1/subjects//", "/v2/subjects/42"})
        BOOST_CHECK_MESSAGE(!match_segments("/v1/subjects/{id}", path), path);
    BOOST_CHECK(!match_segments("/v1/subjects/{id}/evidence", "/v1/subjects//evidence"));
}

BOOST_AUTO_TEST_CASE(exact_then_segments_then_prefix_each_with_its_scope) {
    Router router;
    router.add(route(http::verb::post, "/v1/subjects/search", PathMatch::exact, "read"));
    router.add(route(http::verb::get, "/v1/subjects/{id}", PathMatch::segments, "read"));
    router.add(route(http::verb::patch, "/v1/subjects/{id}", PathMatch::segments, "write"));
    router.add(route(http::verb::post, "/v1/subjects/{id}/evidence", PathMatch::segments, "write"));
    router.add(
        route(http::verb::post, "/v1/subjects/{id}/verification", PathMatch::segments, "officer"));
    router.add(route(http::verb::get, "/v1/subjects/{id}/{what}", PathMatch::segments, "any"));
    router.add(route(http::verb::get, "/v1/", PathMatch::prefix, "prefix"));

    BOOST_CHECK_EQUAL(found(router, http::verb::post, "/v1/subjects/search")->scope, "read");
    BOOST_CHECK_EQUAL(found(router, http::verb::get, "/v1/subjects/3")->scope, "read");
    BOOST_CHECK_EQUAL(found(router, http::verb::patch, "/v1/subjects/3")->scope, "write");
    BOOST_CHECK_EQUAL(found(router, http::verb::post, "/v1/subjects/3/evidence")->scope, "write");
    BOOST_CHECK_EQUAL(found(router, http::verb::post, "/v1/subjects/3/verification")->scope,
                      "officer");
    // More literal segments first: /evidence before /{what}; a GET there is the {what} route's.
    BOOST_CHECK_EQUAL(found(router, http::verb::get, "/v1/subjects/3/other")->scope, "any");
    // The prefix only when no pattern fits.
    BOOST_CHECK_EQUAL(found(router, http::verb::get, "/v1/subjects/3/a/b")->scope, "prefix");

    const auto wrong = router.match(http::verb::delete_, "/v1/subjects/3", ListenerKind::https);
    BOOST_CHECK(wrong.outcome == Router::Outcome::method_not_allowed);
    BOOST_CHECK_EQUAL(wrong.allow, "GET, HEAD, PATCH");
    const auto head = router.match(http::verb::head, "/v1/subjects/3", ListenerKind::https);
    BOOST_CHECK(head.outcome == Router::Outcome::found && head.head_from_get);
}

BOOST_AUTO_TEST_CASE(a_segment_pattern_needs_a_whole_variable_segment) {
    Router router;
    for (const char* bad : {"/v1/subjects", "/v1/subjects/x{id}", "/v1/{id", "/v1/{}"})
        expect_error([&] { router.add(route(http::verb::get, bad, PathMatch::segments)); },
                     Errc::invalid_argument, "needs a whole {name} segment");
    router.add(route(http::verb::get, "/v1/subjects/{id}", PathMatch::segments));
    expect_error(
        [&] { router.add(route(http::verb::get, "/v1/subjects/{id}", PathMatch::segments)); },
        Errc::already_exists, "already registered");
}

BOOST_AUTO_TEST_CASE(an_invalid_argument_names_its_member_in_invalid_params) {
    const auto param = invalid_param_of("'document.number': not 18 characters (GB 11643)");
    BOOST_REQUIRE(param);
    BOOST_CHECK_EQUAL(param->name, "document.number");
    BOOST_CHECK_EQUAL(param->reason, "not 18 characters (GB 11643)");
    BOOST_CHECK_EQUAL(invalid_param_of("'name' is required")->reason, "is required");
    BOOST_CHECK_EQUAL(invalid_param_of("unknown member 'document.colour'")->name,
                      "document.colour");
    BOOST_CHECK_EQUAL(invalid_param_of("unknown member 'document.colour'")->reason,
                      "unknown member");
    BOOST_CHECK_EQUAL(invalid_param_of("duplicate member 'a[0].k' (RFC 8259 §4)")->name, "a[0].k");
    for (const char* none : {"the body is not JSON", "'name'", "'a b' is wrong", "'x",
                             "'bad\\'name' is wrong", "query parameter 'a' given twice"})
        BOOST_CHECK_MESSAGE(!invalid_param_of(none), none);

    const Response response =
        problem_response(Error(Errc::invalid_argument, "'mobile': not E.164"), "rid");
    BOOST_CHECK_EQUAL(static_cast<unsigned>(response.status), 400u);
    const auto body = nlohmann::json::parse(response.body);
    BOOST_CHECK_EQUAL(body["detail"], "'mobile': not E.164");
    BOOST_REQUIRE(body.contains("invalid_params"));
    BOOST_CHECK_EQUAL(body["invalid_params"],
                      nlohmann::json::parse(R"([{"name":"mobile","reason":"not E.164"}])"));
    // Only for invalid_argument, and only when a member is named.
    BOOST_CHECK(
        !nlohmann::json::parse(problem_response(Error(Errc::not_found, "'x' is gone"), "rid").body)
             .contains("invalid_params"));
    BOOST_CHECK(
        !nlohmann::json::parse(problem_response(Error(Errc::invalid_argument, "bad"), "rid").body)
             .contains("invalid_params"));
}

BOOST_AUTO_TEST_CASE(extension_members_follow_the_standard_ones) {
    const auto body = nlohmann::json::parse(problem_json(
        problems::otp_wrong_code, "wrong code", "rid", nlohmann::json{{"attempts_left", 2}}));
    BOOST_CHECK_EQUAL(body["type"], "https://signet.example/problems/otp-wrong-code");
    BOOST_CHECK_EQUAL(body["status"], 403);
    BOOST_CHECK_EQUAL(body["attempts_left"], 2);
    BOOST_CHECK_EQUAL(body["request_id"], "rid");
    BOOST_CHECK_EQUAL(problem_json(problems::otp_voided, "d", "rid", nlohmann::json::object()),
                      problem_json(problems::otp_voided, "d", "rid"));
}

BOOST_AUTO_TEST_SUITE_END()
