#include "api/signing_routes.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "api/contract_requests.hpp"
#include "api/json_body.hpp"
#include "api/ra_routes.hpp"
#include "common/bytes.hpp"
#include "common/error.hpp"

namespace signet::api {

namespace {

using nlohmann::json;

constexpr std::size_t kBodyBytes = 8 * 1024;
// A page is at most 14,400 units on a side (ISO 32000-1 annex C.2: 200 inches at 72 per inch).
constexpr std::int64_t kMaxPoint = 14'400;

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

Bytes sha256_member(const JsonBody& body) {
    const std::string hex = body.string("revision_sha256");
    const bool ok = hex.size() == 64 && std::ranges::all_of(hex, [](char c) {
                        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                    });
    if (!ok)
        throw Error(Errc::invalid_argument, "'revision_sha256' is 64 lowercase hex digits");
    return from_hex(hex);
}

sign::SigningRequest decode_signing(const JsonBody& body) {
    body.only({"revision_sha256", "challenge_id", "code", "appearance"});
    sign::SigningRequest request;
    request.authorization.revision_sha256 = sha256_member(body);
    request.authorization.challenge_id = body.optional_string("challenge_id");
    request.authorization.code = body.string("code");
    if (const auto a = body.optional_object("appearance")) {
        a->only({"page", "left", "bottom", "right", "top"});
        sign::SignatureAppearance appearance;
        appearance.page = static_cast<int>(a->integer("page", 1, 100'000));
        appearance.left = static_cast<double>(a->integer("left", 0, kMaxPoint));
        appearance.bottom = static_cast<double>(a->integer("bottom", 0, kMaxPoint));
        appearance.right = static_cast<double>(a->integer("right", 0, kMaxPoint));
        appearance.top = static_cast<double>(a->integer("top", 0, kMaxPoint));
        if (appearance.right <= appearance.left || appearance.top <= appearance.bottom)
            throw Error(Errc::invalid_argument,
                        "'appearance' needs right > left and top > bottom");
        request.appearance = appearance;
    }
    return request;
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
            const JsonBody body = JsonBody::from_request(request);
            body.only({"channel"});
            const auto challenge =
                signing.challenge(path.contract, path.position, body.string("channel"),
                                  caller_of(request));
            return Response::json(challenge_json(challenge).dump() + "\n",
                                  http::status::created);
        }));
    router.add(signing_route(
        "/v1/contracts/{id}/signers/{n}/sign", [&signing](const Request& request) {
            const SignerPath path = signer_path(request);
            // The code is a secret: a refusal never echoes the body.
            const JsonBody body = JsonBody::from_request(request, InputEcho::never);
            const sign::Contract contract = signing.sign(
                path.contract, path.position, decode_signing(body), caller_of(request));
            return Response::json(contract_json(contract).dump() + "\n");
        }));
}

}  // namespace signet::api
