#include "api/signing_link_routes.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.hpp"

namespace signet::api {

namespace {

using nlohmann::json;

[[noreturn]] void no_such_link() {
    throw Error(Errc::not_found, "no such signing link (unknown, used or expired)");
}

}  // namespace

void add_signing_link_routes(Router& router, SigningLinkServices services) {
    Route route;
    route.method = http::verb::get;
    route.path = "/v1/signing/{token}";
    route.match = PathMatch::segments;
    route.max_body_bytes = 0;
    route.handler = [services](const Request& request) {
        std::vector<std::string_view> values;
        if (!match_segments(request.route, request.path, &values) || values.size() != 1)
            throw Error(Errc::internal, "the route's pattern does not give the token");
        const auto target = services.links.resolve(values[0]);
        if (!target)
            no_such_link();
        // An operator's view (no client): the token, not an API client, grants it.
        const sign::Contract contract =
            services.contracts.find(target->contract_id, sign::ContractCaller{"signing-link", {}});
        const store::ContractRevisionRecord* current = nullptr;
        for (const auto& revision : contract.revisions)
            if (revision.number == contract.record.current_revision)
                current = &revision;
        const store::ContractSignerRecord* signer = nullptr;
        for (const auto& s : contract.signers)
            if (s.position == target->position)
                signer = &s;
        if (current == nullptr || signer == nullptr)
            no_such_link();
        const json body = {
            {"contract",
             {{"id", contract.record.id},
              {"title", contract.record.title},
              {"state", contract.record.state},
              {"current_revision", contract.record.current_revision},
              {"revision_sha256", to_hex(current->sha256)},
              {"expires_at", format_utc(contract.record.expires_at)}}},
            {"signer",
             {{"position", signer->position},
              {"kind", signer->kind},
              {"due", contract.due_position() == signer->position}}},
            {"link_expires_at", format_utc(target->expires_at)},
        };
        Response response = Response::json(body.dump() + "\n");
        // The token is in the URL: no cache keeps the answer (RFC 9111 §5.2.2.5).
        response.headers.emplace_back("Cache-Control", "no-store");
        return response;
    };
    router.add(std::move(route));
}

}  // namespace signet::api
