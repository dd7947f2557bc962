// The organizations' agents routes of the registration authority (api/ra_routes.hpp).
#include <nlohmann/json.hpp>

#include "api/query.hpp"
#include "api/ra_requests.hpp"
#include "api/ra_routes_detail.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::api::detail {

namespace {

using nlohmann::json;

constexpr std::size_t kSmallBodyBytes = 8 * 1024;

// ?include_inactive=true|false (revoked and expired grants too).
bool include_inactive(std::string_view query) {
    bool include = false;
    for (const auto& [key, value] : query_parameters(query)) {
        if (key != "include_inactive")
            throw Error(Errc::invalid_argument, "unknown query parameter " + quote_input(key));
        if (value != "true" && value != "false")
            throw Error(Errc::invalid_argument, "'include_inactive' must be true or false");
        include = value == "true";
    }
    return include;
}

}  // namespace

void add_agent_routes(Router& router, RaServices services) {
    ra::Registry& registry = services.registry;

    router.add(ra_route(http::verb::get, "/v1/organizations/{id}/agents", "subjects:read", 0,
                        [&registry](const Request& request) {
                            const auto id = path_id(request, 0, "id");
                            json items = json::array();
                            for (const auto& agent :
                                 registry.agents(id, include_inactive(request.query)))
                                items.push_back(agent_json(agent));
                            return json_response(json{{"agents", std::move(items)}});
                        }));

    router.add(ra_route(http::verb::post, "/v1/organizations/{id}/agents", "subjects:write",
                        kSmallBodyBytes, [&registry](const Request& request) {
                            const auto id = path_id(request, 0, "id");
                            const auto grant = decode_agent_grant(JsonBody::from_request(request));
                            return json_response(
                                agent_json(registry.grant_agent(id, grant, actor_of(request))),
                                http::status::created);
                        }));

    router.add(ra_route(http::verb::post, "/v1/organizations/{id}/agents/{agent_id}/revoke",
                        "subjects:write", kSmallBodyBytes, [&registry](const Request& request) {
                            const auto id = path_id(request, 0, "id");
                            const auto agent_id = path_id(request, 1, "agent_id");
                            return json_response(
                                agent_json(registry.revoke_agent(id, agent_id, actor_of(request))));
                        }));
}

}  // namespace signet::api::detail
