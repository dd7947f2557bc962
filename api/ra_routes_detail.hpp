#pragma once

// Shared by the registration authority's route files (subject_routes.cpp, otp_routes.cpp,
// agent_routes.cpp): the route builder, the ids in a path, and the JSON of what they answer.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "api/http.hpp"
#include "api/ra_routes.hpp"
#include "store/subjects.hpp"

namespace signet::api::detail {

// A route on HTTPS with `scope` and a body limit: PathMatch::segments when `path` holds a
// "{name}" segment, exact otherwise. The handler's ra::OtpError and ra::EvidenceError become
// their own problem types (see add_ra_routes).
Route ra_route(http::verb method, std::string path, std::string scope, std::size_t max_body_bytes,
               Handler handler);

// The request's `index`-th "{name}" value (0 first) as an id, named `name` when refused.
std::int64_t path_id(const Request& request, std::size_t index, std::string_view name);

// A subject as the API shows it: never its document_hmac.
nlohmann::json subject_json(const store::Subject& subject);
nlohmann::json changed_json(const ra::Registry::Changed& changed);
nlohmann::json agent_json(const ra::Agent& agent);

Response json_response(const nlohmann::json& body, http::status status = http::status::ok);

void add_subject_routes(Router& router, RaServices services);
void add_otp_routes(Router& router, RaServices services);
void add_agent_routes(Router& router, RaServices services);

}  // namespace signet::api::detail
