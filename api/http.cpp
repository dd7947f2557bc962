#include "api/http.hpp"

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
    return Response{status, "text/plain; charset=utf-8", std::move(body), {}};
}

Response Response::json(std::string body, http::status status) {
    return Response{status, "application/json", std::move(body), {}};
}

Response Response::bytes(std::string body, std::string content_type, http::status status) {
    return Response{status, std::move(content_type), std::move(body), {}};
}

}  // namespace signet::api
