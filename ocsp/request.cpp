#include "ocsp/request.hpp"

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <string>

#include "common/der.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"

namespace signet::ocsp {

namespace {

[[noreturn]] void malformed(const std::string& what) {
    clear_openssl_errors();
    throw Error(Errc::invalid_argument, what);
}

// One TLV of DER that has already been checked to be DER (definite lengths only).
struct Tlv {
    std::uint8_t tag = 0;
    ByteView content;
    ByteView rest;  // what follows the TLV
};

// Reads the TLV at the start of `in`; nullopt if it does not fit (never for checked DER, but the
// walk must not trust that).
std::optional<Tlv> read_tlv(ByteView in) {
    if (in.size() < 2)
        return std::nullopt;
    std::size_t at = 1;
    std::size_t length = in[at++];
    if (length & 0x80) {
        const std::size_t octets = length & 0x7f;
        if (octets == 0 || octets > 3 || in.size() < at + octets)
            return std::nullopt;
        length = 0;
        for (std::size_t i = 0; i < octets; ++i)
            length = (length << 8) | in[at++];
    }
    if (in.size() - at < length)
        return std::nullopt;
    return Tlv{in[0], in.subspan(at, length), in.subspan(at + length)};
}

constexpr std::uint8_t kSequence = 0x30;
constexpr std::uint8_t kNull = 0x05;
constexpr std::uint8_t kOctetString = 0x04;
constexpr std::uint8_t kVersionTag = 0xa0;  // [0] EXPLICIT, constructed

// RFC 6960 §4.1.1: TBSRequest ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, ...}.
// OpenSSL decodes the version as OPTIONAL and has no accessor for it; the walk over the checked
// DER finds it. Present at all is refused: v1 written out is not DER (X.690 §11.5: a DEFAULT
// value is omitted), and no other version exists.
void check_version(ByteView der) {
    const auto request = read_tlv(der);
    const auto tbs = request ? read_tlv(request->content) : std::nullopt;
    if (!tbs || tbs->tag != kSequence)
        malformed("the request is not an OCSPRequest (RFC 6960 section 4.1.1)");
    if (!tbs->content.empty() && tbs->content[0] == kVersionTag)
        malformed("the request carries a version: v1 is the DEFAULT and is omitted in DER "
                  "(X.690 section 11.5), and no other version is defined");
}

// RFC 5754 §2 (SHA-2) and RFC 3370 §2.1 (SHA-1): the AlgorithmIdentifier's parameters are absent
// or NULL. OCSP_id_get0_info gives the OID only, so the CertID's own DER is read.
void check_hash_parameters(OCSP_CERTID* id) {
    const Bytes der = to_der(i2d_OCSP_CERTID, id);
    const auto cert_id = read_tlv(der);
    const auto algorithm = cert_id ? read_tlv(cert_id->content) : std::nullopt;
    const auto oid = algorithm ? read_tlv(algorithm->content) : std::nullopt;
    if (!oid)
        malformed("a CertID's hashAlgorithm cannot be read");
    const ByteView parameters = oid->rest;
    const bool absent = parameters.empty();
    const bool null = parameters.size() == 2 && parameters[0] == kNull && parameters[1] == 0;
    if (!absent && !null)
        malformed("a CertID's hashAlgorithm parameters are neither absent nor NULL "
                  "(RFC 5754 section 2)");
}

Bytes octets(const ASN1_STRING* s) {
    const unsigned char* data = ASN1_STRING_get0_data(s);
    return Bytes(data, data + ASN1_STRING_length(s));
}

CertIdQuery decode_cert_id(OCSP_CERTID* id, std::size_t index) {
    const std::string which = "CertID " + std::to_string(index + 1);
    ASN1_OCTET_STRING* name_hash = nullptr;
    ASN1_OBJECT* algorithm = nullptr;
    ASN1_OCTET_STRING* key_hash = nullptr;
    ASN1_INTEGER* serial = nullptr;
    if (OCSP_id_get0_info(&name_hash, &algorithm, &key_hash, &serial, id) != 1)
        malformed(which + " cannot be read");
    CertIdQuery query;
    std::size_t hash_size = 0;
    switch (OBJ_obj2nid(algorithm)) {
        case NID_sha1:
            query.hash = CertIdHash::sha1;
            hash_size = 20;
            break;
        case NID_sha256:
            query.hash = CertIdHash::sha256;
            hash_size = 32;
            break;
        default:
            // RFC 5019 §2.1.1 (SHA-1) and RFC 9919 (SHA-256) are what clients send.
            malformed(which + " is hashed with an algorithm other than SHA-1 or SHA-256");
    }
    check_hash_parameters(id);
    query.issuer_name_hash = octets(name_hash);
    query.issuer_key_hash = octets(key_hash);
    if (query.issuer_name_hash.size() != hash_size || query.issuer_key_hash.size() != hash_size) {
        malformed(which + "'s issuer hashes are not " + std::to_string(hash_size) + " octets (" +
                  std::string(to_string(query.hash)) + ")");
    }
    // The INTEGER's content octets: i2d gives tag, length, content; the length is short form
    // for any serial up to 127 octets and long form beyond (RFC 5280 §4.1.2.2 allows 20).
    const Bytes integer = to_der(i2d_ASN1_INTEGER, static_cast<const ASN1_INTEGER*>(serial));
    const auto tlv = read_tlv(integer);
    if (!tlv || tlv->content.empty())
        malformed(which + "'s serialNumber cannot be read");
    query.serial.assign(tlv->content.begin(), tlv->content.end());
    return query;
}

// RFC 9654 §2.1 (RFC 8954): the nonce extension's extnValue holds the DER of
// Nonce ::= OCTET STRING (SIZE(1..32)).
Bytes decode_nonce(X509_EXTENSION* extension) {
    const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(extension);
    const Bytes der = octets(value);
    const auto nonce = read_tlv(der);
    if (!nonce || nonce->tag != kOctetString || !nonce->rest.empty())
        malformed("the nonce is not an OCTET STRING (RFC 9654 section 2.1)");
    if (nonce->content.empty() || nonce->content.size() > kMaxNonceBytes) {
        malformed("the nonce has " + std::to_string(nonce->content.size()) +
                  " octets; RFC 9654 section 2.1 allows 1 to 32");
    }
    // DER: the length octet is the short form (a 1..32-octet value never needs the long one).
    if (der.size() != 2 + nonce->content.size())
        malformed("the nonce's length is not DER (X.690 section 10.1)");
    return Bytes(nonce->content.begin(), nonce->content.end());
}

// RFC 5280 §4.2 (which RFC 6960 §4.4 extensions follow): a critical extension that is not
// understood makes the request unacceptable; a non-critical one is ignored.
template <class Get>
void check_extensions(int count, Get get, std::optional<Bytes>* nonce, const std::string& where) {
    for (int i = 0; i < count; ++i) {
        X509_EXTENSION* extension = get(i);
        const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(extension));
        if (nonce != nullptr && nid == NID_id_pkix_OCSP_Nonce) {
            if (nonce->has_value())
                malformed("the request has two nonces");
            *nonce = decode_nonce(extension);
            continue;
        }
        if (X509_EXTENSION_get_critical(extension) > 0)
            malformed(where + " has a critical extension this responder does not understand");
    }
}

}  // namespace

DecodedRequest decode_request(ByteView der, std::size_t max_ids) {
    if (der.empty())
        malformed("the request is empty");
    if (der.size() > kMaxRequestBytes) {
        malformed("the request is larger than " + std::to_string(kMaxRequestBytes) + " bytes");
    }
    // OpenSSL's decoder takes BER too and stops after the first object. RFC 6960 §4.1.1 defines
    // the request in DER: encoding what was decoded must give back exactly the bytes received.
    const unsigned char* cursor = der.data();
    OcspRequestPtr request(d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(der.size())));
    if (!request)
        malformed("the request is not an OCSPRequest (RFC 6960 section 4.1.1)");
    if (cursor != der.data() + der.size())
        malformed("the request has bytes after the OCSPRequest");
    const Bytes again = to_der(i2d_OCSP_REQUEST, static_cast<const OCSP_REQUEST*>(request.get()));
    if (!std::ranges::equal(again, der))
        malformed("the request is not DER-encoded (X.690 section 10)");
    check_version(der);

    const int count = OCSP_request_onereq_count(request.get());
    if (count <= 0)
        malformed("the request names no certificate");
    if (static_cast<std::size_t>(count) > max_ids) {
        malformed("the request names " + std::to_string(count) + " certificates; at most " +
                  std::to_string(max_ids) + " are answered in one request");
    }

    DecodedRequest decoded;
    OCSP_REQUEST* req = request.get();
    check_extensions(
        OCSP_REQUEST_get_ext_count(req), [&](int i) { return OCSP_REQUEST_get_ext(req, i); },
        &decoded.nonce, "the request");
    decoded.ids.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        OCSP_ONEREQ* one = OCSP_request_onereq_get0(req, i);
        const std::string which = "CertID " + std::to_string(i + 1);
        check_extensions(
            OCSP_ONEREQ_get_ext_count(one), [&](int e) { return OCSP_ONEREQ_get_ext(one, e); },
            nullptr, which);
        decoded.ids.push_back(decode_cert_id(OCSP_onereq_get0_id(one), static_cast<std::size_t>(i)));
    }
    // A signed request (RFC 6960 §4.1.2) decodes like any other: its optionalSignature is not
    // checked, because every certificate's status is public and no client is turned away.
    return decoded;
}

}  // namespace signet::ocsp
