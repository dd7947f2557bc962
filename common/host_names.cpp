#include "common/host_names.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "common/text.hpp"

namespace signet {

namespace {

bool is_ldh(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Why one label is not an RFC 1034 §3.5 <label> (with RFC 1123 §2.1's leading digit), or "".
std::string label_problem(std::string_view label) {
    if (label.empty())
        return "has an empty label (two dots in a row, or a dot at an end)";
    if (label.size() > 63)
        return "has a label of " + std::to_string(label.size()) + " characters; at most 63";
    if (label == "*")
        return "is a wildcard; only exact names are issued";
    if (!std::ranges::all_of(label, is_ldh))
        return "has a character other than a letter, a digit, '-' or '.' (an internationalized "
               "name is written as its A-label, xn--...)";
    if (label.front() == '-' || label.back() == '-')
        return "has a label that starts or ends with '-'";
    return "";
}

}  // namespace

std::optional<std::string> dns_name_problem(std::string_view name) {
    const auto problem = [&](const std::string& what) {
        return quote_input(name) + " is not a DNS name: it " + what;
    };
    if (name.empty())
        return "a DNS name is empty";
    if (name.size() > 253)
        return problem("has " + std::to_string(name.size()) + " characters; at most 253");
    if (name.back() == '.')
        return problem("ends with a dot (a certificate names a host without the root's dot)");
    std::string_view last;
    for (std::size_t start = 0;;) {
        const std::size_t dot = name.find('.', start);
        last = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (const std::string why = label_problem(last); !why.empty())
            return problem(why);
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    if (std::ranges::all_of(last, is_digit))
        return problem(
            "ends in an all-digit label, as an IP address does (RFC 1123 §2.1); put "
            "IP addresses under ip_addresses");
    return std::nullopt;
}

std::optional<Bytes> ip_address_octets(std::string_view text) {
    // Bounded before it is copied: the longest IPv6 text form is 45 characters.
    if (text.empty() || text.size() > 45)
        return std::nullopt;
    const std::string address(text);
    unsigned char buffer[16];
    if (inet_pton(AF_INET, address.c_str(), buffer) == 1)
        return Bytes(buffer, buffer + 4);
    if (inet_pton(AF_INET6, address.c_str(), buffer) == 1)
        return Bytes(buffer, buffer + 16);
    return std::nullopt;
}

std::string ip_address_text(ByteView octets) {
    char text[INET6_ADDRSTRLEN] = {};
    const int family = octets.size() == 4 ? AF_INET : octets.size() == 16 ? AF_INET6 : AF_UNSPEC;
    if (family == AF_UNSPEC || inet_ntop(family, octets.data(), text, sizeof text) == nullptr)
        return "invalid(" + to_hex(octets) + ")";
    return text;
}

}  // namespace signet
