#pragma once

// A bounded walk over DER (X.690 §8.1, with §10.1's definite lengths), internal to sign/: what
// the CMS layer reads that OpenSSL 3.0 has no public accessor for (SignedData's
// RevocationInfoChoices of type other, RFC 5940) and the splice that adds validation data to a
// SignedData without re-encoding its signed parts.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"

namespace signet::sign::der {

inline constexpr std::uint8_t kInteger = 0x02;
inline constexpr std::uint8_t kObjectIdentifier = 0x06;
inline constexpr std::uint8_t kSequence = 0x30;
inline constexpr std::uint8_t kSet = 0x31;
inline constexpr std::uint8_t kContext0 = 0xa0;  // [0], constructed
inline constexpr std::uint8_t kContext1 = 0xa1;  // [1], constructed

// id-ri-ocsp-response (RFC 5940): 1.3.6.1.5.5.7.16.2, as its DER TLV.
inline constexpr std::uint8_t kIdRiOcspResponse[] = {0x06, 0x08, 0x2b, 0x06, 0x01,
                                                     0x05, 0x05, 0x07, 0x10, 0x02};

// One element: its identifier octet, its content octets and its whole encoding.
struct Element {
    std::uint8_t tag = 0;
    ByteView content;
    ByteView encoding;
};

// Reads the element at the start of `in` and moves `in` past it. Errc::invalid_argument naming
// `what` when `in` does not start with one in DER: a tag number above 30 (a multi-octet tag),
// an indefinite length, a length not in its shortest form or over 4 octets, or one that runs
// past the end.
Element read(ByteView& in, std::string_view what);

// The elements of `content` (a constructed element's content octets), at most `max` of them
// (Errc::invalid_argument beyond).
std::vector<Element> read_all(ByteView content, std::size_t max, std::string_view what);

// The fields of the SignedData (RFC 5652 §5.1) in a ContentInfo (§3) whose contentType is
// id-signedData:
//   SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo SEQUENCE,
//     certificates [0] IMPLICIT CertificateSet OPTIONAL,
//     crls [1] IMPLICIT RevocationInfoChoices OPTIONAL, signerInfos SET }
// Errc::invalid_argument when the bytes are not that, in DER, with nothing after it.
struct SignedDataFields {
    Element version;
    Element digest_algorithms;
    Element encap_content_info;
    std::optional<Element> certificates;
    std::optional<Element> crls;
    Element signer_infos;
};
SignedDataFields split_signed_data(ByteView content_info);

// A ContentInfo of id-signedData around `signed_data_content` (the SignedData's content octets).
Bytes wrap_signed_data(ByteView signed_data_content);

}  // namespace signet::sign::der
