#include "api/audit_routes.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "api/query.hpp"
#include "audit/checkpoint_json.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::api {

namespace {

using nlohmann::json;

constexpr std::string_view kCheckpoints = "/v1/audit/checkpoints/";
// Sizes and sequence numbers are PostgreSQL bigints.
constexpr std::int64_t kMaxSize = INT64_MAX;

Response json_response(const json& body) {
    return Response::json(body.dump() + "\n");
}

json hashes_json(const std::vector<audit::Hash>& hashes) {
    json out = json::array();
    for (const auto& hash : hashes)
        out.push_back(to_base64(hash));
    return out;
}

// The named parameters, each required once; any other is refused by name.
std::map<std::string, std::int64_t> required_integers(std::string_view query,
                                                      std::initializer_list<const char*> names,
                                                      std::int64_t min) {
    std::map<std::string, std::int64_t> values;
    for (const auto& [key, value] : query_parameters(query)) {
        if (std::find_if(names.begin(), names.end(), [&](const char* n) { return key == n; }) ==
            names.end())
            throw Error(Errc::invalid_argument, "unknown query parameter " + quote_input(key));
        values[key] = query_integer(value, key, min, kMaxSize);
    }
    for (const char* name : names)
        if (!values.contains(name))
            throw Error(Errc::invalid_argument, "query parameter '" + std::string(name) +
                                                    "' is required");
    return values;
}

}  // namespace

void add_audit_routes(Router& router, audit::CheckpointReader& checkpoints,
                      audit::AuditReader& events) {
    Route checkpoint;
    checkpoint.path = std::string(kCheckpoints);
    checkpoint.match = PathMatch::prefix;
    checkpoint.scope = "audit";
    checkpoint.handler = [&checkpoints](const Request& request) {
        if (!request.query.empty())
            throw Error(Errc::invalid_argument, "this route takes no query parameter");
        const std::string_view which = request.path.substr(kCheckpoints.size());
        if (which == "latest") {
            const auto latest = checkpoints.latest();
            if (!latest)
                throw Error(Errc::not_found, "no checkpoint has been made yet");
            return json_response(audit::checkpoint_json(*latest));
        }
        const auto size = static_cast<std::uint64_t>(query_integer(which, "size", 0, kMaxSize));
        return json_response(audit::checkpoint_json(checkpoints.at_size(size)));
    };
    router.add(std::move(checkpoint));

    Route inclusion;
    inclusion.path = "/v1/audit/proof/inclusion";
    inclusion.scope = "audit";
    inclusion.handler = [&checkpoints, &events](const Request& request) {
        const auto values = required_integers(request.query, {"seq", "size"}, 1);
        const std::int64_t seq = values.at("seq");
        const auto size = static_cast<std::uint64_t>(values.at("size"));
        const auto path = checkpoints.inclusion(seq, size);  // refuses a seq beyond the log
        const auto event = events.read(seq, seq);
        if (event.size() != 1)
            throw Error(Errc::not_found, "no event " + std::to_string(seq));
        return json_response({{"seq", seq},
                              {"size", size},
                              {"leaf_hash", to_base64(event[0].leaf_hash)},
                              {"path", hashes_json(path)}});
    };
    router.add(std::move(inclusion));

    Route consistency;
    consistency.path = "/v1/audit/proof/consistency";
    consistency.scope = "audit";
    consistency.handler = [&checkpoints](const Request& request) {
        const auto values = required_integers(request.query, {"first", "second"}, 1);
        const auto first = static_cast<std::uint64_t>(values.at("first"));
        const auto second = static_cast<std::uint64_t>(values.at("second"));
        return json_response({{"first", first},
                              {"second", second},
                              {"path", hashes_json(checkpoints.consistency(first, second))}});
    };
    router.add(std::move(consistency));
}

}  // namespace signet::api
