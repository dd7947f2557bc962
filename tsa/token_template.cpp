#include "tsa/token_template.hpp"

#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <cstdio>

#include "common/der.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"

namespace signet::tsa {

namespace {

constexpr std::uint8_t kSequence = 0x30;
constexpr std::uint8_t kSet = 0x31;
constexpr std::uint8_t kInteger = 0x02;
constexpr std::uint8_t kOctetString = 0x04;
constexpr std::uint8_t kUtcTime = 0x17;
constexpr std::uint8_t kGeneralizedTime = 0x18;
constexpr std::uint8_t kContext0 = 0xa0;  // [0], constructed

// OBJECT IDENTIFIERs as DER (RFC 5652 §14, RFC 3161 §2.4.2, RFC 2985 §5.3).
constexpr std::uint8_t kSignedDataOid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                           0xf7, 0x0d, 0x01, 0x07, 0x02};
constexpr std::uint8_t kTstInfoOid[] = {0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                        0x0d, 0x01, 0x09, 0x10, 0x01, 0x04};
constexpr std::uint8_t kContentTypeOid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                            0xf7, 0x0d, 0x01, 0x09, 0x03};
constexpr std::uint8_t kMessageDigestOid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                              0xf7, 0x0d, 0x01, 0x09, 0x04};
constexpr std::uint8_t kSigningTimeOid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                            0xf7, 0x0d, 0x01, 0x09, 0x05};
// id-aa-signingCertificateV2 (RFC 5035 §3).
constexpr std::uint8_t kSigningCertificateV2Oid[] = {0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                                     0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f};
// PKIStatusInfo { status granted(0) } (RFC 3161 §2.4.2).
constexpr std::uint8_t kGranted[] = {0x30, 0x03, 0x02, 0x01, 0x00};
// TSTInfo.version v1.
constexpr std::uint8_t kVersion1[] = {0x02, 0x01, 0x01};
// SignedData.version 3: eContentType is not id-data (RFC 5652 §5.1).
constexpr std::uint8_t kVersion3[] = {0x02, 0x01, 0x03};

void append(Bytes& out, ByteView bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }

// X.690 §11.6: the components of a SET OF in DER are in ascending order of their encodings,
// compared as octet strings, the shorter one padded at its end with zero octets.
bool der_set_order(const Bytes& a, const Bytes& b) {
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t x = i < a.size() ? a[i] : 0;
        const std::uint8_t y = i < b.size() ? b[i] : 0;
        if (x != y)
            return x < y;
    }
    return false;
}

Bytes der_set(std::vector<Bytes> components) {
    std::ranges::sort(components, der_set_order);
    Bytes content;
    for (const Bytes& c : components)
        append(content, c);
    return der_tlv(kSet, content);
}

Bytes attribute(ByteView type, ByteView value) {
    Bytes content(type.begin(), type.end());
    append(content, der_tlv(kSet, value));
    return der_tlv(kSequence, content);
}

// The content octets of the positive INTEGER whose magnitude is `magnitude` (X.690 §8.3.2: the
// fewest octets, a leading zero octet only when the first bit is set).
Bytes positive_integer_content(ByteView magnitude) {
    while (!magnitude.empty() && magnitude[0] == 0)
        magnitude = magnitude.subspan(1);
    Bytes content;
    if (magnitude.empty() || (magnitude[0] & 0x80) != 0)
        content.push_back(0);
    append(content, magnitude);
    return content;
}

// RFC 5652 §11.3: signingTime is UTCTime for 1950 to 2049, GeneralizedTime otherwise.
Bytes signing_time_value(Clock::time_point at) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(at.time_since_epoch()).count();
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    const int year = tm.tm_year + 1900;
    char text[64];
    if (year >= 1950 && year < 2050) {
        std::snprintf(text, sizeof text, "%02d%02d%02d%02d%02d%02dZ", year % 100, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return der_tlv(kUtcTime, as_bytes(std::string_view(text)));
    }
    std::snprintf(text, sizeof text, "%04d%02d%02d%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    return der_tlv(kGeneralizedTime, as_bytes(std::string_view(text)));
}

// The signing-certificate-v2 attribute as OpenSSL's TS responder makes it
// (OSSL_ESS_signing_cert_v2_new_init without IssuerSerial): the signer's ESSCertIDv2, then the
// chain's when asked (RFC 5035 §5.4: the first identifies the signing certificate).
Bytes signing_certificate_attribute(const TemplateSigner& signer) {
    X509StackPtr chain(sk_X509_new_null());
    if (!chain)
        throw_openssl_error("cannot list the chain");
    if (signer.ess_chain) {
        for (const X509* ca : signer.chain) {
            if (sk_X509_push(chain.get(), const_cast<X509*>(ca)) <= 0)
                throw_openssl_error("cannot list the chain");
        }
    }
    EssSigningCertV2Ptr value(OSSL_ESS_signing_cert_v2_new_init(
        signer.ess_digest, signer.certificate, chain.get(), 0));
    // The stack only borrowed the certificates.
    while (sk_X509_num(chain.get()) > 0)
        sk_X509_pop(chain.get());
    if (!value)
        throw_openssl_error("cannot make the signing-certificate-v2 attribute");
    return attribute(kSigningCertificateV2Oid,
                     to_der(i2d_ESS_SIGNING_CERT_V2,
                            static_cast<const ESS_SIGNING_CERT_V2*>(value.get())));
}

const PKCS7_SIGNER_INFO* only_signer(const PKCS7* token) {
    if (token == nullptr || !PKCS7_type_is_signed(token) || token->d.sign == nullptr ||
        sk_PKCS7_SIGNER_INFO_num(token->d.sign->signer_info) != 1)
        return nullptr;
    return sk_PKCS7_SIGNER_INFO_value(token->d.sign->signer_info, 0);
}

}  // namespace

TokenTemplate::TokenTemplate(const TS_RESP* sample, const TemplateSigner& signer,
                             const std::vector<std::string>& policies)
    : key_(signer.key), digest_(signer.signing_digest) {
    PKCS7* token = TS_RESP_get_token(const_cast<TS_RESP*>(sample));
    TS_TST_INFO* info = TS_RESP_get_tst_info(const_cast<TS_RESP*>(sample));
    const PKCS7_SIGNER_INFO* sample_signer = only_signer(token);
    if (signer.key == nullptr || signer.certificate == nullptr || digest_ == nullptr ||
        signer.ess_digest == nullptr || info == nullptr || sample_signer == nullptr)
        throw Error(Errc::crypto, "the template's sample is not a granted time-stamp token");
    if (TS_TST_INFO_get_exts(info) != nullptr)
        throw Error(Errc::crypto, "the template's sample carries extensions");
    if (OBJ_obj2nid(sample_signer->digest_alg->algorithm) != EVP_MD_get_type(digest_))
        throw Error(Errc::crypto, "the template's sample is signed with another digest");
    // The SignerInfo's identifier is taken from the sample: it must name the signer's certificate.
    const PKCS7_ISSUER_AND_SERIAL* sid = sample_signer->issuer_and_serial;
    if (sid == nullptr || X509_NAME_cmp(sid->issuer, X509_get_issuer_name(signer.certificate)) != 0 ||
        ASN1_INTEGER_cmp(sid->serial, X509_get0_serialNumber(signer.certificate)) != 0)
        throw Error(Errc::crypto, "the template's sample names another signer certificate");
    // Exactly the attributes this template makes: another one would be silently dropped.
    std::vector<int> attributes;
    for (int i = 0; i < sk_X509_ATTRIBUTE_num(sample_signer->auth_attr); ++i)
        attributes.push_back(OBJ_obj2nid(X509_ATTRIBUTE_get0_object(
            const_cast<X509_ATTRIBUTE*>(sk_X509_ATTRIBUTE_value(sample_signer->auth_attr, i)))));
    std::ranges::sort(attributes);
    std::vector<int> expected{NID_pkcs9_contentType, NID_pkcs9_messageDigest,
                              NID_pkcs9_signingTime, NID_id_smime_aa_signingCertificateV2};
    std::ranges::sort(expected);
    if (attributes != expected)
        throw Error(Errc::crypto, "the template's sample has other signed attributes than "
                                  "contentType, signingTime, messageDigest and "
                                  "signing-certificate-v2");

    for (const std::string& policy : policies) {
        Asn1ObjectPtr oid(OBJ_txt2obj(policy.c_str(), 1));
        if (!oid)
            throw Error(Errc::invalid_argument, "'" + policy + "' is not an OID");
        Bytes der = to_der(i2d_ASN1_OBJECT, static_cast<const ASN1_OBJECT*>(oid.get()));
        // Found by the text it was configured as and by its canonical text, which is how
        // check_request names a requested policy.
        policies_.emplace(oid_text(oid.get()), der);
        policies_.emplace(policy, std::move(der));
    }
    if (const TS_ACCURACY* accuracy = TS_TST_INFO_get_accuracy(info))
        accuracy_ = to_der(i2d_TS_ACCURACY, accuracy);
    if (TS_TST_INFO_get_ordering(info) != 0)
        ordering_ = {0x01, 0x01, 0xff};
    // tsa [0] GeneralName: explicit, GeneralName being a CHOICE (X.680 §31.2.7).
    if (const GENERAL_NAME* name = TS_TST_INFO_get_tsa(info))
        tsa_name_ = der_tlv(kContext0, to_der(i2d_GENERAL_NAME, name));

    const PKCS7_SIGNED* signed_data = token->d.sign;
    std::vector<Bytes> algorithms;
    for (int i = 0; i < sk_X509_ALGOR_num(signed_data->md_algs); ++i)
        algorithms.push_back(to_der(i2d_X509_ALGOR, static_cast<const X509_ALGOR*>(
                                                        sk_X509_ALGOR_value(signed_data->md_algs, i))));
    digest_algorithms_ = der_set(std::move(algorithms));
    // The certificates in the order OpenSSL sends them (PKCS #7 keeps them as a SEQUENCE OF):
    // the signer's first, then the chain.
    Bytes certificates = to_der(i2d_X509, signer.certificate);
    for (const X509* ca : signer.chain)
        append(certificates, to_der(i2d_X509, ca));
    certificates_ = der_tlv(kContext0, certificates);
    signing_certificate_ = signing_certificate_attribute(signer);

    append(signer_prefix_, to_der(i2d_ASN1_INTEGER, static_cast<const ASN1_INTEGER*>(sample_signer->version)));
    append(signer_prefix_, to_der(i2d_PKCS7_ISSUER_AND_SERIAL,
                                  static_cast<const PKCS7_ISSUER_AND_SERIAL*>(sample_signer->issuer_and_serial)));
    append(signer_prefix_, to_der(i2d_X509_ALGOR, static_cast<const X509_ALGOR*>(sample_signer->digest_alg)));
    signature_algorithm_ = to_der(i2d_X509_ALGOR, static_cast<const X509_ALGOR*>(sample_signer->digest_enc_alg));
}

Bytes TokenTemplate::tst_info(const TokenFields& fields) const {
    const auto policy = policies_.find(fields.policy);
    if (policy == policies_.end())
        throw Error(Errc::invalid_argument,
                    "the policy " + std::string(fields.policy) + " is not one of the template's");
    // RFC 3161 §2.4.2, in its order: version, policy, messageImprint, serialNumber, genTime,
    // accuracy, ordering, nonce, tsa (no extensions).
    Bytes content(std::begin(kVersion1), std::end(kVersion1));
    append(content, policy->second);
    append(content, fields.message_imprint);
    append_der_tlv(content, kInteger, positive_integer_content(fields.serial));
    append_der_tlv(content, kGeneralizedTime, as_bytes(fields.gen_time));
    append(content, accuracy_);
    append(content, ordering_);
    if (fields.nonce)
        append_der_tlv(content, kInteger, *fields.nonce);
    append(content, tsa_name_);
    return der_tlv(kSequence, content);
}

// RFC 5652 §5.3-5.4: contentType (id-ct-TSTInfo), signingTime, messageDigest (the TSTInfo's
// digest with the SignerInfo's algorithm) and the signer's signing-certificate-v2, as the SET
// whose DER the signature covers.
Bytes TokenTemplate::signed_attributes(ByteView tst_info, Clock::time_point signing_time) const {
    std::vector<Bytes> attributes;
    attributes.push_back(attribute(kContentTypeOid, kTstInfoOid));
    attributes.push_back(attribute(kSigningTimeOid, signing_time_value(signing_time)));
    attributes.push_back(
        attribute(kMessageDigestOid, der_tlv(kOctetString, digest_of(digest_, tst_info))));
    attributes.push_back(signing_certificate_);
    return der_set(std::move(attributes));
}

Bytes TokenTemplate::encode(const TokenFields& fields) const {
    const Bytes tst = tst_info(fields);
    Bytes attributes = signed_attributes(tst, fields.signing_time);

    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    std::size_t size = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digest_, nullptr, key_) != 1 ||
        EVP_DigestSignUpdate(ctx.get(), attributes.data(), attributes.size()) != 1 ||
        EVP_DigestSignFinal(ctx.get(), nullptr, &size) != 1)
        throw_openssl_error("cannot sign the token's attributes");
    Bytes signature(size);
    if (EVP_DigestSignFinal(ctx.get(), signature.data(), &size) != 1)
        throw_openssl_error("cannot sign the token's attributes");
    signature.resize(size);

    // SignerInfo: the signed attributes as [0] IMPLICIT (RFC 5652 §5.3), then the signature.
    attributes[0] = kContext0;
    Bytes signer = signer_prefix_;
    append(signer, attributes);
    append(signer, signature_algorithm_);
    append_der_tlv(signer, kOctetString, signature);

    Bytes encapsulated(std::begin(kTstInfoOid), std::end(kTstInfoOid));
    append_der_tlv(encapsulated, kContext0, der_tlv(kOctetString, tst));
    Bytes signed_data(std::begin(kVersion3), std::end(kVersion3));
    append(signed_data, digest_algorithms_);
    append_der_tlv(signed_data, kSequence, encapsulated);
    if (fields.cert_req)
        append(signed_data, certificates_);
    append_der_tlv(signed_data, kSet, der_tlv(kSequence, signer));

    Bytes content_info(std::begin(kSignedDataOid), std::end(kSignedDataOid));
    append_der_tlv(content_info, kContext0, der_tlv(kSequence, signed_data));
    Bytes response(std::begin(kGranted), std::end(kGranted));
    append_der_tlv(response, kSequence, content_info);
    return der_tlv(kSequence, response);
}

namespace {

// Each signed attribute's DER in the order the token holds them (OpenSSL keeps the order it read),
// signingTime's value left out.
std::vector<Bytes> attributes_of(const PKCS7_SIGNER_INFO* signer) {
    std::vector<Bytes> out;
    for (int i = 0; i < sk_X509_ATTRIBUTE_num(signer->auth_attr); ++i) {
        const X509_ATTRIBUTE* a = sk_X509_ATTRIBUTE_value(signer->auth_attr, i);
        const int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(const_cast<X509_ATTRIBUTE*>(a)));
        out.push_back(nid == NID_pkcs9_signingTime ? Bytes{0} : to_der(i2d_X509_ATTRIBUTE, a));
    }
    return out;
}

std::vector<Bytes> certificates_of(const PKCS7* token) {
    std::vector<Bytes> out;
    for (int i = 0; i < sk_X509_num(token->d.sign->cert); ++i)
        out.push_back(to_der(i2d_X509, static_cast<const X509*>(sk_X509_value(token->d.sign->cert, i))));
    return out;
}

// As TS_RESP_verify_signature checks a token: the messageDigest over the content and the
// signature over the signed attributes, with `certificate`'s key.
bool signature_verifies(PKCS7* token, X509* certificate) {
    BioPtr data(PKCS7_dataInit(token, nullptr));
    if (!data)
        return false;
    char buffer[4096];
    while (BIO_read(data.get(), buffer, sizeof buffer) > 0) {
    }
    return PKCS7_signatureVerify(data.get(), token,
                                 sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(token), 0),
                                 certificate) == 1;
}

}  // namespace

std::string differences_from_sample(const TS_RESP* sample, ByteView ours, X509* signer) {
    const unsigned char* cursor = ours.data();
    TsRespPtr decoded(d2i_TS_RESP(nullptr, &cursor, static_cast<long>(ours.size())));
    if (!decoded || cursor != ours.data() + ours.size())
        return "it is not one TimeStampResp OpenSSL can read";
    // DER: what OpenSSL read encodes back to the same bytes (lengths, and the order of every
    // SET OF, which OpenSSL keeps as read).
    if (to_der(i2d_TS_RESP, static_cast<const TS_RESP*>(decoded.get())) != Bytes(ours.begin(), ours.end()))
        return "its encoding is not the one OpenSSL reads back";
    TS_RESP* theirs = const_cast<TS_RESP*>(sample);
    if (to_der(i2d_TS_TST_INFO, static_cast<const TS_TST_INFO*>(TS_RESP_get_tst_info(decoded.get()))) !=
        to_der(i2d_TS_TST_INFO, static_cast<const TS_TST_INFO*>(TS_RESP_get_tst_info(theirs))))
        return "its TSTInfo differs";
    PKCS7* a = TS_RESP_get_token(decoded.get());
    PKCS7* b = TS_RESP_get_token(theirs);
    const PKCS7_SIGNER_INFO* sa = only_signer(a);
    const PKCS7_SIGNER_INFO* sb = only_signer(b);
    if (sa == nullptr || sb == nullptr)
        return "it does not have one signer";
    if (certificates_of(a) != certificates_of(b))
        return "its certificates differ";
    const auto same = [](const auto* x, const auto* y, auto i2d) {
        return to_der(i2d, x) == to_der(i2d, y);
    };
    if (!same(static_cast<const PKCS7_ISSUER_AND_SERIAL*>(sa->issuer_and_serial),
              static_cast<const PKCS7_ISSUER_AND_SERIAL*>(sb->issuer_and_serial),
              i2d_PKCS7_ISSUER_AND_SERIAL) ||
        !same(static_cast<const X509_ALGOR*>(sa->digest_alg),
              static_cast<const X509_ALGOR*>(sb->digest_alg), i2d_X509_ALGOR) ||
        !same(static_cast<const X509_ALGOR*>(sa->digest_enc_alg),
              static_cast<const X509_ALGOR*>(sb->digest_enc_alg), i2d_X509_ALGOR))
        return "its signer's identifier or algorithms differ";
    if (attributes_of(sa) != attributes_of(sb))
        return "its signed attributes differ, or are in another order";
    if (!signature_verifies(a, signer)) {
        clear_openssl_errors();
        return "its signature does not verify";
    }
    return "";
}

}  // namespace signet::tsa
