#pragma once

// SignedData's fields read by hand (common/der_reader.hpp's walk), internal to sign/: what the
// CMS layer reads that OpenSSL 3.0 has no public accessor for (SignedData's
// RevocationInfoChoices of type other, RFC 5940) and the splice that adds validation data to a
// SignedData without re-encoding its signed parts.
#include <optional>

#include "common/bytes.hpp"
#include "common/der_reader.hpp"

namespace signet::sign::der {

// The walk itself is common/der_reader.hpp's.
using signet::der::Element;
using signet::der::kContext0;
using signet::der::kContext1;
using signet::der::kInteger;
using signet::der::kObjectIdentifier;
using signet::der::kSequence;
using signet::der::kSet;
using signet::der::read;
using signet::der::read_all;

// id-ri-ocsp-response (RFC 5940): 1.3.6.1.5.5.7.16.2, as its DER TLV.
inline constexpr std::uint8_t kIdRiOcspResponse[] = {0x06, 0x08, 0x2b, 0x06, 0x01,
                                                     0x05, 0x05, 0x07, 0x10, 0x02};

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
