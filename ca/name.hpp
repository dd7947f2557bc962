#pragma once

#include <openssl/x509.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/handle.hpp"

namespace signet::ca {

// Distinguished names as Signet writes them: one attribute per RDN, from a fixed set of
// attribute types, each value checked and put into the certificate as it is.

// One attribute: its RFC 4514 short name (C, ST, L, O, OU, CN, serialNumber,
// organizationIdentifier, givenName, surname, emailAddress, title, pseudonym) and its value,
// verbatim (no escaping of any kind).
struct NameAttribute {
    std::string type;
    std::string value;
    bool operator==(const NameAttribute&) const = default;
};

// A DN in the order the certificate holds it: the most significant attribute first (C=CN
// before CN=...). The reverse of RFC 4514's text order.
using DistinguishedName = std::vector<NameAttribute>;

// What Signet allows of one attribute type: its upper bound in characters (RFC 5280 Appendix
// A: ub-common-name 64, ub-organization-name 64, ub-serial-number 64, ub-pseudonym 128...;
// emailAddress 128, OpenSSL's bound) and its string type (X.520: countryName and serialNumber
// are PrintableString; emailAddress is an IA5String; the others DirectoryString, written as
// UTF8String, RFC 5280 §4.1.2.6).
struct NameAttributeRule {
    std::string_view type;
    int nid;
    std::size_t upper_bound;
    int string_type;  // V_ASN1_PRINTABLESTRING, V_ASN1_IA5STRING or V_ASN1_UTF8STRING
};
// nullptr for a type Signet does not use.
const NameAttributeRule* name_attribute_rule(std::string_view type) noexcept;
const NameAttributeRule* name_attribute_rule(int nid) noexcept;

// Parses RFC 4514 text, "CN=Jane Doe,serialNumber=ID-1234,C=CN" (most significant RDN last;
// '\,' or '\2C' escape; unescaped spaces around a value are not part of it), as operators write
// DNs in the ceremony file and the profiles' templates. Errc::invalid_argument for text that is
// not ATTRIBUTE=VALUE,...; multi-valued RDNs ('+') are refused. The values are not checked
// here: make_name checks them.
DistinguishedName parse_distinguished_name(std::string_view text);

// The X509_NAME of `dn`, each attribute added with X509_NAME_add_entry_by_NID (MBSTRING_UTF8):
// the values go in as they are, never through text. Errc::invalid_argument naming the
// attribute for: no attributes, an unknown type, an empty value, a value over its upper bound,
// a value that is not fit for a name (common/text.hpp name_text_problem: not UTF-8, a control or
// invisible character, not NFC), C not two capital letters, a PrintableString attribute with
// other characters, a non-ASCII emailAddress.
X509NamePtr make_name(const DistinguishedName& dn);

// The RFC 4514 string of `name` (RFC 2253 escaping; UTF-8 kept as it is): for records and logs.
std::string format_distinguished_name(const X509_NAME* name);

}  // namespace signet::ca
