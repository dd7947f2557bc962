#include "sign/cms_signature.hpp"

#include <openssl/cms.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <string>

#include "common/der.hpp"
#include "common/error.hpp"
#include "sign/cms_algorithms.hpp"
#include "sign/der_reader.hpp"
#include "tsa/verify.hpp"

namespace signet::sign {

namespace {

hsm::Padding padding_for(const hsm::Signer& key, const CmsSignOptions& options) {
    if (is_ec(key.key_type()))
        return hsm::Padding::ecdsa;
    if (options.rsa_padding == hsm::Padding::ecdsa)
        throw Error(Errc::invalid_argument, "an RSA key signs with PKCS#1 v1.5 or PSS padding");
    return options.rsa_padding;
}

// What is refused before the HSM is asked to sign.
void check_request(const ContentDigest& content, const CmsSigner& signer) {
    if (content.value.size() != digest_size(content.algorithm)) {
        throw Error(Errc::invalid_argument,
                    "the content digest has " + std::to_string(content.value.size()) + " bytes; " +
                        std::string(to_string(content.algorithm)) + " has " +
                        std::to_string(digest_size(content.algorithm)));
    }
    if (!signer.key || !signer.certificate)
        throw Error(Errc::invalid_argument, "a signature needs a key and its certificate");
    if (std::any_of(signer.chain.begin(), signer.chain.end(), [](const X509Ptr& c) { return !c; }))
        throw Error(Errc::invalid_argument, "the certificate chain holds an empty entry");
    X509* certificate = signer.certificate.get();
    const EVP_PKEY* certified = X509_get0_pubkey(certificate);
    if (certified == nullptr || EVP_PKEY_eq(certified, signer.key->public_key()) != 1) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument,
                    "the certificate does not hold the signing key's public key; nothing signed");
    }
    // RFC 5280 §4.2.1.3: a key that signs documents needs digitalSignature or nonRepudiation
    // (contentCommitment) when the certificate restricts its usage.
    if ((X509_get_extension_flags(certificate) & EXFLAG_KUSAGE) != 0 &&
        (X509_get_key_usage(certificate) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
        throw Error(Errc::invalid_argument,
                    "the certificate's keyUsage allows neither digitalSignature nor "
                    "nonRepudiation (RFC 5280 section 4.2.1.3); nothing signed");
    }
}

// The signed attributes as they are signed (RFC 5652 §5.4): "a separate encoding of the
// signedAttrs field is performed for message digest calculation. The IMPLICIT [0] tag in the
// signedAttrs is not used for the DER encoding, rather an EXPLICIT SET OF tag is used" — a DER
// SET OF, its elements in ascending order of their encodings (X.690 §11.6). The SignerInfo's own
// list is put in that order too: OpenSSL writes it sorted, but CMS_SignerInfo_verify encodes it
// in the list's order.
Bytes order_signed_attributes(CMS_SignerInfo* si) {
    struct Encoded {
        Bytes der;
        X509AttributePtr attribute;
    };
    std::vector<Encoded> attributes;
    while (CMS_signed_get_attr_count(si) > 0) {
        X509AttributePtr attribute(CMS_signed_delete_attr(si, 0));
        if (!attribute)
            throw_openssl_error("cannot take a signed attribute");
        Bytes der = to_der(i2d_X509_ATTRIBUTE, attribute.get());
        attributes.push_back({std::move(der), std::move(attribute)});
    }
    std::sort(attributes.begin(), attributes.end(),
              [](const Encoded& a, const Encoded& b) { return a.der < b.der; });
    Bytes content;
    for (const Encoded& a : attributes) {
        content.insert(content.end(), a.der.begin(), a.der.end());
        check_openssl(CMS_signed_add1_attr(si, a.attribute.get()),
                      "cannot put a signed attribute back");
    }
    return der_tlv(der::kSet, content);
}

void add_signed_attributes(CMS_SignerInfo* si, const ContentDigest& content,
                           const CmsSignOptions& options) {
    // RFC 5652 §11.1: content-type, here id-data (a detached signature over bytes).
    check_openssl(CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                              OBJ_nid2obj(NID_pkcs7_data), -1),
                  "cannot add the content-type attribute");
    // RFC 5652 §11.2: message-digest.
    check_openssl(
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING,
                                    content.value.data(), static_cast<int>(content.value.size())),
        "cannot add the message-digest attribute");
    if (options.signing_time) {
        const Asn1TimePtr time(
            ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(*options.signing_time)));
        // RFC 5652 §11.3: UTCTime from 1950 to 2049, GeneralizedTime otherwise; ASN1_TIME_set
        // picks so.
        if (!time || CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
                                                 ASN1_STRING_type(time.get()), time.get(), -1) <= 0)
            throw_openssl_error("cannot add the signing-time attribute");
    }
}

// RFC 3161 appendix A: the token's messageImprint is the hash of the SignerInfo's signature
// value; a token over anything else (or not a token) is a fault of the time-stamper.
void check_token(ByteView token, Digest algorithm, ByteView imprint) {
    try {
        const tsa::ParsedToken parsed = tsa::parse_token(token);
        const tsa::TokenSummary summary = tsa::summarize(parsed);
        if (parsed.from_response)
            throw Error(Errc::internal, "a TimeStampResp, not a TimeStampToken");
        if (summary.imprint_algorithm != lowercase_name(algorithm) ||
            !std::equal(summary.imprint.begin(), summary.imprint.end(), imprint.begin(),
                        imprint.end())) {
            throw Error(Errc::internal, "its messageImprint is not the signature value's hash");
        }
    } catch (const Error& e) {
        throw Error(Errc::internal,
                    std::string("the time-stamper's token is unusable: ") + e.what());
    }
}

void add_time_stamp(CMS_SignerInfo* si, Digest algorithm, const TimeStamper& time_stamper) {
    const ASN1_OCTET_STRING* signature = CMS_SignerInfo_get0_signature(si);
    const Bytes imprint =
        hash(algorithm, ByteView(ASN1_STRING_get0_data(signature),
                                 static_cast<std::size_t>(ASN1_STRING_length(signature))));
    const Bytes token = time_stamper(algorithm, imprint);
    check_token(token, algorithm, imprint);
    // The attribute's value is the token itself (a ContentInfo, a SEQUENCE), as encoded.
    check_openssl(CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
                                                token.data(), static_cast<int>(token.size())),
                  "cannot add the signature-time-stamp attribute");
}

}  // namespace

ContentDigest digest_content(Digest algorithm, ByteView content) {
    return {algorithm, hash(algorithm, content)};
}

ContentHasher::ContentHasher(Digest algorithm) : algorithm_(algorithm), context_(EVP_MD_CTX_new()) {
    if (!context_ || EVP_DigestInit_ex(context_.get(), evp_md(algorithm), nullptr) != 1)
        throw_openssl_error("cannot start a digest");
}

void ContentHasher::update(ByteView piece) {
    if (!context_)
        throw Error(Errc::failed_precondition, "the content digest is already finished");
    check_openssl(EVP_DigestUpdate(context_.get(), piece.data(), piece.size()),
                  "cannot hash the content");
}

ContentDigest ContentHasher::finish() {
    if (!context_)
        throw Error(Errc::failed_precondition, "the content digest is already finished");
    ContentDigest digest{algorithm_, Bytes(digest_size(algorithm_))};
    unsigned int size = 0;
    check_openssl(EVP_DigestFinal_ex(context_.get(), digest.value.data(), &size),
                  "cannot hash the content");
    context_.reset();
    return digest;
}

Bytes sign_detached(const ContentDigest& content, const CmsSigner& signer,
                    const TimeStamper& time_stamper, const CmsSignOptions& options) {
    if (!time_stamper)
        throw Error(Errc::invalid_argument, "a B-T signature needs a time-stamper");
    check_request(content, signer);
    const hsm::Padding padding = padding_for(*signer.key, options);

    // OpenSSL builds the structure; it signs nothing. CMS_PARTIAL leaves the SignerInfo unsigned
    // (CMS_final would add a signing-time of its own, OpenSSL 3.0's CMS_SignerInfo_sign), and the
    // key handed over is the public one: CMS_add1_signer only compares it with the certificate
    // and takes the SignerIdentifier, the digestAlgorithm and (CMS_CADES) the
    // signing-certificate-v2 attribute from them.
    CmsPtr cms(
        CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_DETACHED | CMS_BINARY));
    if (!cms)
        throw_openssl_error("cannot start a SignedData");
    CMS_SignerInfo* si = CMS_add1_signer(cms.get(), signer.certificate.get(),
                                         signer.key->public_key(), evp_md(content.algorithm),
                                         CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP | CMS_CADES);
    if (si == nullptr)
        throw_openssl_error("cannot add the SignerInfo");
    for (const X509Ptr& certificate : signer.chain) {
        if (CMS_add1_cert(cms.get(), certificate.get()) <= 0)  // -1: already there
            clear_openssl_errors();
    }
    add_signed_attributes(si, content, options);
    X509_ALGOR* signature_algorithm = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, nullptr, nullptr, &signature_algorithm);
    set_signature_algorithm(signature_algorithm, padding, content.algorithm);

    const Bytes to_be_signed = hash(content.algorithm, order_signed_attributes(si));
    const Bytes signature = signer.key->sign_digest(content.algorithm, padding, to_be_signed);
    check_openssl(ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), signature.data(),
                                  static_cast<int>(signature.size())),
                  "cannot set the signature");
    // OpenSSL re-encodes the signed attributes and checks the signature with the certificate's
    // key: what any verifier will do, before the TSA is asked.
    if (CMS_SignerInfo_verify(si) != 1) {
        throw Error(Errc::internal, "the HSM's signature does not verify: " +
                                        drain_openssl_errors("no reason given"));
    }
    add_time_stamp(si, content.algorithm, time_stamper);
    Bytes der = to_der(i2d_CMS_ContentInfo, cms.get());
    if (der.size() > kMaxCmsBytes)
        throw Error(Errc::invalid_argument,
                    "the signature would exceed " + std::to_string(kMaxCmsBytes) + " bytes");
    return der;
}

}  // namespace signet::sign
