#include "api/openapi_route.hpp"

namespace signet::api {

void add_openapi_route(Router& router) {
    Route route;
    route.path = "/v1/openapi.json";
    route.listeners = ListenerSet::both();
    // The document is a constant in memory: nothing to wait for.
    route.runs_on_io_thread = true;
    route.handler = [](const Request&) {
        Response response = Response::json(std::string(openapi_document()));
        response.headers.emplace_back("Cache-Control", "public, max-age=3600");
        return response;
    };
    router.add(std::move(route));
}

}  // namespace signet::api
