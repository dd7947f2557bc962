#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.hpp"

namespace signet::api {

// Routes: method + path (exact, or prefix) -> handler. Built before the server starts; read-only
// (and so lock-free) while it runs.
//
// Matching: the exact pattern first, then the segment patterns (those with more literal
// segments first, then in the order added), then the longest prefix, among the patterns served
// on the request's listener. A pattern that exists only on the other listener answers 404 (the
// route does not exist here; the detail says where it is served), a known path with another method
// 405 with Allow. HEAD is served by the GET handler (without the body) unless a HEAD route is
// registered.
class Router {
  public:
    // Errc::invalid_argument: a path not starting with '/', no handler, no listener, a scope
    // on a route served on plain HTTP, or a segment pattern without a whole "{name}" segment.
    // Errc::already_exists: the same method, path and match already registered on one of the same
    // listeners.
    Router& add(Route route);

    enum class Outcome : std::uint8_t {
        found,
        method_not_allowed,    // the path exists here, the method does not
        not_on_this_listener,  // the path exists only on the other listener
        not_found,
    };
    struct Match {
        Outcome outcome = Outcome::not_found;
        const Route* route = nullptr;  // when found
        std::size_t route_index = 0;   // when found: the route's position in routes()
        bool head_from_get = false;    // a HEAD served by the GET route: drop the body
        std::string_view allow;        // when method_not_allowed: "GET, HEAD, POST"
    };
    Match match(http::verb method, std::string_view path, ListenerKind listener) const;

    const std::vector<Route>& routes() const noexcept { return routes_; }

  private:
    struct PathEntry {
        std::string pattern;
        PathMatch kind;
        std::vector<std::size_t> routes;   // indexes into routes_
        std::array<std::string, 2> allow;  // per listener (http, https)
        std::size_t literal_segments = 0;  // segment patterns: how specific
    };
    void refresh_allow(PathEntry& entry) const;

    std::vector<Route> routes_;
    std::vector<PathEntry> entries_;
    std::map<std::string, std::size_t, std::less<>> exact_;  // pattern -> entries_ index
    std::vector<std::size_t> segment_patterns_;  // entries_ indexes, most literal segments first
    std::vector<std::size_t> prefixes_;          // entries_ indexes, longest first
};

// Whether `path` fits a PathMatch::segments pattern; when it does and `values` is given, the
// values of its "{name}" segments, in order (views into `path`, not percent-decoded).
bool match_segments(std::string_view pattern, std::string_view path,
                    std::vector<std::string_view>* values = nullptr);

}  // namespace signet::api
