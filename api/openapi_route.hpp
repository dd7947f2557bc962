#pragma once

#include <string_view>

#include "api/router.hpp"

namespace signet::api {

// The OpenAPI 3.1 document of every /v1 route (api/openapi.json, embedded into the binary at
// build time by api/embed_text.cmake). tests/api/openapi_test.cpp holds it to the routes that
// exist: every documented operation is routed, every /v1 route documented, scopes alike.
std::string_view openapi_document() noexcept;

// GET /v1/openapi.json: the document, anonymous, on both listeners (it holds no secret, and a
// client reads it before it has credentials).
void add_openapi_route(Router& router);

}  // namespace signet::api
