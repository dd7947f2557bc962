#include "web/csrf.hpp"

#include <openssl/crypto.h>

#include "common/text.hpp"

namespace signet::web {

namespace {

std::string_view field(const api::http::fields& headers, std::string_view name) {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string_view() : std::string_view(it->value());
}

}  // namespace

bool is_unsafe(api::http::verb method) noexcept {
    using api::http::verb;
    return method != verb::get && method != verb::head && method != verb::options &&
           method != verb::trace;
}

std::string cross_site_refusal(api::http::verb method, const api::http::fields& headers) {
    const bool unsafe = is_unsafe(method);
    const std::string_view site = field(headers, "Sec-Fetch-Site");
    if (!site.empty() && site != "same-origin" && (unsafe || site != "none"))
        return "Sec-Fetch-Site is " + quote_input(site) +
               ": the console's session serves its own pages only";
    if (!unsafe)
        return {};
    const std::string_view origin = field(headers, "Origin");
    if (origin.empty()) {
        if (site.empty())
            return "neither Origin nor Sec-Fetch-Site says where this request comes from";
        return {};
    }
    const std::string_view host = field(headers, "Host");
    // RFC 6454 §6.1: the serialization of a tuple origin, scheme "://" host [":" port] — the
    // Host field carries the same host and port (RFC 9110 §7.2). The console is HTTPS only.
    if (host.empty() || origin != "https://" + std::string(host))
        return "Origin " + quote_input(origin) + " is not this server's origin";
    return {};
}

std::string csrf_refusal(api::http::verb method, const api::http::fields& headers,
                         std::string_view session_token) {
    if (std::string refusal = cross_site_refusal(method, headers); !refusal.empty())
        return refusal;
    if (!is_unsafe(method))
        return {};
    const std::string_view token = field(headers, kCsrfHeader);
    if (token.empty())
        return "a state-changing request needs the session's token in " + std::string(kCsrfHeader);
    if (token.size() != session_token.size() ||
        CRYPTO_memcmp(token.data(), session_token.data(), token.size()) != 0)
        return std::string(kCsrfHeader) + " is not this session's token";
    return {};
}

}  // namespace signet::web
