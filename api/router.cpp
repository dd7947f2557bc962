#include "api/router.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace signet::api {

namespace {

std::size_t listener_slot(ListenerKind kind) {
    return kind == ListenerKind::http ? 0 : 1;
}

// The next '/'-separated segment of `rest` (which starts after a '/'), removed from it.
std::string_view next_segment(std::string_view& rest) {
    const auto slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    return segment;
}

bool is_variable(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// The literal segments of a segment pattern, or nullopt when it has no whole "{name}" segment
// or a brace elsewhere.
std::optional<std::size_t> literal_segments(std::string_view pattern) {
    std::string_view rest = pattern.substr(1);
    std::size_t literals = 0;
    bool variable = false;
    while (!rest.empty()) {
        const std::string_view segment = next_segment(rest);
        if (is_variable(segment))
            variable = true;
        else if (segment.find_first_of("{}") != std::string_view::npos)
            return std::nullopt;
        else
            ++literals;
    }
    if (!variable)
        return std::nullopt;
    return literals;
}

}  // namespace

bool match_segments(std::string_view pattern, std::string_view path,
                    std::vector<std::string_view>* values) {
    if (path.empty() || path.front() != '/' || pattern.empty() || pattern.front() != '/')
        return false;
    // As many segments (so "/v1/subjects/42/" is not "/v1/subjects/{id}").
    if (std::ranges::count(pattern, '/') != std::ranges::count(path, '/'))
        return false;
    if (values != nullptr)
        values->clear();
    std::string_view want = pattern.substr(1);
    std::string_view have = path.substr(1);
    while (true) {
        if (want.empty() || have.empty())
            return want.empty() && have.empty();
        const std::string_view expected = next_segment(want);
        const std::string_view segment = next_segment(have);
        if (is_variable(expected)) {
            if (segment.empty())
                return false;
            if (values != nullptr)
                values->push_back(segment);
        } else if (expected != segment) {
            return false;
        }
    }
}

std::string_view to_string(ListenerKind kind) noexcept {
    return kind == ListenerKind::http ? "http" : "https";
}

Router& Router::add(Route route) {
    const std::string where = std::string(http::to_string(route.method)) + " " + route.path;
    if (route.path.empty() || route.path.front() != '/') {
        throw Error(Errc::invalid_argument, "route " + where + ": the path must start with '/'");
    }
    if (!route.handler) {
        throw Error(Errc::invalid_argument, "route " + where + ": no handler");
    }
    if (route.listeners.empty()) {
        throw Error(Errc::invalid_argument, "route " + where + ": served on no listener");
    }
    if (!route.scope.empty() && route.listeners.contains(ListenerKind::http)) {
        throw Error(Errc::invalid_argument,
                    "route " + where + ": a route with a scope is served on HTTPS only");
    }
    std::size_t literals = 0;
    if (route.match == PathMatch::segments) {
        const auto counted = literal_segments(route.path);
        if (!counted)
            throw Error(Errc::invalid_argument,
                        "route " + where + ": a segment pattern needs a whole {name} segment");
        literals = *counted;
    }

    std::size_t entry_index = entries_.size();
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i].pattern == route.path && entries_[i].kind == route.match) {
            entry_index = i;
            break;
        }
    }
    if (entry_index < entries_.size()) {
        for (const std::size_t other : entries_[entry_index].routes) {
            const Route& existing = routes_[other];
            const bool shares_listener = (existing.listeners.contains(ListenerKind::http) &&
                                          route.listeners.contains(ListenerKind::http)) ||
                                         (existing.listeners.contains(ListenerKind::https) &&
                                          route.listeners.contains(ListenerKind::https));
            if (existing.method == route.method && shares_listener) {
                throw Error(Errc::already_exists, "route " + where + " is already registered");
            }
        }
    } else {
        entries_.push_back(PathEntry{route.path, route.match, {}, {}, literals});
        if (route.match == PathMatch::exact) {
            exact_.emplace(route.path, entry_index);
        } else if (route.match == PathMatch::segments) {
            segment_patterns_.push_back(entry_index);
            std::stable_sort(segment_patterns_.begin(), segment_patterns_.end(),
                             [&](std::size_t a, std::size_t b) {
                                 return entries_[a].literal_segments > entries_[b].literal_segments;
                             });
        } else {
            prefixes_.push_back(entry_index);
            std::stable_sort(prefixes_.begin(), prefixes_.end(), [&](std::size_t a, std::size_t b) {
                return entries_[a].pattern.size() > entries_[b].pattern.size();
            });
        }
    }
    routes_.push_back(std::move(route));
    entries_[entry_index].routes.push_back(routes_.size() - 1);
    refresh_allow(entries_[entry_index]);
    return *this;
}

void Router::refresh_allow(PathEntry& entry) const {
    for (const ListenerKind kind : {ListenerKind::http, ListenerKind::https}) {
        std::vector<std::string_view> methods;
        for (const std::size_t index : entry.routes) {
            if (routes_[index].listeners.contains(kind)) {
                methods.push_back(http::to_string(routes_[index].method));
            }
        }
        const bool has_get = std::find(methods.begin(), methods.end(), "GET") != methods.end();
        const bool has_head = std::find(methods.begin(), methods.end(), "HEAD") != methods.end();
        if (has_get && !has_head)
            methods.push_back("HEAD");
        std::sort(methods.begin(), methods.end());
        std::string allow;
        for (const std::string_view method : methods) {
            if (!allow.empty())
                allow += ", ";
            allow += method;
        }
        entry.allow[listener_slot(kind)] = std::move(allow);
    }
}

Router::Match Router::match(http::verb method, std::string_view path, ListenerKind listener) const {
    Match result;
    bool exists_elsewhere = false;
    const auto try_entry = [&](const PathEntry& entry) {
        bool on_this_listener = false;
        const Route* get_route = nullptr;
        std::size_t get_index = 0;
        for (const std::size_t index : entry.routes) {
            const Route& route = routes_[index];
            if (!route.listeners.contains(listener))
                continue;
            on_this_listener = true;
            if (route.method == method) {
                result = Match{Outcome::found, &route, index, false, {}};
                return true;
            }
            if (route.method == http::verb::get) {
                get_route = &route;
                get_index = index;
            }
        }
        if (!on_this_listener) {
            exists_elsewhere = true;
            return false;
        }
        if (method == http::verb::head && get_route != nullptr) {
            result = Match{Outcome::found, get_route, get_index, true, {}};
        } else {
            result = Match{Outcome::method_not_allowed, nullptr, 0, false,
                           entry.allow[listener_slot(listener)]};
        }
        return true;
    };

    if (const auto exact = exact_.find(path); exact != exact_.end()) {
        if (try_entry(entries_[exact->second]))
            return result;
    }
    for (const std::size_t index : segment_patterns_) {
        if (match_segments(entries_[index].pattern, path) && try_entry(entries_[index]))
            return result;
    }
    for (const std::size_t index : prefixes_) {
        if (path.starts_with(entries_[index].pattern) && try_entry(entries_[index])) {
            return result;
        }
    }
    result.outcome = exists_elsewhere ? Outcome::not_on_this_listener : Outcome::not_found;
    return result;
}

}  // namespace signet::api
