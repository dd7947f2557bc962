#include "api/http.hpp"

#include <cctype>

namespace signet::api {

std::string_view Request::header(http::field name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string_view() : std::string_view(found->value());
}

std::string_view Request::header(std::string_view name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string_view() : std::string_view(found->value());
}

Response Response::text(std::string body, http::status status) {
    return Response{status, "text/plain; charset=utf-8", std::move(body), {}, std::nullopt};
}

Response Response::json(std::string body, http::status status) {
    return Response{status, "application/json", std::move(body), {}, std::nullopt};
}

Response Response::bytes(std::string body, std::string content_type, http::status status) {
    return Response{status, std::move(content_type), std::move(body), {}, std::nullopt};
}

Response Response::stream(std::string content_type, std::optional<std::uint64_t> length,
                          BodyProducer next, http::status status) {
    return Response{status, std::move(content_type), {}, {}, StreamedBody{length, std::move(next)}};
}

bool has_media_type(std::string_view content_type, std::string_view media_type) {
    std::string_view media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
        media.remove_suffix(1);
    while (!media.empty() && (media.front() == ' ' || media.front() == '\t'))
        media.remove_prefix(1);
    if (media.size() != media_type.size())
        return false;
    for (std::size_t i = 0; i < media.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(media[i])) != media_type[i])
            return false;
    }
    return true;
}

std::string peer_address(std::string_view remote) {
    if (remote.starts_with('[')) {
        const auto close = remote.find(']');
        return std::string(
            remote.substr(1, close == std::string_view::npos ? remote.size() - 1 : close - 1));
    }
    const auto colon = remote.rfind(':');
    return std::string(colon == std::string_view::npos ? remote : remote.substr(0, colon));
}

std::string actor_of(const Request& request) {
    return request.client != nullptr ? "client:" + request.client->name : "anonymous";
}

}  // namespace signet::api
