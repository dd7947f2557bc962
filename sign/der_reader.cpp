#include "sign/der_reader.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "common/der.hpp"
#include "common/error.hpp"

namespace signet::sign::der {

namespace {

[[noreturn]] void malformed(std::string_view what, std::string_view why) {
    throw Error(Errc::invalid_argument, std::string(what) + " is not DER: " + std::string(why));
}

// id-signedData (RFC 5652 §5.1): 1.2.840.113549.1.7.2, as its DER TLV.
constexpr std::array<std::uint8_t, 11> kIdSignedData = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                                        0xf7, 0x0d, 0x01, 0x07, 0x02};

}  // namespace

SignedDataFields split_signed_data(ByteView content_info) {
    ByteView in = content_info;
    const Element info = read(in, "the ContentInfo");
    if (info.tag != kSequence || !in.empty())
        malformed("the ContentInfo", "not one SEQUENCE with nothing after it");
    ByteView fields = info.content;
    const Element type = read(fields, "the ContentInfo's contentType");
    if (!std::equal(type.encoding.begin(), type.encoding.end(), kIdSignedData.begin(),
                    kIdSignedData.end())) {
        throw Error(Errc::invalid_argument, "the ContentInfo does not hold a SignedData");
    }
    const Element explicit_content = read(fields, "the ContentInfo's content");
    if (explicit_content.tag != kContext0 || !fields.empty())
        malformed("the ContentInfo", "its content is not one [0] EXPLICIT element");
    ByteView inner = explicit_content.content;
    const Element signed_data = read(inner, "the SignedData");
    if (signed_data.tag != kSequence || !inner.empty())
        malformed("the SignedData", "not one SEQUENCE");

    ByteView rest = signed_data.content;
    SignedDataFields out;
    out.version = read(rest, "the SignedData's version");
    out.digest_algorithms = read(rest, "the SignedData's digestAlgorithms");
    out.encap_content_info = read(rest, "the SignedData's encapContentInfo");
    if (out.version.tag != kInteger || out.digest_algorithms.tag != kSet ||
        out.encap_content_info.tag != kSequence) {
        malformed("the SignedData", "its version, digestAlgorithms or encapContentInfo");
    }
    Element next = read(rest, "the SignedData");
    if (next.tag == kContext0) {
        out.certificates = next;
        next = read(rest, "the SignedData");
    }
    if (next.tag == kContext1) {
        out.crls = next;
        next = read(rest, "the SignedData");
    }
    if (next.tag != kSet || !rest.empty())
        malformed("the SignedData", "its signerInfos are not a SET at its end");
    out.signer_infos = next;
    return out;
}

Bytes wrap_signed_data(ByteView signed_data_content) {
    const Bytes signed_data = der_tlv(kSequence, signed_data_content);
    Bytes fields(kIdSignedData.begin(), kIdSignedData.end());
    append_der_tlv(fields, kContext0, signed_data);
    return der_tlv(kSequence, fields);
}

}  // namespace signet::sign::der
