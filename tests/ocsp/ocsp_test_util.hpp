#pragma once

// DER surgery for the OCSP tests: requests made wrong on purpose.
#include <boost/test/unit_test.hpp>

#include "common/bytes.hpp"
#include "common/der.hpp"

namespace signet::testing {

// The content of the TLV at the start of `der` (definite lengths).
inline ByteView der_content(ByteView der) {
    BOOST_REQUIRE(der.size() >= 2);
    std::size_t at = 1;
    std::size_t length = der[at++];
    if (length & 0x80) {
        const std::size_t octets = length & 0x7f;
        length = 0;
        for (std::size_t i = 0; i < octets; ++i)
            length = (length << 8) | der[at++];
    }
    BOOST_REQUIRE(at + length <= der.size());
    return der.subspan(at, length);
}

// `request` (a DER OCSPRequest) with its TBSRequest's version written out as v1 ([0] INTEGER 0),
// which DER omits (a DEFAULT value, X.690 §11.5).
inline Bytes with_explicit_version(ByteView request) {
    const ByteView outer = der_content(request);
    const ByteView tbs = der_content(outer);
    const std::size_t tbs_size = static_cast<std::size_t>(tbs.data() + tbs.size() - outer.data());
    Bytes tbs_content{0xa0, 0x03, 0x02, 0x01, 0x00};
    tbs_content.insert(tbs_content.end(), tbs.begin(), tbs.end());
    Bytes outer_content = der_tlv(0x30, tbs_content);
    // Whatever follows the TBSRequest (an optionalSignature) stays as it was.
    outer_content.insert(outer_content.end(), outer.begin() + static_cast<long>(tbs_size),
                         outer.end());
    return der_tlv(0x30, outer_content);
}

}  // namespace signet::testing
