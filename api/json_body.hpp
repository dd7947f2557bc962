#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
// A member given as null counts as absent. A nested object is read through object(), whose
// refusals name the member by its path ("'document.number' is required").
inline constexpr std::size_t kMaxJsonDepth = 32;

// Whether a syntax error's message may quote the input near it. Bodies that carry personal data
// or secrets (an identity document number, a one-time code) are read with `never`: a truncated
// string would otherwise be echoed into the problem document and the client's logs.
enum class InputEcho : bool { excerpt, never };

class JsonBody {
  public:
    // Parses `text` as above.
    static JsonBody parse(std::string_view text, InputEcho echo = InputEcho::excerpt);
    // The request's body, which must be application/json.
    static JsonBody from_request(const Request& request, InputEcho echo = InputEcho::excerpt);

    // Refuses a member not in `allowed`: "unknown member 'colour'" ('document.colour' inside
    // the object 'document').
    void only(std::initializer_list<std::string_view> allowed) const;

    // Whether the member is present (and not null).
    bool has(std::string_view field) const { return find(field) != nullptr; }
    // The member's path as refusals name it: "number" inside 'document' is "document.number".
    std::string path(std::string_view field) const;

    // A member as parsed, of any type; nullptr when absent or null. For decoders whose refusals
    // are worded by another specification (api/csc_requests.cpp: the CSC API's error strings).
    const nlohmann::json* raw(std::string_view field) const { return find(field); }

    // A nested object: "'document' must be an object".
    std::optional<JsonBody> optional_object(std::string_view field) const;
    JsonBody object(std::string_view field) const;  // required

    // An array of 1..max_items objects, each read as a nested object named "field[i]":
    // "'signers' must be an array of 1 to 50 objects", "'signers[1].kind' is required".
    std::vector<JsonBody> object_array(std::string_view field, std::size_t max_items) const;
    // An object member kept as JSON (free-form data such as a contract's metadata).
    std::optional<nlohmann::json> optional_raw_object(std::string_view field) const;
    // true or false: "'include_inactive' must be true or false".
    std::optional<bool> optional_boolean(std::string_view field) const;

    // An array of 1..max_items strings: "'permissions' must be an array of 1 to 8 strings".
    std::optional<std::vector<std::string>> optional_string_array(std::string_view field,
                                                                  std::size_t max_items) const;

    // A string member: "'profile' must be a string".
    std::optional<std::string> optional_string(std::string_view field) const;
    std::string string(std::string_view field) const;  // required: "'profile' is required"

    // An integer member in [min, max]: "'subject_id' must be an integer from 1 to
    // 9223372036854775807 (JSON integer syntax: no fraction or exponent)".
    std::optional<std::int64_t> optional_integer(std::string_view field, std::int64_t min,
                                                 std::int64_t max) const;
    std::int64_t integer(std::string_view field, std::int64_t min, std::int64_t max) const;

  private:
    JsonBody(nlohmann::json object, std::string prefix)
        : object_(std::move(object)), prefix_(std::move(prefix)) {}
    const nlohmann::json* find(std::string_view field) const;
    [[noreturn]] void refuse(std::string_view field, std::string_view rule) const;

    nlohmann::json object_;
    std::string prefix_;  // "" at the top, "document." inside 'document'
};

}  // namespace signet::api
