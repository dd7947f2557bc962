// An attached CMS from a detached one (sign/cms_signature.hpp attach_content): the content put
// into encapContentInfo as eContent by a DER splice, the signed parts kept byte for byte.
#include "common/der.hpp"
#include "common/error.hpp"
#include "sign/cms_signature.hpp"
#include "sign/der_reader.hpp"

namespace signet::sign {

namespace {

constexpr std::uint8_t kOctetString = 0x04;

}  // namespace

Bytes attach_content(ByteView cms_der, ByteView content) {
    const der::SignedDataFields fields = der::split_signed_data(cms_der);
    // EncapsulatedContentInfo ::= SEQUENCE { eContentType ContentType,
    //   eContent [0] EXPLICIT OCTET STRING OPTIONAL } (RFC 5652 §5.2).
    ByteView encap = fields.encap_content_info.content;
    const der::Element type = der::read(encap, "eContentType");
    if (type.tag != der::kObjectIdentifier)
        throw Error(Errc::invalid_argument, "the SignedData's eContentType is not an OID");
    if (!encap.empty())
        throw Error(Errc::invalid_argument, "the SignedData already holds its content");

    Bytes encap_content(type.encoding.begin(), type.encoding.end());
    append_der_tlv(encap_content, der::kContext0, der_tlv(kOctetString, content));
    // The version stays: it depends on the eContentType, the certificates and the
    // RevocationInfoChoices (§5.1), not on whether the content is attached. The signed
    // attributes' message-digest already covers `content` (the caller's promise): with signed
    // attributes the signature is over them, not over eContent (§5.4).
    Bytes signed_data(fields.version.encoding.begin(), fields.version.encoding.end());
    signed_data.insert(signed_data.end(), fields.digest_algorithms.encoding.begin(),
                       fields.digest_algorithms.encoding.end());
    append_der_tlv(signed_data, der::kSequence, encap_content);
    for (const auto* optional : {&fields.certificates, &fields.crls})
        if (*optional)
            signed_data.insert(signed_data.end(), (*optional)->encoding.begin(),
                               (*optional)->encoding.end());
    signed_data.insert(signed_data.end(), fields.signer_infos.encoding.begin(),
                       fields.signer_infos.encoding.end());
    return der::wrap_signed_data(signed_data);
}

}  // namespace signet::sign
