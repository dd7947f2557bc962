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

}  // namespace signet
