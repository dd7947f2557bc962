#pragma once

// A bounded walk over DER (X.690 §8.1, with §10.1's definite lengths): the one reader of DER
// by hand. The CA reads certificate requests and SubjectPublicKeyInfos with it (ca/csr.cpp,
// ca/public_key.cpp: OpenSSL 3.0's d2i of either decodes the key through its providers'
// decoders, which costs more than a signature); sign/ reads CMS structures OpenSSL 3.0 has no
// accessor for (sign/der_reader.hpp).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"

namespace signet::der {

inline constexpr std::uint8_t kInteger = 0x02;
inline constexpr std::uint8_t kBitString = 0x03;
inline constexpr std::uint8_t kOctetString = 0x04;
inline constexpr std::uint8_t kNull = 0x05;
inline constexpr std::uint8_t kObjectIdentifier = 0x06;
inline constexpr std::uint8_t kSequence = 0x30;
inline constexpr std::uint8_t kSet = 0x31;
inline constexpr std::uint8_t kContext0 = 0xa0;  // [0], constructed
inline constexpr std::uint8_t kContext1 = 0xa1;  // [1], constructed
inline constexpr std::uint8_t kContext3 = 0xa3;  // [3], constructed

// One element: its identifier octet, its content octets and its whole encoding.
struct Element {
    std::uint8_t tag = 0;
    ByteView content;
    ByteView encoding;
};

// Reads the element at the start of `in` and moves `in` past it. Errc::invalid_argument naming
// `what` ("<what> is not DER: ...") when `in` does not start with one in DER: a tag number
// above 30 (a multi-octet tag), an indefinite length, a length not in its shortest form or over
// 4 octets, or one that runs past the end.
Element read(ByteView& in, std::string_view what);

// The same, and Errc::invalid_argument ("<what> is not DER: ...") unless its identifier octet
// is `tag`.
Element read(ByteView& in, std::uint8_t tag, std::string_view what);

// The elements of `content` (a constructed element's content octets), at most `max` of them
// (Errc::invalid_argument beyond).
std::vector<Element> read_all(ByteView content, std::size_t max, std::string_view what);

// The one element `in` holds, with nothing after it; Errc::invalid_argument otherwise.
Element read_only(ByteView in, std::uint8_t tag, std::string_view what);

// Whether `element` is exactly the DER TLV `encoding` (an OID's, say).
bool is(const Element& element, ByteView encoding);

}  // namespace signet::der
