// libFuzzer target: what the operator console reads from a request before it trusts a session
// cookie (web/console_sessions.hpp cookie_value, web/csrf.hpp cross_site_refusal and
// csrf_refusal). The input is a method byte, then the Cookie, Origin, Host, Sec-Fetch-Site and
// X-CSRF-Token fields separated by newlines. Never a throw or a crash; a cookie's value is a
// piece of the field it came from; and a state-changing request whose token is not the
// session's, or that a browser says came from elsewhere, is always refused.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "web/console_sessions.hpp"
#include "web/csrf.hpp"

namespace {

constexpr std::string_view kSessionToken = "c3Jm-dG9rZW4tb2YtdGhlLXNlc3Npb24";

std::array<std::string_view, 5> split_fields(std::string_view text) {
    std::array<std::string_view, 5> fields{};
    for (auto& field : fields) {
        const std::size_t end = text.find('\n');
        field = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    }
    return fields;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace http = signet::api::http;
    if (size == 0)
        return 0;
    constexpr std::array methods{http::verb::get, http::verb::head, http::verb::post,
                                 http::verb::put, http::verb::delete_, http::verb::options};
    const http::verb method = methods[data[0] % methods.size()];
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto [cookie, origin, host, fetch_site, token] = split_fields(text);

    const auto value = signet::web::cookie_value(cookie, signet::web::kSessionCookie);
    if (value && !value->empty() &&
        (value->data() < cookie.data() || value->data() + value->size() > cookie.data() + cookie.size()))
        std::abort();

    http::fields headers;
    // An empty line stands for a field the request does not carry.
    if (!origin.empty())
        headers.set(http::field::origin, origin);
    if (!host.empty())
        headers.set(http::field::host, host);
    if (!fetch_site.empty())
        headers.set("Sec-Fetch-Site", fetch_site);
    if (!token.empty())
        headers.set(signet::web::kCsrfHeader, token);

    // The rule is judged on the values the fields hold, as a parsed request would carry them:
    // Beast drops a value's leading and trailing blanks (RFC 9110 §5.5, OWS is not part of it).
    const auto held = [&headers](std::string_view name) {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string_view() : std::string_view(it->value());
    };
    const std::string_view held_origin = held("Origin");
    const std::string_view held_site = held("Sec-Fetch-Site");
    static_cast<void>(signet::web::cross_site_refusal(method, headers));
    const std::string refusal = signet::web::csrf_refusal(method, headers, kSessionToken);
    if (signet::web::is_unsafe(method) && refusal.empty() &&
        (held(signet::web::kCsrfHeader) != kSessionToken ||
         (!held_site.empty() && held_site != "same-origin") ||
         (!held_origin.empty() && held_origin != "https://" + std::string(held("Host")))))
        std::abort();
    return 0;
}
