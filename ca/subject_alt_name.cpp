#include "ca/subject_alt_name.hpp"

#include <openssl/x509v3.h>

#include "common/error.hpp"
#include "common/host_names.hpp"
#include "common/text.hpp"

namespace signet::ca {

namespace {

Bytes checked_ip(const std::string& text) {
    auto octets = ip_address_octets(text);
    if (!octets)
        throw Error(Errc::invalid_argument,
                    quote_input(text) + " is not an IP address (IPv4 or IPv6, no zone, no prefix)");
    return *octets;
}

void check_dns(const std::string& name) {
    if (const auto problem = dns_name_problem(name))
        throw Error(Errc::invalid_argument, *problem);
}

// GENERAL_NAME_set0_value takes the value; on failure before that it is freed here.
void push(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
    GeneralNamePtr name(GENERAL_NAME_new());
    if (!name || value == nullptr) {
        ASN1_STRING_free(value);
        throw_openssl_error("cannot encode a subjectAltName entry");
    }
    GENERAL_NAME_set0_value(name.get(), type, value);
    if (sk_GENERAL_NAME_push(names, name.get()) <= 0)
        throw_openssl_error("cannot encode a subjectAltName entry");
    (void)name.release();  // owned by `names` now
}

ASN1_STRING* string_of(int type, const unsigned char* data, std::size_t size) {
    ASN1_STRING* value = ASN1_STRING_type_new(type);
    if (value != nullptr && ASN1_STRING_set(value, data, static_cast<int>(size)) != 1) {
        ASN1_STRING_free(value);
        return nullptr;
    }
    return value;
}

}  // namespace

GeneralNamesPtr make_subject_alt_names(const std::vector<std::string>& dns_names,
                                       const std::vector<std::string>& ip_addresses) {
    if (dns_names.empty() && ip_addresses.empty())
        throw Error(Errc::invalid_argument, "a subjectAltName needs a DNS name or an IP address");
    GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
    if (!names)
        throw_openssl_error("cannot allocate a subjectAltName");
    for (const auto& dns : dns_names) {
        check_dns(dns);
        // dNSName is an IA5String (RFC 5280 §4.2.1.6); the check above kept it to LDH ASCII.
        push(names.get(), GEN_DNS,
             string_of(V_ASN1_IA5STRING, reinterpret_cast<const unsigned char*>(dns.data()),
                       dns.size()));
    }
    for (const auto& ip : ip_addresses) {
        // iPAddress: the address's octets in network byte order, 4 for IPv4, 16 for IPv6.
        const Bytes octets = checked_ip(ip);
        push(names.get(), GEN_IPADD, string_of(V_ASN1_OCTET_STRING, octets.data(), octets.size()));
    }
    return names;
}

SubjectAltNameEntries subject_alt_name_entries(const std::vector<std::string>& dns_names,
                                               const std::vector<std::string>& ip_addresses) {
    SubjectAltNameEntries entries;
    for (const auto& dns : dns_names)
        entries.push_back("DNS:" + dns);
    for (const auto& ip : ip_addresses) {
        const auto octets = ip_address_octets(ip);
        entries.push_back("IP:" + (octets ? ip_address_text(*octets) : ip));
    }
    return entries;
}

SubjectAltNameEntries read_subject_alt_names(const X509* cert, std::vector<std::string>& problems) {
    SubjectAltNameEntries entries;
    const GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        int type = 0;
        const void* value = GENERAL_NAME_get0_value(name, &type);
        if (type != GEN_DNS && type != GEN_IPADD) {
            entries.push_back("other:" + std::to_string(type));
            continue;
        }
        // Both are strings: dNSName an IA5String, iPAddress an OCTET STRING.
        const auto* string = static_cast<const ASN1_STRING*>(value);
        const auto* data = ASN1_STRING_get0_data(string);
        const auto size = static_cast<std::size_t>(ASN1_STRING_length(string));
        if (type == GEN_DNS) {
            const std::string dns(reinterpret_cast<const char*>(data), size);
            if (const auto problem = dns_name_problem(dns))
                problems.push_back("dNSName " + *problem);
            entries.push_back("DNS:" + dns);
        } else {
            if (size != 4 && size != 16)
                problems.push_back("an iPAddress of " + std::to_string(size) +
                                   " octets is neither IPv4 (4) nor IPv6 (16)");
            entries.push_back("IP:" + ip_address_text({data, size}));
        }
    }
    return entries;
}

}  // namespace signet::ca
