#include "ca/name.hpp"

#include <algorithm>
#include <array>

#include "common/bytes.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::ca {

namespace {

constexpr std::array<NameAttributeRule, 15> kRules{{
    {"C", NID_countryName, 2, V_ASN1_PRINTABLESTRING},
    {"ST", NID_stateOrProvinceName, 128, V_ASN1_UTF8STRING},
    {"L", NID_localityName, 128, V_ASN1_UTF8STRING},
    {"O", NID_organizationName, 64, V_ASN1_UTF8STRING},
    {"OU", NID_organizationalUnitName, 64, V_ASN1_UTF8STRING},
    {"CN", NID_commonName, 64, V_ASN1_UTF8STRING},
    {"serialNumber", NID_serialNumber, 64, V_ASN1_PRINTABLESTRING},
    {"organizationIdentifier", NID_organizationIdentifier, 64, V_ASN1_UTF8STRING},
    {"givenName", NID_givenName, 64, V_ASN1_UTF8STRING},
    {"GN", NID_givenName, 64, V_ASN1_UTF8STRING},
    {"surname", NID_surname, 64, V_ASN1_UTF8STRING},
    {"SN", NID_surname, 64, V_ASN1_UTF8STRING},
    {"emailAddress", NID_pkcs9_emailAddress, 128, V_ASN1_IA5STRING},
    {"title", NID_title, 64, V_ASN1_UTF8STRING},
    {"pseudonym", NID_pseudonym, 128, V_ASN1_UTF8STRING},
}};

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ')
        s.remove_suffix(1);
    return s;
}

// The value of one RDN from `text` at `at` up to an unescaped ',' (RFC 4514 §2.4 escapes
// unescaped, and unescaped spaces at either end dropped, §3's "leading and trailing space" being
// escaped when meant). Leaves `at` on the ',' or at the end.
std::string read_value(std::string_view text, std::size_t& at) {
    std::string value;
    std::size_t significant = 0;  // the value's length up to its last escaped or non-space byte
    for (; at < text.size() && text[at] != ','; ++at) {
        const char c = text[at];
        if (c == '+')
            throw Error(Errc::invalid_argument,
                        "multi-valued RDNs ('+') are not used in Signet's DNs");
        if (c != '\\') {
            if (c == ' ' && value.empty())
                continue;
            value.push_back(c);
            if (c != ' ')
                significant = value.size();
            continue;
        }
        if (at + 1 >= text.size())
            throw Error(Errc::invalid_argument, "the DN ends in a lone '\\'");
        const int high = hex_value(text[at + 1]);
        const int low = at + 2 < text.size() ? hex_value(text[at + 2]) : -1;
        if (high >= 0 && low >= 0) {
            value.push_back(static_cast<char>(high * 16 + low));
            at += 2;
        } else {
            value.push_back(text[at + 1]);
            ++at;
        }
        significant = value.size();
    }
    value.resize(significant);
    return value;
}

}  // namespace

const NameAttributeRule* name_attribute_rule(std::string_view type) noexcept {
    const auto it = std::ranges::find(kRules, type, &NameAttributeRule::type);
    return it == kRules.end() ? nullptr : &*it;
}

const NameAttributeRule* name_attribute_rule(int nid) noexcept {
    const auto it = std::ranges::find(kRules, nid, &NameAttributeRule::nid);
    return it == kRules.end() ? nullptr : &*it;
}

DistinguishedName parse_distinguished_name(std::string_view text) {
    DistinguishedName dn;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto eq = text.find('=', at);
        const auto comma = text.find(',', at);
        if (eq == std::string_view::npos || (comma != std::string_view::npos && comma < eq))
            throw Error(Errc::invalid_argument, quote_input(trimmed(text.substr(at, comma - at))) +
                                                    " in the DN is not ATTRIBUTE=VALUE");
        NameAttribute attribute;
        attribute.type = std::string(trimmed(text.substr(at, eq - at)));
        if (attribute.type.find('+') != std::string::npos)
            throw Error(Errc::invalid_argument,
                        "multi-valued RDNs ('+') are not used in Signet's DNs");
        at = eq + 1;
        attribute.value = read_value(text, at);
        dn.push_back(std::move(attribute));
        if (at < text.size())
            ++at;  // the ','
    }
    // RFC 4514 §2.1: the text starts with the last RDN of the sequence.
    std::ranges::reverse(dn);
    return dn;
}

X509NamePtr make_name(const DistinguishedName& dn) {
    if (dn.empty())
        throw Error(Errc::invalid_argument, "the DN has no attributes");
    X509NamePtr name(X509_NAME_new());
    if (!name)
        throw_openssl_error("cannot allocate a name");
    for (const auto& [type, value] : dn) {
        const NameAttributeRule* rule = name_attribute_rule(type);
        if (rule == nullptr)
            throw Error(Errc::invalid_argument,
                        quote_input(type) +
                            " is not an attribute Signet uses in DNs (C, ST, L, O, OU, CN, "
                            "serialNumber, organizationIdentifier, givenName, surname, "
                            "emailAddress, title, pseudonym)");
        if (value.empty())
            throw Error(Errc::invalid_argument, type + " is empty");
        if (const auto problem = name_text_problem(value))
            throw Error(Errc::invalid_argument, type + " " + *problem);
        const std::size_t length = utf8_length(value).value_or(0);
        if (length > rule->upper_bound)
            throw Error(Errc::invalid_argument,
                        type + " has " + std::to_string(length) + " characters; at most " +
                            std::to_string(rule->upper_bound) + " (RFC 5280 Appendix A)");
        if (rule->nid == NID_countryName &&
            (value.size() != 2 ||
             !std::ranges::all_of(value, [](char c) { return c >= 'A' && c <= 'Z'; })))
            throw Error(Errc::invalid_argument,
                        "C must be two capital letters (ISO 3166-1 "
                        "alpha-2), not " +
                            quote_input(value));
        if (rule->string_type == V_ASN1_PRINTABLESTRING && !is_printable_string(value))
            throw Error(Errc::invalid_argument,
                        type + " is a PrintableString (X.520): " + quote_input(value) +
                            " has other characters (A-Z a-z 0-9 space ' ( ) + , - . / : = ?)");
        if (rule->string_type == V_ASN1_IA5STRING &&
            !std::ranges::all_of(value, [](char c) { return c > 0 && c < 0x7f; }))
            throw Error(Errc::invalid_argument, type + " must be ASCII");
        // MBSTRING_UTF8: OpenSSL encodes the value as its table says for the attribute
        // (PrintableString, IA5String, or UTF8String under the default "utf8only" mask).
        if (X509_NAME_add_entry_by_NID(name.get(), rule->nid, MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), -1, 0) != 1)
            throw_openssl_error("cannot add " + type + " to the DN");
    }
    return name;
}

std::string format_distinguished_name(const X509_NAME* name) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio)
        throw_openssl_error("cannot allocate a BIO");
    // RFC 2253/4514 order and escaping, UTF-8 kept as it is.
    if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
        throw_openssl_error("cannot print a DN");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace signet::ca
