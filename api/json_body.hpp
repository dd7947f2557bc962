#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/http.hpp"

namespace signet::api {

// The one reader of JSON request bodies (every /v1 route): strict where RFC 8259 leaves room,
// and with typed getters that name the field in each refusal. Every refusal is
// Errc::invalid_argument (400 problem+json):
//   - the body is JSON text holding one object, nested at most kMaxJsonDepth deep;
//   - no member name appears twice in an object: RFC 8259 §4 says names SHOULD be unique and
//     leaves what a parser does otherwise open; when a proxy and this server each took a
//     different one, the request checked would not be the request served;
//   - an integer field takes JSON integer syntax only (RFC 8259 §6 int: no fraction, no
//     exponent, so 3.9, 3.0 and 3e0 are refused, not rounded) and only within the field's range
//     (2^63 is refused, never wrapped); a number beyond a double's range (1e400) is refused
//     naming the member it was given for.
// A member given as null counts as absent.
inline constexpr std::size_t kMaxJsonDepth = 32;

class JsonBody {
  public:
    // Parses `text` as above.
    static JsonBody parse(std::string_view text);
    // The request's body, which must be application/json.
    static JsonBody from_request(const Request& request);

    // Refuses a member not in `allowed`: "unknown member 'colour'".
    void only(std::initializer_list<std::string_view> allowed) const;

    // A string member: "'profile' must be a string".
    std::optional<std::string> optional_string(std::string_view field) const;
    std::string string(std::string_view field) const;  // required: "'profile' is required"

    // An integer member in [min, max]: "'subject_id' must be an integer from 1 to
    // 9223372036854775807 (JSON integer syntax: no fraction or exponent)".
    std::optional<std::int64_t> optional_integer(std::string_view field, std::int64_t min,
                                                 std::int64_t max) const;
    std::int64_t integer(std::string_view field, std::int64_t min, std::int64_t max) const;

  private:
    explicit JsonBody(nlohmann::json object) : object_(std::move(object)) {}
    const nlohmann::json* find(std::string_view field) const;

    nlohmann::json object_;
};

}  // namespace signet::api
