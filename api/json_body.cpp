#include "api/json_body.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::api {

namespace {

using nlohmann::json;

// nlohmann's SAX events, building the document as its own DOM parser does, with the checks its
// DOM parser does not make: duplicate names, depth, and the name of the member a failing number
// was given for. The first problem stops the parse and is kept in `problem`.
class StrictSax {
  public:
    StrictSax(json& root, InputEcho echo) : root_(root), echo_(echo) {}

    bool null() { return value(nullptr); }
    bool boolean(bool v) { return value(v); }
    bool number_integer(json::number_integer_t v) { return value(v); }
    bool number_unsigned(json::number_unsigned_t v) { return value(v); }
    bool number_float(json::number_float_t v, const std::string&) { return value(v); }
    bool string(std::string& v) { return value(std::move(v)); }
    bool binary(json::binary_t&) { return refuse("the body holds binary data"); }

    bool start_object(std::size_t) { return open(json::object()); }
    bool start_array(std::size_t) { return open(json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(std::string& name) {
        Level& level = levels_.back();
        const bool fresh = level.names.insert(name).second;
        level.key = std::move(name);
        if (!fresh)
            return refuse("duplicate member " + quote_input(current_path()) +
                          " (RFC 8259 §4: names within an object must be unique)");
        return true;
    }

    bool parse_error(std::size_t position, const std::string& last_token,
                     const json::exception& error) {
        // 406: a number nlohmann cannot hold (1e400). Named by the member it was given for.
        if (error.id == 406)
            return refuse(
                (levels_.empty() ? std::string("the number") : quote_input(current_path())) +
                " is out of range" + near(": ", last_token));
        std::string what = error.what();
        // "... syntax error while parsing value - invalid literal; last read: '...'": the
        // reason, without nlohmann's echo of the input (quoted short below instead).
        const auto dash = what.find(" - ");
        const auto last = what.find("; last read");
        std::string reason =
            dash != std::string::npos ? what.substr(dash + 3, last - dash - 3) : "syntax error";
        return refuse("the body is not JSON: " + reason + " at byte " + std::to_string(position) +
                      near(" near ", last_token));
    }

    std::optional<std::string> problem;

  private:
    struct Level {
        json* container;
        std::set<std::string, std::less<>> names;  // objects: the names seen
        std::string key;                           // objects: the pending name
        std::size_t index = 0;                     // arrays: the next element's index
    };

    // The path of the value being read: "a.b[2].c".
    std::string current_path() const {
        std::string path;
        for (std::size_t i = 0; i < levels_.size(); ++i) {
            const Level& level = levels_[i];
            if (level.container->is_object())
                path += (path.empty() ? "" : ".") + level.key;
            else  // the innermost array's next element, or an outer array's current one
                path += "[" + std::to_string(level.index - (i + 1 < levels_.size() ? 1 : 0)) + "]";
        }
        return path;
    }

    // The input around a syntax error, unless the body's values must never be echoed.
    std::string near(std::string_view lead, const std::string& last_token) const {
        if (last_token.empty() || echo_ == InputEcho::never)
            return "";
        return std::string(lead) + quote_input(last_token, 24);
    }

    bool refuse(std::string why) {
        if (!problem)
            problem = std::move(why);
        return false;
    }

    // Where the next value goes: the root, the pending member, or the array's end.
    json* place(json&& v) {
        if (levels_.empty()) {
            root_ = std::move(v);
            return &root_;
        }
        Level& level = levels_.back();
        if (level.container->is_object())
            return &((*level.container)[level.key] = std::move(v));
        ++level.index;
        level.container->push_back(std::move(v));
        return &level.container->back();
    }

    bool value(json&& v) {
        place(std::move(v));
        return true;
    }

    bool open(json&& container) {
        if (levels_.size() >= kMaxJsonDepth)
            return refuse("the body nests deeper than " + std::to_string(kMaxJsonDepth) +
                          " levels");
        levels_.push_back({place(std::move(container)), {}, {}, 0});
        return true;
    }

    bool close() {
        levels_.pop_back();
        return true;
    }

    json& root_;
    InputEcho echo_;
    std::vector<Level> levels_;
};

std::string integer_rule(std::int64_t min, std::int64_t max) {
    return "must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
           " (JSON integer syntax: no fraction or exponent)";
}

}  // namespace

JsonBody JsonBody::parse(std::string_view text, InputEcho echo) {
    json root;
    StrictSax sax(root, echo);
    const bool ok = json::sax_parse(text, &sax, json::input_format_t::json, true);
    if (!ok || sax.problem)
        throw Error(Errc::invalid_argument, sax.problem.value_or("the body is not JSON"));
    if (!root.is_object())
        throw Error(Errc::invalid_argument, "the body must be a JSON object");
    return JsonBody(std::move(root), "");
}

JsonBody JsonBody::from_request(const Request& request, InputEcho echo) {
    // RFC 9110 §8.3.1: the media type is case-insensitive; parameters (charset) may follow.
    std::string type(request.header(http::field::content_type).substr(0, 64));
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ')
        type.pop_back();
    std::ranges::transform(type, type.begin(), [](unsigned char c) { return std::tolower(c); });
    if (type != "application/json")
        throw Error(Errc::invalid_argument, "the body must be application/json");
    return parse(request.body, echo);
}

void JsonBody::only(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [name, value] : object_.items()) {
        if (std::ranges::find(allowed, name) == allowed.end())
            throw Error(Errc::invalid_argument, "unknown member " + quote_input(prefix_ + name));
    }
}

std::string JsonBody::path(std::string_view field) const {
    return prefix_ + std::string(field);
}

void JsonBody::refuse(std::string_view field, std::string_view rule) const {
    throw Error(Errc::invalid_argument, "'" + path(field) + "' " + std::string(rule));
}

const nlohmann::json* JsonBody::find(std::string_view field) const {
    const auto it = object_.find(field);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::string> JsonBody::optional_string(std::string_view field) const {
    const json* value = find(field);
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_string())
        refuse(field, "must be a string");
    return value->get<std::string>();
}

std::string JsonBody::string(std::string_view field) const {
    auto value = optional_string(field);
    if (!value)
        refuse(field, "is required");
    return std::move(*value);
}

std::optional<JsonBody> JsonBody::optional_object(std::string_view field) const {
    const json* value = find(field);
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_object())
        refuse(field, "must be an object");
    return JsonBody(*value, path(field) + ".");
}

JsonBody JsonBody::object(std::string_view field) const {
    auto value = optional_object(field);
    if (!value)
        refuse(field, "is required");
    return std::move(*value);
}

std::vector<JsonBody> JsonBody::object_array(std::string_view field,
                                             std::size_t max_items) const {
    const json* value = find(field);
    if (value == nullptr)
        refuse(field, "is required");
    const bool fits = value->is_array() && !value->empty() && value->size() <= max_items &&
                      std::ranges::all_of(*value, [](const json& v) { return v.is_object(); });
    if (!fits)
        refuse(field, "must be an array of 1 to " + std::to_string(max_items) + " objects");
    std::vector<JsonBody> out;
    for (std::size_t i = 0; i < value->size(); ++i)
        out.push_back(JsonBody((*value)[i], path(field) + "[" + std::to_string(i) + "]."));
    return out;
}

std::optional<nlohmann::json> JsonBody::optional_raw_object(std::string_view field) const {
    const json* value = find(field);
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_object())
        refuse(field, "must be an object");
    return *value;
}

std::optional<bool> JsonBody::optional_boolean(std::string_view field) const {
    const json* value = find(field);
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_boolean())
        refuse(field, "must be true or false");
    return value->get<bool>();
}

std::optional<std::vector<std::string>> JsonBody::optional_string_array(
    std::string_view field, std::size_t max_items) const {
    const json* value = find(field);
    if (value == nullptr)
        return std::nullopt;
    const bool fits = value->is_array() && !value->empty() && value->size() <= max_items &&
                      std::ranges::all_of(*value, [](const json& v) { return v.is_string(); });
    if (!fits)
        refuse(field, "must be an array of 1 to " + std::to_string(max_items) + " strings");
    return value->get<std::vector<std::string>>();
}

std::optional<std::int64_t> JsonBody::optional_integer(std::string_view field, std::int64_t min,
                                                       std::int64_t max) const {
    const json* value = find(field);
    if (value == nullptr)
        return std::nullopt;
    // nlohmann keeps integer syntax as an integer (signed when negative, unsigned otherwise,
    // while it fits 64 bits) and anything else as a float: a float here is a fraction, an
    // exponent or an integer past 64 bits, each refused.
    if (value->is_number_unsigned()) {
        const auto v = value->get<std::uint64_t>();
        if (max >= 0 && v <= static_cast<std::uint64_t>(max) && static_cast<std::int64_t>(v) >= min)
            return static_cast<std::int64_t>(v);
    } else if (value->is_number_integer()) {
        const auto v = value->get<std::int64_t>();
        if (v >= min && v <= max)
            return v;
    }
    refuse(field, integer_rule(min, max));
}

std::int64_t JsonBody::integer(std::string_view field, std::int64_t min, std::int64_t max) const {
    const auto value = optional_integer(field, min, max);
    if (!value)
        refuse(field, "is required");
    return *value;
}

}  // namespace signet::api
