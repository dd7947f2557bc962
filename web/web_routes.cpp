#include "web/web_routes.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/problem.hpp"
#include "web/assets.hpp"
#include "web/conditional.hpp"
#include "web/language.hpp"
#include "web/rate_limiter.hpp"

namespace signet::web {

namespace {

constexpr std::string_view kAssetPrefix = "/assets/";
constexpr std::string_view kLanguageMark = "{{lang}}";

// Assets keep their names across releases, so a browser asks again each time it uses one
// (RFC 9111 §5.2.2.4 no-cache) and mostly gets a 304 for its ETag: a new release is seen at
// once, and an unchanged asset costs a header.
constexpr std::string_view kAssetCaching = "no-cache";

api::Response not_modified(std::string_view etag) {
    api::Response response;
    response.status = api::http::status::not_modified;
    response.headers.emplace_back("ETag", std::string(etag));
    response.headers.emplace_back("Cache-Control", std::string(kAssetCaching));
    return response;
}

api::Response serve_asset(const api::Request& request) {
    const std::string_view name = request.path.substr(kAssetPrefix.size());
    const Asset* asset = find_asset(name);
    // The pages are served at their routes, with their language filled in, never as files.
    if (asset == nullptr || asset->path.ends_with(".html"))
        return api::problem_response(api::problems::not_found, "no such asset", request.request_id);
    if (none_match_matches(request.header(api::http::field::if_none_match), asset->etag))
        return not_modified(asset->etag);
    api::Response response =
        api::Response::bytes(std::string(asset->body), std::string(asset->content_type));
    response.headers.emplace_back("ETag", std::string(asset->etag));
    response.headers.emplace_back("Cache-Control", std::string(kAssetCaching));
    return response;
}

}  // namespace

// The page's HTML with its <html lang> set to the language Accept-Language prefers; the
// scripts then show that language unless the visitor chose another (remembered by the page).
api::Response serve_page(const api::Request& request, std::string_view asset_name) {
    const Asset* asset = find_asset(asset_name);
    if (asset == nullptr)
        throw Error(Errc::internal, "the page " + std::string(asset_name) + " is not embedded");
    const std::string_view language =
        preferred_language(request.header(api::http::field::accept_language));
    // One representation per language: the tag says which (RFC 9110 §8.8.3).
    std::string etag(asset->etag);
    etag.insert(etag.size() - 1, "-" + std::string(language));
    if (none_match_matches(request.header(api::http::field::if_none_match), etag)) {
        api::Response response = not_modified(etag);
        response.headers.emplace_back("Vary", "Accept-Language");
        return response;
    }
    std::string html(asset->body);
    if (const std::size_t at = html.find(kLanguageMark); at != std::string::npos)
        html.replace(at, kLanguageMark.size(), language);
    api::Response response =
        api::Response::bytes(std::move(html), std::string(asset->content_type));
    response.headers.emplace_back("ETag", etag);
    response.headers.emplace_back("Cache-Control", std::string(kAssetCaching));
    response.headers.emplace_back("Vary", "Accept-Language");
    response.headers.emplace_back("Content-Language", std::string(language));
    return response;
}

api::Handler with_security_headers(api::Handler handler) {
    return [handler = std::move(handler)](const api::Request& request) {
        api::Response response;
        try {
            response = handler(request);
        } catch (const Error& e) {
            response = api::problem_response(e, request.request_id);
        }
        add_security_headers(response);
        return response;
    };
}

namespace {

api::Route get_route(std::string path, api::PathMatch match, api::Handler handler) {
    api::Route route;
    route.method = api::http::verb::get;
    route.path = std::move(path);
    route.match = match;
    // Serving embedded bytes never waits.
    route.runs_on_io_thread = true;
    route.handler = with_security_headers(std::move(handler));
    return route;
}

}  // namespace

void add_security_headers(api::Response& response) {
    response.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
    response.headers.emplace_back("X-Frame-Options", "DENY");
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
}

void add_web_routes(api::Router& router, WebServices services) {
    router.add(get_route("/verify", api::PathMatch::exact, [](const api::Request& request) {
        return serve_page(request, "verify.html");
    }));
    router.add(get_route(std::string(kAssetPrefix), api::PathMatch::prefix, serve_asset));
    // The signer's page: one page for every link; its script reads the token from the address
    // and asks GET /v1/signing/{token}. The address holds the token, so no cache keeps the page
    // under it (RFC 9111 §5.2.2.5), and Referrer-Policy keeps it from leaving with a request.
    router.add(
        get_route("/sign/{token}", api::PathMatch::segments, [](const api::Request& request) {
            api::Response response = serve_page(request, "sign.html");
            std::erase_if(response.headers, [](const auto& header) {
                return header.first == "Cache-Control" || header.first == "ETag";
            });
            response.headers.emplace_back("Cache-Control", "no-store");
            return response;
        }));

    auto limiter = std::make_shared<AddressRateLimiter>(services.verify_requests_per_minute,
                                                        services.verify.clock);
    api::Route report;
    report.method = api::http::verb::post;
    report.path = "/verify/report";
    report.match = api::PathMatch::exact;
    report.max_body_bytes = services.verify.max_document_bytes + kFormOverhead;
    report.handler = with_security_headers(
        [verify = std::move(services.verify), limiter](const api::Request& request) {
            if (const auto wait = limiter->acquire(api::peer_address(request.remote))) {
                const std::string seconds = std::to_string(wait->count());
                api::Response response = api::problem_response(
                    api::problems::rate_limited,
                    "too many verifications from this address; try again in " + seconds + " s",
                    request.request_id, nlohmann::json{{"retry_after", wait->count()}});
                response.headers.emplace_back("Retry-After", seconds);
                return response;
            }
            return api::verify_request(verify, request);
        });
    router.add(std::move(report));
}

}  // namespace signet::web
