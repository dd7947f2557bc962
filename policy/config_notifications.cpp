// signet.yaml's signing.notifications (policy/config_sections.hpp): the webhooks per API client,
// the e-mail to a due signer over SMTP with STARTTLS, the signing links and the retry schedule
// (issue 13 "Telling the next party"; sign/notification_deliverer.hpp reads the result). No
// message repeats a URL (it may hold a key) or a secret.
#include <algorithm>

#include "policy/config_sections.hpp"

namespace signet::policy::sections {

using namespace yaml;

namespace {

bool has_space(const std::string& text) {
    return std::ranges::any_of(text, [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) == 0x7f;
    });
}

bool is_http_url(const std::string& url) {
    return (url.starts_with("http://") || url.starts_with("https://")) &&
           url.size() > url.find("//") + 2 && !has_space(url);
}

// smtp://HOST[:PORT][/] or smtps://...: libcurl's SMTP URL (a path would be the EHLO name).
bool is_smtp_url(const std::string& url) {
    const std::size_t scheme = url.find("://");
    if (scheme == std::string::npos || has_space(url))
        return false;
    const std::string name = url.substr(0, scheme);
    std::string rest = url.substr(scheme + 3);
    if (rest.ends_with("/"))
        rest.pop_back();
    return (name == "smtp" || name == "smtps") && !rest.empty() &&
           rest.find_first_of("/?#@") == std::string::npos;
}

// An RFC 5321 §4.1.2 Mailbox in its plain form (local-part@domain), restricted to printable
// ASCII without the characters that would need quoting in a header (RFC 5322 §3.4.1 specials).
bool is_plain_address(const std::string& address) {
    const std::size_t at = address.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= address.size() ||
        address.find('@', at + 1) != std::string::npos || address.size() > 254)
        return false;
    return std::ranges::all_of(address, [](char c) {
        return c > 0x20 && c < 0x7f && std::string_view("()<>[]:;,\\\"").find(c) == std::string_view::npos;
    });
}

void read_webhook(Map& entry, const fs::path& base, WebhookConfig& out) {
    if (read_string(entry, "url", out.url, true) && !is_http_url(out.url))
        entry.add("url", "is not an http:// or https:// URL (the value is not shown)");
    if (!read_secret_source(entry, "secret", base, "a webhook secret", out.secret) &&
        !present(entry.take("secret")))
        entry.missing("secret");
    read_duration(entry, "timeout_ms", out.timeout, 1, 600'000);
}

void read_email(Map& email, const fs::path& base, EmailConfig& out) {
    if (read_string(email, "url", out.url, true) && !is_smtp_url(out.url))
        email.add("url", "is not an smtp://HOST[:PORT] or smtps://HOST[:PORT] URL");
    if (read_string(email, "from", out.from, true) && !is_plain_address(out.from))
        email.add("from", "is not an address of the form local@domain in printable ASCII");
    if (read_string(email, "from_name", out.from_name) &&
        (out.from_name.size() > 64 || std::ranges::any_of(out.from_name, [](char c) {
             return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
         })))
        email.add("from_name", "must be at most 64 bytes without control characters");
    fs::path ca;
    if (read_path(email, "ca_file", base, ca, false, true))
        out.ca_file = ca;
    read_string(email, "username", out.username);
    SecretSource password;
    if (read_secret_source(email, "password", base, "an SMTP password", password)) {
        out.password = password;
        if (out.username.empty())
            email.add("password", "is given without a username");
    }
    read_duration(email, "timeout_ms", out.timeout, 1, 600'000);
}

}  // namespace

void read_notifications(Map& map, const fs::path& base, const std::vector<ApiClient>& clients,
                        NotificationSettings& out) {
    read_named_mappings(map, "webhooks", "expected a mapping of API client names to webhooks",
                        [&](const std::string& name, Map& entry) {
                            if (std::ranges::none_of(clients, [&](const ApiClient& c) {
                                    return c.name == name;
                                }))
                                entry.problems().add(entry.mark(), entry.path(),
                                                     "is not an API client (api_clients)");
                            WebhookConfig webhook;
                            read_webhook(entry, base, webhook);
                            out.webhooks.emplace(name, std::move(webhook));
                        });
    Map email = map.section("email");
    if (email.present()) {
        EmailConfig config;
        read_email(email, base, config);
        out.email = std::move(config);
    }
    email.finish();
    if (read_string(map, "link_base", out.link_base) && !is_http_url(out.link_base))
        map.add("link_base", "is not an http:// or https:// URL");
    if (out.email && out.link_base.empty())
        map.missing("link_base");
    read_duration(map, "link_validity_hours", out.link_validity, 1, 2160);
    read_unsigned(map, "max_attempts", out.max_attempts, 1, 50, "a number of attempts");
    read_duration(map, "initial_backoff_seconds", out.initial_backoff, 1, 3600);
    read_duration(map, "max_backoff_seconds", out.max_backoff, 1, 86'400);
    if (out.max_backoff < out.initial_backoff)
        map.add("max_backoff_seconds", "must be at least initial_backoff_seconds (" +
                                           std::to_string(out.initial_backoff.count()) + ")");
    read_duration(map, "poll_interval_ms", out.poll_interval, 100, 60'000);
}

}  // namespace signet::policy::sections
