#include "api/signing_routes.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "api/contract_requests.hpp"
#include "api/json_body.hpp"
#include "api/ra_routes.hpp"
#include "api/same_origin.hpp"
#include "api/signing_link_routes.hpp"
#include "api/signing_requests.hpp"
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

// The signer a link names: 404 when the token is unknown, 410 (closed_link) when it was used
// or expired — then `closed` holds that answer.
struct LinkTarget {
    std::string token;
    sign::SigningLinkTarget target;
    std::optional<Response> closed;
};

LinkTarget link_of(sign::SigningLinks& links, const Request& request) {
    std::vector<std::string_view> values;
    if (!match_segments(request.route, request.path, &values) || values.size() != 1)
        throw Error(Errc::internal, "the route's pattern does not give the token");
    sign::SigningLinkStatus status = links.inspect(values[0]);
    if (!status.target)
        throw Error(Errc::not_found, "no such signing link");
    LinkTarget link{std::string(values[0]), *status.target, std::nullopt};
    if (status.state != sign::SigningLinkState::open)
        link.closed = closed_link(status, request.request_id);
    return link;
}

// The token, not an API client, grants the contract: no client filter; the audit log names the
// link by its position only (the token is a secret).
sign::ContractCaller link_caller(const LinkTarget& link) {
    return {"signing-link:" + link.target.contract_id + "/" + std::to_string(link.target.position),
            std::nullopt};
}

// The token is the capability and a browser page (/sign/{token}) posts here: cross-site
// requests are refused before anything else (api/same_origin.hpp says why and by which rule).
Route link_route(std::string path, Handler handler) {
    Route route =
        signing_route(std::move(path), [handler = std::move(handler)](const Request& request) {
            refuse_cross_site(request);
            return handler(request);
        });
    route.scope.clear();
    return route;
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
                signing.challenge(path.contract, path.position, channel, contract_caller(request));
            return Response::json(challenge_json(challenge).dump() + "\n",
                                  http::status::created);
        }));
    router.add(signing_route(
        "/v1/contracts/{id}/signers/{n}/sign", [&signing](const Request& request) {
            const SignerPath path = signer_path(request);
            // The code is a secret: a refusal never echoes the body.
            const JsonBody body = JsonBody::from_request(request, InputEcho::never);
            const sign::Contract contract = signing.sign(
                path.contract, path.position, decode_signing_request(body), contract_caller(request));
            return Response::json(contract_json(contract).dump() + "\n");
        }));
    if (services.links == nullptr)
        return;
    sign::SigningLinks& links = *services.links;
    router.add(
        link_route("/v1/signing/{token}/challenge", [&signing, &links](const Request& request) {
            LinkTarget link = link_of(links, request);
            if (link.closed)
                return std::move(*link.closed);
            const std::string channel = decode_signing_channel(JsonBody::from_request(request));
            const auto challenge = signing.challenge(link.target.contract_id, link.target.position,
                                                     channel, link_caller(link));
            Response response =
                Response::json(challenge_json(challenge).dump() + "\n", http::status::created);
            response.headers.emplace_back("Cache-Control", "no-store");
            return response;
        }));
    router.add(link_route("/v1/signing/{token}/sign", [&signing, &links](const Request& request) {
        LinkTarget link = link_of(links, request);
        if (link.closed)
            return std::move(*link.closed);
        const JsonBody body = JsonBody::from_request(request, InputEcho::never);
        const sign::Contract contract = signing.sign(
            link.target.contract_id, link.target.position, decode_signing_request(body),
            link_caller(link), [&](store::Connection& tx) {
                // Single use: consumed with the signature, so a second request with the same
                // link (or a concurrent one) finds it used and signs nothing.
                if (!links.consume(tx, link.token))
                    throw Error(Errc::not_found, "no such signing link (unknown, used or expired)");
            });
        Response response = Response::json(contract_json(contract).dump() + "\n");
        response.headers.emplace_back("Cache-Control", "no-store");
        return response;
    }));
}

}  // namespace signet::api
