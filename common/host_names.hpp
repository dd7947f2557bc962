#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

// How a host is named in a certificate's subjectAltName (RFC 5280 §4.2.1.6): a dNSName or an
// iPAddress. The ceremony file is validated with these rules, the certificate is built with them
// and the linter checks them again, so a name refused in one place is refused in all.
namespace signet {

// Why `name` is not a DNS name in the "preferred name syntax" a dNSName must use (RFC 5280
// §4.2.1.6: RFC 1034 §3.5 as modified by RFC 1123 §2.1), or nullopt when it is: labels of
// letters, digits and hyphens (LDH), 1-63 characters each, neither starting nor ending with a
// hyphen, separated by single dots; 253 characters at most; no trailing dot (the dNSName form
// has none, CA/B Forum Baseline Requirements §7.1.2.7.12); no wildcard; the last label not all
// digits (RFC 1123 §2.1: a name is never in dotted-decimal form, so "127.0.0.1" is an IP
// address, not a DNS name). Internationalized names are given as A-labels ("xn--..."); the
// message quotes the name with quote_input.
std::optional<std::string> dns_name_problem(std::string_view name);

// The 4 (IPv4) or 16 (IPv6) octets of an IP address literal in its usual text form
// ("127.0.0.1", "::1", "2001:db8::1"), as an iPAddress entry carries them (RFC 5280 §4.2.1.6:
// network byte order, RFC 791 and RFC 4291), or nullopt for anything else: a zone ("fe80::1%eth0"
// names an interface of this host, nothing a certificate can say), a prefix ("10.0.0.0/8"),
// leading zeros ("127.000.000.001") or a host name.
std::optional<Bytes> ip_address_octets(std::string_view text);

// The text form of 4 or 16 octets ("127.0.0.1", "::1"); other lengths as "invalid(HEX)".
std::string ip_address_text(ByteView octets);

}  // namespace signet
