#include "api/signing_routes.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "api/contract_requests.hpp"
#include "api/signing_requests.hpp"
#include "api/json_body.hpp"
#include "api/ra_routes.hpp"
#include "common/bytes.hpp"
#include "common/error.hpp"

namespace signet::api {

namespace {

using nlohmann::json;

constexpr std::size_t kBodyBytes = 8 * 1024;
struct SignerPath {
    std::string contract;
    int position = 0;
};

SignerPath signer_path(const Request& request) {
    std::vector<std::string_view> values;
    if (!match_segments(request.route, request.path, &values) || values.size() != 2)
        throw Error(Errc::internal, "the route's pattern does not give the contract and signer");
    const std::string_view n = values[1];
    int position = 0;
    const bool digits = !n.empty() && n.size() <= 2 &&
                        std::ranges::all_of(n, [](char c) { return c >= '0' && c <= '9'; });
    if (digits)
        position = std::stoi(std::string(n));
    if (position < 1 || position > 50)
        throw Error(Errc::not_found, "no signer " + std::string(n.substr(0, 8)) +
                                         " (signers are numbered 1 to 50 in signing order)");
    return {contract_id(values[0]), position};
}

sign::ContractCaller caller_of(const Request& request) {
    if (request.client == nullptr)
        throw Error(Errc::internal, "a signing route without an authenticated client");
    return {actor_of(request), request.client->name};
}

Route signing_route(std::string path, Handler handler) {
    Route route;
    route.method = http::verb::post;
    route.match = PathMatch::segments;
    route.path = std::move(path);
    route.scope = "contracts";
    route.max_body_bytes = kBodyBytes;
    route.handler = [handler = std::move(handler)](const Request& request) -> Response {
        try {
            return handler(request);
        } catch (const ra::OtpError& e) {
            return otp_problem(e, request.request_id);
        }
    };
    return route;
}

json challenge_json(const sign::SigningChallenge& c) {
    json out{{"channel", c.channel},
             {"revision", c.revision},
             {"revision_sha256", to_hex(c.revision_sha256)},
             {"fingerprint", c.fingerprint}};
    if (c.challenge_id)
        out["challenge_id"] = *c.challenge_id;
    if (c.expires_at)
        out["expires_at"] = format_utc(*c.expires_at);
    return out;
}

}  // namespace

void add_signing_routes(Router& router, SigningServices services) {
    sign::ContractSigning& signing = services.signing;
    router.add(signing_route(
        "/v1/contracts/{id}/signers/{n}/challenge", [&signing](const Request& request) {
            const SignerPath path = signer_path(request);
            const std::string channel =
                decode_signing_channel(JsonBody::from_request(request));
            const auto challenge =
                signing.challenge(path.contract, path.position, channel, caller_of(request));
            return Response::json(challenge_json(challenge).dump() + "\n",
                                  http::status::created);
        }));
    router.add(signing_route(
        "/v1/contracts/{id}/signers/{n}/sign", [&signing](const Request& request) {
            const SignerPath path = signer_path(request);
            // The code is a secret: a refusal never echoes the body.
            const JsonBody body = JsonBody::from_request(request, InputEcho::never);
            const sign::Contract contract = signing.sign(
                path.contract, path.position, decode_signing_request(body), caller_of(request));
            return Response::json(contract_json(contract).dump() + "\n");
        }));
}

}  // namespace signet::api
