#include "ca/service_purposes.hpp"

#include <openssl/x509v3.h>

#include <string>

#include "common/error.hpp"
#include "common/handle.hpp"

namespace signet::ca {

bool has_key_purpose(const X509* certificate, std::string_view oid) {
    const Asn1ObjectPtr wanted(OBJ_txt2obj(std::string(oid).c_str(), 1));
    // X509_get_ext_d2i decodes a copy, which the handle frees.
    const ExtendedKeyUsagePtr usages(static_cast<EXTENDED_KEY_USAGE*>(
        X509_get_ext_d2i(certificate, NID_ext_key_usage, nullptr, nullptr)));
    bool found = false;
    for (int i = 0; wanted && usages && i < sk_ASN1_OBJECT_num(usages.get()) && !found; ++i)
        found = OBJ_cmp(sk_ASN1_OBJECT_value(usages.get(), i), wanted.get()) == 0;
    clear_openssl_errors();
    return found;
}

}  // namespace signet::ca
