#pragma once

#include <openssl/obj_mac.h>

#include "common/algorithms.hpp"

namespace signet {

// OpenSSL's NID of a digest Signet uses: what an X509_ALGOR or an OID comparison names it by.
inline int digest_nid(Digest digest) noexcept {
    switch (digest) {
        case Digest::sha256:
            return NID_sha256;
        case Digest::sha384:
            return NID_sha384;
        case Digest::sha512:
            return NID_sha512;
    }
    return NID_undef;
}

}  // namespace signet
