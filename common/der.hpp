#pragma once

#include "common/bytes.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"

namespace signet {

// The DER encoding of an OpenSSL object through its i2d function, the buffer OpenSSL allocates
// freed whatever happens. Errc::crypto when the object cannot be encoded.
template <class T>
Bytes to_der(int (*i2d)(T*, unsigned char**), T* object) {
    unsigned char* out = nullptr;
    const int size = i2d(object, &out);
    if (size <= 0)
        throw_openssl_error("cannot DER-encode");
    const OpensslBytesPtr owned(out);
    return Bytes(out, out + size);
}
template <class T>
Bytes to_der(int (*i2d)(const T*, unsigned char**), const T* object) {
    unsigned char* out = nullptr;
    const int size = i2d(object, &out);
    if (size <= 0)
        throw_openssl_error("cannot DER-encode");
    const OpensslBytesPtr owned(out);
    return Bytes(out, out + size);
}

// X.690 §8.1.3 / §10.1: a definite length, short form below 128, else the long form with the
// fewest octets (DER).
inline void append_der_length(Bytes& out, std::size_t length) {
    if (length < 0x80) {
        out.push_back(static_cast<std::uint8_t>(length));
        return;
    }
    std::uint8_t octets[sizeof(std::size_t)];
    std::size_t count = 0;
    for (std::size_t n = length; n != 0; n >>= 8)
        octets[count++] = static_cast<std::uint8_t>(n & 0xff);
    out.push_back(static_cast<std::uint8_t>(0x80 | count));
    while (count != 0)
        out.push_back(octets[--count]);
}

// One DER TLV: `tag` (a single identifier octet), the length, `content`.
inline void append_der_tlv(Bytes& out, std::uint8_t tag, ByteView content) {
    out.push_back(tag);
    append_der_length(out, content.size());
    out.insert(out.end(), content.begin(), content.end());
}
inline Bytes der_tlv(std::uint8_t tag, ByteView content) {
    Bytes out;
    append_der_tlv(out, tag, content);
    return out;
}

}  // namespace signet
