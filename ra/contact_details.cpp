// A subject's mobile number and e-mail address (declared in ra/identity_numbers.hpp): the
// conservative forms the RA accepts. Errors name the field, never the value.
#include <algorithm>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "ra/field_errors.hpp"
#include "ra/identity_numbers.hpp"

namespace signet::ra {

using detail::refuse;
using detail::trim;

namespace {

bool is_alpha_numeric(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 5322 §3.2.3 atext: letters, digits and !#$%&'*+-/=?^_`{|}~.
bool is_atext(char c) noexcept {
    return is_alpha_numeric(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) !=
                                      std::string_view::npos;
}

// RFC 5321 §4.1.2 Dot-string: atext runs separated by single dots.
bool is_dot_string(std::string_view text) noexcept {
    return !text.empty() && text.front() != '.' && text.back() != '.' &&
           text.find("..") == std::string_view::npos &&
           std::ranges::all_of(text, [](char c) { return c == '.' || is_atext(c); });
}

// RFC 5321 §4.1.2 Domain with RFC 1035 §2.3.1's LDH labels (RFC 5321 §4.5.3.1.2: 63 octets
// each), at least two (a bare host name is not an Internet mail domain). No address literals.
bool is_mail_domain(std::string_view domain) noexcept {
    if (domain.empty() || domain.size() > 255)
        return false;
    std::size_t labels = 0;
    for (std::size_t start = 0;;) {
        const auto dot = domain.find('.', start);
        const auto label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
            !std::ranges::all_of(label, [](char c) { return c == '-' || is_alpha_numeric(c); })) {
            return false;
        }
        ++labels;
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    return labels >= 2;
}

}  // namespace

std::string normalize_e164(std::string_view mobile) {
    const std::string_view number = trim(mobile);
    if (number.empty() || number.front() != '+')
        refuse("mobile", "an E.164 number starts with '+' and the country code (ITU-T E.164)");
    const std::string_view digits = number.substr(1);
    if (!std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; }))
        refuse("mobile", "an E.164 number is '+' and digits only, no spaces or punctuation");
    if (digits.size() < 8 || digits.size() > 15)
        refuse("mobile", "an E.164 number has 8 to 15 digits (ITU-T E.164 §6)");
    if (digits.front() == '0')
        refuse("mobile", "a country code does not start with 0 (ITU-T E.164 §6.2.1)");
    return std::string(number);
}

std::string normalize_email(std::string_view email) {
    std::string address(trim(email));
    if (address.size() > 254)
        refuse("email", "an address has at most 254 characters (RFC 5321 §4.5.3.1.3)");
    const auto at = address.find('@');
    if (at == std::string::npos || address.find('@', at + 1) != std::string::npos)
        refuse("email", "an address has exactly one '@'");
    const std::string_view local = std::string_view(address).substr(0, at);
    if (local.empty() || local.size() > 64)
        refuse("email", "the local part has 1 to 64 characters (RFC 5321 §4.5.3.1.1)");
    if (!is_dot_string(local)) {
        refuse("email",
               "the local part is letters, digits, !#$%&'*+-/=?^_`{|}~ and single inner dots "
               "(RFC 5321 §4.1.2 Dot-string; no quoted strings, spaces or non-ASCII)");
    }
    if (!is_mail_domain(std::string_view(address).substr(at + 1))) {
        refuse("email",
               "the domain is at least two dot-separated labels of letters, digits and inner "
               "hyphens, each 1 to 63 characters (RFC 5321 §4.1.2, RFC 1035 §2.3.1)");
    }
    std::transform(address.begin() + static_cast<long>(at) + 1, address.end(),
                   address.begin() + static_cast<long>(at) + 1, [](char c) {
                       return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
                   });
    return address;
}

}  // namespace signet::ra
