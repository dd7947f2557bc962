// What no message may show of a DSN (store/database.hpp): DsnRedactor, which cuts the passwords
// of a libpq connection string or URI, and the string itself, out of every message; and
// dsn_has_password, by which the CLI refuses a password in argv.
#include <algorithm>
#include <cstring>

#include "store/connection_context.hpp"
#include "store/database.hpp"

namespace signet::store {

namespace {

// The password as written in a postgresql:// URI (percent-encoded), which PQconninfoParse
// returns decoded: in the userinfo (postgresql://user:secret@host) and in the query
// (?password=secret).
std::vector<std::string> uri_passwords(std::string_view dsn) {
    std::vector<std::string> found;
    for (std::string_view scheme : {"postgresql://", "postgres://"}) {
        if (!dsn.starts_with(scheme))
            continue;
        const std::string_view rest = dsn.substr(scheme.size());
        const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
        if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
            const std::string_view userinfo = authority.substr(0, at);
            if (const auto colon = userinfo.find(':'); colon != std::string_view::npos)
                found.emplace_back(userinfo.substr(colon + 1));
        }
        const auto query = rest.find('?');
        if (query == std::string_view::npos)
            break;
        std::string_view parameters = rest.substr(query + 1);
        while (!parameters.empty()) {
            const auto amp = parameters.find('&');
            const std::string_view parameter = parameters.substr(0, amp);
            if (parameter.starts_with("password="))
                found.emplace_back(parameter.substr(9));
            parameters = amp == std::string_view::npos ? "" : parameters.substr(amp + 1);
        }
        break;
    }
    return found;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Redaction

DsnRedactor::DsnRedactor(const std::string& dsn) {
    char* error = nullptr;
    ConninfoPtr parsed(PQconninfoParse(dsn.c_str(), &error));
    if (error != nullptr)
        PQfreemem(error);
    for (const PQconninfoOption* option = parsed.get(); option && option->keyword != nullptr;
         ++option) {
        if (option->val != nullptr && std::strcmp(option->keyword, "password") == 0)
            secrets_.emplace_back(option->val);
    }
    for (auto& raw : uri_passwords(dsn))
        secrets_.push_back(std::move(raw));
    secrets_.push_back(dsn);
    std::erase(secrets_, std::string());
    // Longest first: the DSN goes whole before its password is cut out of it.
    std::ranges::sort(
        secrets_, [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string DsnRedactor::redact(std::string_view message) const {
    // The secrets go first, from the message as it is: collapsing its whitespace first would
    // change a password holding a tab or two spaces, which then would no longer be found.
    std::string raw(message);
    for (const auto& secret : secrets_) {
        for (auto at = raw.find(secret); at != std::string::npos; at = raw.find(secret, at)) {
            raw.replace(at, secret.size(), "***");
            at += 3;
        }
    }
    std::string line;
    line.reserve(raw.size());
    for (char c : raw) {
        const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
        if (space) {
            if (!line.empty() && line.back() != ' ')
                line += ' ';
        } else {
            line += c;
        }
    }
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    return line;
}

bool dsn_has_password(const std::string& dsn) {
    char* error = nullptr;
    ConninfoPtr parsed(PQconninfoParse(dsn.c_str(), &error));
    if (error != nullptr)
        PQfreemem(error);
    if (!parsed)
        return false;
    for (const PQconninfoOption* option = parsed.get(); option->keyword != nullptr; ++option) {
        if (std::strcmp(option->keyword, "password") == 0 && option->val != nullptr &&
            *option->val != '\0') {
            return true;
        }
    }
    return false;
}

}  // namespace signet::store
