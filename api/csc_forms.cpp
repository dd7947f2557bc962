// The OAuth endpoints' forms and HTTP Basic (api/csc_requests.hpp): application/
// x-www-form-urlencoded read once (RFC 6749 Appendix B, §3.1, §3.2), the client's credentials
// (§2.3.1), oauth2/token's grant (§4.4.2) and oauth2/revoke's token (RFC 7009 §2.1).
#include <algorithm>
#include <cctype>

#include "api/csc_request_errors.hpp"
#include "api/csc_requests.hpp"
#include "common/text.hpp"

namespace signet::api {

using namespace csc_detail;

namespace {

using csc::CscError;
using csc::CscFailure;

constexpr std::size_t kMaxFormParameters = 64;

bool iequals_ascii(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::ranges::equal(a, b, [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::optional<std::string> form_value(const std::map<std::string, std::string>& form,
                                      const std::string& name) {
    const auto it = form.find(name);
    if (it == form.end())
        return std::nullopt;
    return it->second;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c == '%') {
            const int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
            const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
            if (high < 0 || low < 0)
                invalid("Malformed form parameter: a '%' not followed by two hex digits");
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

// The OAuth request's client: HTTP Basic or the body's client_id/client_secret (RFC 6749
// §2.3.1), never both (§2.3: "MUST NOT use more than one authentication method").
ClientCredentials oauth_client(const std::map<std::string, std::string>& form,
                               std::string_view authorization) {
    auto client_id = form_value(form, "client_id");
    auto client_secret = form_value(form, "client_secret");
    if (!authorization.empty()) {
        ClientCredentials basic = decode_basic(authorization, true);
        if (client_secret)
            invalid("Client authentication in the body and in the Authorization header");
        if (client_id && *client_id != basic.client_id)
            invalid(invalid_parameter("client_id"));
        return basic;
    }
    if (!client_id)
        invalid("Missing parameter client_id");
    if (client_id->size() > kMaxIdLength)
        invalid(invalid_parameter("client_id"));
    if (client_secret && client_secret->size() > kMaxTokenLength)
        invalid(invalid_parameter("client_secret"));
    return {std::move(*client_id), std::move(client_secret)};
}

}  // namespace

std::map<std::string, std::string> parse_form(std::string_view body) {
    std::map<std::string, std::string> out;
    std::size_t count = 0;
    std::size_t start = 0;
    while (start <= body.size()) {
        const std::size_t end = std::min(body.find('&', start), body.size());
        const std::string_view pair = body.substr(start, end - start);
        start = end + 1;
        if (pair.empty())
            continue;
        if (++count > kMaxFormParameters)
            invalid("Malformed form: more than " + std::to_string(kMaxFormParameters) +
                    " parameters");
        const std::size_t equals = pair.find('=');
        std::string name = percent_decode(pair.substr(0, equals), true);
        std::string value = equals == std::string_view::npos
                                ? std::string()
                                : percent_decode(pair.substr(equals + 1), true);
        // RFC 6749 §3.2: "parameters MUST NOT be included more than once"; §3.1: one sent
        // without a value is treated as omitted.
        if (out.contains(name))
            invalid("Parameter " + quote_input(name, 32) + " repeated");
        if (!value.empty())
            out.emplace(std::move(name), std::move(value));
        else
            out.emplace(std::move(name), std::string());
    }
    std::erase_if(out, [](const auto& entry) { return entry.second.empty(); });
    return out;
}

ClientCredentials decode_basic(std::string_view authorization, bool form_encoded) {
    // RFC 7617 §2: "Basic" (case-insensitive, RFC 9110 §11.1) SP token68.
    const auto malformed = [] { return "Malformed authentication parameter"; };
    if (authorization.size() < 6 || !iequals_ascii(authorization.substr(0, 6), "basic "))
        invalid(malformed());
    std::string_view encoded = authorization.substr(6);
    while (!encoded.empty() && encoded.front() == ' ')
        encoded.remove_prefix(1);
    while (!encoded.empty() && encoded.back() == ' ')
        encoded.remove_suffix(1);
    if (encoded.size() > 2 * kMaxTokenLength)
        invalid(malformed());
    Bytes decoded;
    try {
        decoded = from_base64(encoded);
    } catch (const Error&) {
        invalid(malformed());
    }
    const std::string pair(decoded.begin(), decoded.end());
    const std::size_t colon = pair.find(':');
    if (colon == std::string::npos || colon == 0)
        invalid("Malformed username-password");
    ClientCredentials out;
    out.client_id = pair.substr(0, colon);
    out.client_secret = pair.substr(colon + 1);
    if (form_encoded) {
        out.client_id = percent_decode(out.client_id, true);
        out.client_secret = percent_decode(*out.client_secret, true);
    }
    if (out.client_id.empty() || out.client_id.size() > kMaxIdLength)
        invalid("Malformed username-password");
    return out;
}

ClientCredentials decode_token_form(const std::map<std::string, std::string>& form,
                                    std::string_view authorization) {
    const auto grant = form_value(form, "grant_type");
    if (!grant)
        invalid("Missing parameter grant_type");
    if (*grant == "authorization_code" || *grant == "refresh_token" || *grant == "password")
        throw CscError(CscFailure::unsupported_grant_type,
                       "Signet's oauth2/token serves the client_credentials grant only");
    if (*grant != "client_credentials")
        invalid(invalid_parameter("grant_type"));
    // §8.4.4: client credentials give service authorization only.
    if (const auto scope = form_value(form, "scope"); scope && *scope != "service")
        invalid(invalid_parameter("scope"));
    return oauth_client(form, authorization);
}

FormRevokeRequest decode_revoke_form(const std::map<std::string, std::string>& form,
                                     std::string_view authorization) {
    const auto token = form_value(form, "token");
    if (!token)
        invalid("Missing parameter token");
    if (token->size() > kMaxTokenLength)
        invalid(invalid_parameter("token"));
    const auto hint = form_value(form, "token_type_hint");
    if (hint && *hint != "access_token" && *hint != "refresh_token")
        invalid(invalid_parameter("token_type_hint"));
    return {*token, oauth_client(form, authorization)};
}

}  // namespace signet::api
