#include "tsa/asn1.hpp"

#include <openssl/bn.h>

namespace signet::tsa {

std::string oid_text(const ASN1_OBJECT* oid) {
    char buffer[128];
    const int size = OBJ_obj2txt(buffer, sizeof buffer, oid, 1);
    if (size < 0)
        throw_openssl_error("cannot print an OBJECT IDENTIFIER");
    if (static_cast<std::size_t>(size) < sizeof buffer)
        return std::string(buffer, static_cast<std::size_t>(size));
    // Longer than the buffer: ask again with room for all of it.
    std::string text(static_cast<std::size_t>(size) + 1, '\0');
    OBJ_obj2txt(text.data(), size + 1, oid, 1);
    text.resize(static_cast<std::size_t>(size));
    return text;
}

Bytes integer_content(const ASN1_INTEGER* value) {
    const Bytes der = to_der(i2d_ASN1_INTEGER, value);
    // X.690 §8.1: identifier (0x02), then the length in short form (< 0x80) or long form
    // (0x8N and N octets), then the content.
    if (der.size() < 3 || der[0] != V_ASN1_INTEGER)
        throw Error(Errc::internal, "an INTEGER encoded to something else");
    std::size_t header = 2;
    if ((der[1] & 0x80) != 0)
        header += der[1] & 0x7f;
    if (header >= der.size())
        throw Error(Errc::internal, "an INTEGER encoded without content");
    return Bytes(der.begin() + static_cast<std::ptrdiff_t>(header), der.end());
}

Bytes integer_magnitude(const ASN1_INTEGER* value) {
    BignumPtr bn(ASN1_INTEGER_to_BN(value, nullptr));
    if (!bn)
        throw_openssl_error("cannot read an INTEGER");
    Bytes out(static_cast<std::size_t>(BN_num_bytes(bn.get())));
    BN_bn2bin(bn.get(), out.data());
    return out;
}

Asn1IntegerPtr integer_from_magnitude(ByteView magnitude) {
    BignumPtr bn(BN_bin2bn(magnitude.data(), static_cast<int>(magnitude.size()), nullptr));
    Asn1IntegerPtr value(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
    if (!value)
        throw_openssl_error("cannot make an INTEGER");
    return value;
}

}  // namespace signet::tsa
