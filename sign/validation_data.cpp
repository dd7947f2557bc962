#include "sign/validation_data.hpp"

#include <openssl/cms.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <iterator>
#include <string>

#include "common/der.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"
#include "sign/cms_signature.hpp"
#include "sign/der_reader.hpp"

namespace signet::sign {

namespace {

// A certificate or a revocation set of SignedData holds what one call adds, for a few calls.
constexpr std::size_t kMaxSetElements = 4 * kMaxValidationItems;

// `der` is exactly one element in DER's lengths and decodes with `d2i` as a whole.
template <class T, class Free>
void check_item(ByteView der, T* (*d2i)(T**, const unsigned char**, long), Free free_item,
                const std::string& what) {
    ByteView rest = der;
    der::read(rest, what);
    const unsigned char* cursor = der.data();
    T* item = d2i(nullptr, &cursor, static_cast<long>(der.size()));
    const bool whole = item != nullptr && cursor == der.data() + der.size() && rest.empty();
    if (item != nullptr)
        free_item(item);
    if (!whole) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument, what + " does not decode as one DER value");
    }
}

void check_ocsp_response(ByteView der, const std::string& what) {
    check_item(der, d2i_OCSP_RESPONSE, OCSP_RESPONSE_free, what);
    const unsigned char* cursor = der.data();
    const OcspResponsePtr response(
        d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
    // RFC 6960 §4.2.1: only a successful response carries a status; the others are errors.
    if (OCSP_response_status(response.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
        throw Error(Errc::invalid_argument, what + " is not a successful response");
    const OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
    if (!basic) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument, what + " holds no BasicOCSPResponse");
    }
}

std::vector<Bytes> encodings(const std::optional<der::Element>& set, const char* what) {
    std::vector<Bytes> out;
    if (set) {
        for (const der::Element& e : der::read_all(set->content, kMaxSetElements, what))
            out.emplace_back(e.encoding.begin(), e.encoding.end());
    }
    return out;
}

void add_once(std::vector<Bytes>& set, Bytes element) {
    if (std::find(set.begin(), set.end(), element) != set.end())
        return;
    if (set.size() == kMaxSetElements)
        throw Error(Errc::invalid_argument, "the SignedData would hold more than " +
                                                std::to_string(kMaxSetElements) +
                                                " elements in a set");
    set.push_back(std::move(element));
}

// An [n] IMPLICIT SET OF in DER: the elements in ascending order of their encodings (X.690
// §11.6).
void append_set(Bytes& out, std::uint8_t tag, std::vector<Bytes> elements) {
    if (elements.empty())
        return;
    std::sort(elements.begin(), elements.end());
    Bytes content;
    for (const Bytes& e : elements)
        content.insert(content.end(), e.begin(), e.end());
    append_der_tlv(out, tag, content);
}

// RFC 5652 §5.1: "IF ... ((crls is present) AND (any crls with a type of other are present))
// THEN version MUST be 5"; any other version is kept as it was.
Bytes version_for(const der::Element& version, const std::vector<Bytes>& revocations) {
    const bool other = std::any_of(revocations.begin(), revocations.end(),
                                   [](const Bytes& e) { return e[0] == der::kContext1; });
    if (version.content.size() != 1 || version.content[0] > 5)
        throw Error(Errc::invalid_argument, "the SignedData's version is not 1 to 5");
    if (other && version.content[0] < 5)
        return {der::kInteger, 0x01, 0x05};
    return Bytes(version.encoding.begin(), version.encoding.end());
}

}  // namespace

Bytes add_validation_data(ByteView cms_der, const ValidationData& data) {
    if (cms_der.empty() || cms_der.size() > kMaxCmsBytes)
        throw Error(Errc::invalid_argument,
                    "a CMS is between 1 byte and " + std::to_string(kMaxCmsBytes) + " bytes");
    for (const auto* items : {&data.certificates, &data.crls, &data.ocsp_responses}) {
        if (items->size() > kMaxValidationItems)
            throw Error(Errc::invalid_argument,
                        "at most " + std::to_string(kMaxValidationItems) + " items of a kind");
    }
    {
        const unsigned char* cursor = cms_der.data();
        const CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &cursor, static_cast<long>(cms_der.size())));
        if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
            clear_openssl_errors();
            throw Error(Errc::invalid_argument, "not a CMS SignedData (RFC 5652 section 5)");
        }
    }
    const der::SignedDataFields fields = der::split_signed_data(cms_der);
    std::vector<Bytes> certificates = encodings(fields.certificates, "SignedData.certificates");
    std::vector<Bytes> revocations = encodings(fields.crls, "SignedData.crls");

    for (std::size_t i = 0; i < data.certificates.size(); ++i) {
        check_item(data.certificates[i], d2i_X509, X509_free,
                   "certificate " + std::to_string(i + 1));
        add_once(certificates, data.certificates[i]);
    }
    for (std::size_t i = 0; i < data.crls.size(); ++i) {
        check_item(data.crls[i], d2i_X509_CRL, X509_CRL_free, "CRL " + std::to_string(i + 1));
        add_once(revocations, data.crls[i]);
    }
    for (std::size_t i = 0; i < data.ocsp_responses.size(); ++i) {
        check_ocsp_response(data.ocsp_responses[i], "OCSP response " + std::to_string(i + 1));
        // RevocationInfoChoice other: [1] IMPLICIT OtherRevocationInfoFormat
        //   { otherRevInfoFormat id-ri-ocsp-response, otherRevInfo OCSPResponse }.
        Bytes other(std::begin(der::kIdRiOcspResponse), std::end(der::kIdRiOcspResponse));
        other.insert(other.end(), data.ocsp_responses[i].begin(), data.ocsp_responses[i].end());
        add_once(revocations, der_tlv(der::kContext1, other));
    }

    Bytes signed_data = version_for(fields.version, revocations);
    for (const der::Element* kept : {&fields.digest_algorithms, &fields.encap_content_info})
        signed_data.insert(signed_data.end(), kept->encoding.begin(), kept->encoding.end());
    append_set(signed_data, der::kContext0, std::move(certificates));
    append_set(signed_data, der::kContext1, std::move(revocations));
    signed_data.insert(signed_data.end(), fields.signer_infos.encoding.begin(),
                       fields.signer_infos.encoding.end());
    Bytes out = der::wrap_signed_data(signed_data);
    if (out.size() > kMaxCmsBytes)
        throw Error(Errc::invalid_argument, "with the validation data the CMS would exceed " +
                                                std::to_string(kMaxCmsBytes) + " bytes");
    return out;
}

}  // namespace signet::sign
