// The OpenAPI 3.1 document (api/openapi.json) against the routes that exist: the router signetd
// builds for /v1 (the real add_ca_routes, add_ra_routes and add_openapi_route over the services
// of tests/api/ra_api_fixture.hpp). Every documented operation is routed with its method, every
// /v1 route is documented, the scopes agree, an OpenAPI validator accepts the document, and the
// server serves it on both listeners.
#include <boost/test/unit_test.hpp>
#include <regex>
#include <set>

#include "api/openapi_route.hpp"
#include "tests/api/ra_api_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using nlohmann::json;

namespace {

const json& document() {
    static const json doc = json::parse(api::openapi_document());
    return doc;
}

const std::map<std::string, http::verb>& operation_methods() {
    static const std::map<std::string, http::verb> methods{
        {"get", http::verb::get},         {"put", http::verb::put},
        {"post", http::verb::post},       {"patch", http::verb::patch},
        {"delete", http::verb::delete_},  {"head", http::verb::head},
        {"options", http::verb::options}, {"trace", http::verb::trace}};
    return methods;
}

// "/v1/subjects/{id}/otp/verify" -> "/v1/subjects/1/otp/verify".
std::string filled(const std::string& path) {
    return std::regex_replace(path, std::regex("\\{[^}/]+\\}"), "1");
}

std::string method_name(http::verb method) {
    std::string name(http::to_string(method));
    std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
    return name;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(openapi)

BOOST_AUTO_TEST_CASE(the_document_is_openapi_3_1_and_the_embedded_file) {
    BOOST_CHECK(document()["openapi"].get<std::string>().starts_with("3.1."));
    BOOST_CHECK(document()["components"]["securitySchemes"].contains("mutualTLS"));
    BOOST_CHECK(document()["components"]["securitySchemes"].contains("bearer"));
    BOOST_CHECK_EQUAL(read_file(source_file("api/openapi.json")), api::openapi_document());
    // An independent validator of OpenAPI 3.1 (openapi-spec-validator, in the machine image's
    // Python; Debian 12 has no package of it).
    const auto validated = run_command(
        {"python3", "-m", "openapi_spec_validator", source_file("api/openapi.json").string()});
    BOOST_CHECK_MESSAGE(validated.exit_code == 0, validated.output);
}

BOOST_AUTO_TEST_CASE(every_documented_operation_is_routed_with_its_scope) {
    const Router router = RaApi::instance().v1_router(&RaApi::instance().sms);
    std::size_t operations = 0;
    for (const auto& [path, item] : document()["paths"].items()) {
        for (const auto& [name, operation] : item.items()) {
            const auto method = operation_methods().find(name);
            if (method == operation_methods().end())
                continue;  // "parameters"
            ++operations;
            BOOST_TEST_CONTEXT(name << " " << path) {
                const auto match = router.match(method->second, filled(path), ListenerKind::https);
                BOOST_REQUIRE(match.outcome == Router::Outcome::found);
                BOOST_CHECK(match.route->method == method->second);
                const std::string scope = operation.value("x-signet-scope", "");
                BOOST_CHECK_EQUAL(scope, match.route->scope);
                const json expected = scope.empty()
                                          ? json::parse("[{}]")
                                          : json{{{"mutualTLS", {scope}}}, {{"bearer", {scope}}}};
                BOOST_CHECK_EQUAL(operation["security"], expected);
                for (const auto& [status, response] : operation["responses"].items()) {
                    if (status.starts_with("4") || status.starts_with("5"))
                        BOOST_CHECK_MESSAGE(response.contains("$ref"), status << " is no problem");
                }
            }
        }
    }
    // One operation per /v1 route (a prefix route stands for one templated path here).
    const auto v1_routes = std::ranges::count_if(
        router.routes(), [](const Route& route) { return route.path.starts_with("/v1"); });
    BOOST_CHECK_EQUAL(operations, static_cast<std::size_t>(v1_routes));
    BOOST_CHECK_GE(operations, 21u);
}

BOOST_AUTO_TEST_CASE(every_v1_route_is_documented) {
    const Router router = RaApi::instance().v1_router(&RaApi::instance().sms);
    const json& paths = document()["paths"];
    std::size_t checked = 0;
    for (const Route& route : router.routes()) {
        if (!route.path.starts_with("/v1"))
            continue;
        ++checked;
        const std::string method = method_name(route.method);
        BOOST_TEST_CONTEXT(method << " " << route.path) {
            if (route.match == PathMatch::prefix) {
                bool documented = false;
                for (const auto& [path, item] : paths.items())
                    documented |= path.starts_with(route.path) && item.contains(method);
                BOOST_CHECK(documented);
            } else {
                // Exact and segment patterns are the OpenAPI paths themselves.
                BOOST_CHECK(paths.contains(route.path) && paths[route.path].contains(method));
            }
        }
    }
    BOOST_CHECK_GE(checked, 21u);
}

BOOST_AUTO_TEST_CASE(it_is_served_on_both_listeners) {
    auto& api = RaApi::instance();
    const auto over_tls = api.call(http::verb::get, "/v1/openapi.json", "", "");
    BOOST_REQUIRE_EQUAL(over_tls.status, 200u);
    BOOST_CHECK_EQUAL(over_tls.raw.body(), api::openapi_document());
    BOOST_CHECK_EQUAL(std::string(over_tls.raw[http::field::content_type]), "application/json");
    const auto plain = api.plain_get("/v1/openapi.json");
    BOOST_REQUIRE_EQUAL(plain.status, 200u);
    BOOST_CHECK_EQUAL(plain.raw.body(), api::openapi_document());
}

BOOST_AUTO_TEST_SUITE_END()
