#include "sign/verify_evidence.hpp"

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>

#include "common/der.hpp"
#include "common/error.hpp"
#include "sign/der_reader.hpp"
#include "sign/validation_data.hpp"

namespace signet::sign {

namespace {

std::string name_text(const X509_NAME* name) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0)
        throw_openssl_error("cannot print a name");
    BUF_MEM* memory = nullptr;
    BIO_get_mem_ptr(bio.get(), &memory);
    return std::string(memory->data, memory->length);
}

// Where evidence comes from, for error messages: "the CMS embeds" or the external data's words.
constexpr const char* kEmbedded = "the CMS embeds ";
constexpr const char* kExternal = "the validation data beside the CMS (a PDF's /DSS) holds ";

[[noreturn]] void undecodable(const char* where, const std::string& what) {
    clear_openssl_errors();
    throw Error(Errc::invalid_argument, where + what + " that does not decode");
}

OcspBasicRespPtr read_ocsp(ByteView der, std::size_t n, const char* where) {
    const std::string what = "OCSP response " + std::to_string(n);
    const unsigned char* cursor = der.data();
    const OcspResponsePtr response(
        d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
    if (!response || cursor != der.data() + der.size())
        undecodable(where, what);
    if (OCSP_response_status(response.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        throw Error(Errc::invalid_argument, where + what + ", which is not a successful response");
    }
    OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
    if (!basic)
        undecodable(where, what + "'s BasicOCSPResponse");
    return basic;
}

X509CrlPtr read_crl(ByteView der, std::size_t n, const char* where) {
    const unsigned char* cursor = der.data();
    X509CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(der.size())));
    if (!crl || cursor != der.data() + der.size())
        undecodable(where, "CRL " + std::to_string(n));
    return crl;
}

// options.external: a PDF's /DSS, used as if the CMS embedded it (EN 319 142-1 §5.4.2).
void read_external(Evidence& evidence, const ValidationData& external) {
    const auto bounded = [](const std::vector<Bytes>& items, const char* kind) {
        if (items.size() > kMaxExternalValidationItems)
            throw Error(Errc::invalid_argument, std::string(kExternal) + "more than " +
                                                    std::to_string(kMaxExternalValidationItems) +
                                                    " " + kind);
    };
    bounded(external.certificates, "certificates");
    bounded(external.crls, "CRLs");
    bounded(external.ocsp_responses, "OCSP responses");
    for (std::size_t i = 0; i < external.certificates.size(); ++i) {
        const Bytes& der = external.certificates[i];
        const unsigned char* cursor = der.data();
        X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
        if (!certificate || cursor != der.data() + der.size())
            undecodable(kExternal, "certificate " + std::to_string(i + 1));
        if (sk_X509_push(evidence.certificates.get(), certificate.get()) <= 0)
            throw_openssl_error("cannot list certificates");
        certificate.release();  // the stack owns it now
    }
    for (std::size_t i = 0; i < external.crls.size(); ++i)
        evidence.crls.push_back(read_crl(external.crls[i], i + 1, kExternal));
    for (std::size_t i = 0; i < external.ocsp_responses.size(); ++i)
        evidence.ocsp.push_back(read_ocsp(external.ocsp_responses[i], i + 1, kExternal));
}

void read_revocations(Evidence& evidence, ByteView crls) {
    for (const der::Element& choice :
         der::read_all(crls, 2 * kMaxValidationItems, "SignedData.crls")) {
        if (choice.tag == der::kSequence) {  // RevocationInfoChoice crl: a CertificateList
            evidence.crls.push_back(read_crl(choice.encoding, evidence.crls.size() + 1, kEmbedded));
        } else if (choice.tag == der::kContext1) {  // other: OtherRevocationInfoFormat
            ByteView rest = choice.content;
            const der::Element format = der::read(rest, "an OtherRevocationInfoFormat");
            if (std::equal(format.encoding.begin(), format.encoding.end(),
                           std::begin(der::kIdRiOcspResponse), std::end(der::kIdRiOcspResponse)))
                evidence.ocsp.push_back(read_ocsp(rest, evidence.ocsp.size() + 1, kEmbedded));
            // Other formats (SCVP responses, RFC 5940) are not read: they count for nothing.
        }
        if (evidence.crls.size() > kMaxValidationItems ||
            evidence.ocsp.size() > kMaxValidationItems)
            throw Error(Errc::invalid_argument, "the CMS embeds more than " +
                                                    std::to_string(kMaxValidationItems) +
                                                    " CRLs or OCSP responses");
    }
}

}  // namespace

std::vector<X509*> Evidence::pool() const {
    std::vector<X509*> all = anchors;
    for (int i = 0; i < sk_X509_num(certificates.get()); ++i)
        all.push_back(sk_X509_value(certificates.get(), i));
    return all;
}

Evidence read_evidence(CMS_ContentInfo* cms, const VerifyOptions& options) {
    Evidence evidence;
    evidence.certificates.reset(CMS_get1_certs(cms));
    if (!evidence.certificates) {
        clear_openssl_errors();  // none embedded
        evidence.certificates.reset(sk_X509_new_null());
        if (!evidence.certificates)
            throw_openssl_error("cannot list certificates");
    }
    if (static_cast<std::size_t>(sk_X509_num(evidence.certificates.get())) > kMaxValidationItems)
        throw Error(
            Errc::invalid_argument,
            "the CMS embeds more than " + std::to_string(kMaxValidationItems) + " certificates");
    for (const X509Ptr& anchor : options.trust_anchors) {
        if (!anchor)
            throw Error(Errc::invalid_argument, "an empty trust anchor");
        evidence.anchors.push_back(anchor.get());
    }
    const Bytes reencoded = to_der(i2d_CMS_ContentInfo, cms);
    const der::SignedDataFields fields = der::split_signed_data(reencoded);
    if (fields.crls)
        read_revocations(evidence, fields.crls->content);
    read_external(evidence, options.external);
    return evidence;
}

std::optional<Clock::time_point> time_of(const ASN1_TIME* time) {
    std::tm tm{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
        clear_openssl_errors();
        return std::nullopt;
    }
    return from_unix_seconds(timegm(&tm));
}

std::time_t to_time_t(Clock::time_point t) {
    return std::chrono::system_clock::to_time_t(t);
}

CertificateSummary summarize_certificate(const X509* certificate) {
    CertificateSummary s;
    s.subject = name_text(X509_get_subject_name(certificate));
    s.issuer = name_text(X509_get_issuer_name(certificate));
    const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate);
    s.serial = to_hex(ByteView(ASN1_STRING_get0_data(serial),
                               static_cast<std::size_t>(ASN1_STRING_length(serial))));
    s.not_before = time_of(X509_get0_notBefore(certificate)).value_or(Clock::time_point{});
    s.not_after = time_of(X509_get0_notAfter(certificate)).value_or(Clock::time_point{});
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha256(), digest, &length) == 1)
        s.sha256 = to_hex(ByteView(digest, length));
    const ExtendedKeyUsagePtr usages(static_cast<EXTENDED_KEY_USAGE*>(
        X509_get_ext_d2i(certificate, NID_ext_key_usage, nullptr, nullptr)));
    for (int i = 0; usages && i < sk_ASN1_OBJECT_num(usages.get()); ++i) {
        char oid[128];
        const int n = OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(usages.get(), i), 1);
        if (n > 0 && static_cast<std::size_t>(n) < sizeof oid)
            s.key_purposes.emplace_back(oid, static_cast<std::size_t>(n));
    }
    clear_openssl_errors();
    return s;
}

bool names_certificate(const CMS_SignerInfo* si, X509* certificate,
                       const std::vector<X509*>& others, std::string& problem) {
    const auto attribute = [si](int nid) {
        return static_cast<const ASN1_STRING*>(
            CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(nid), -3, V_ASN1_SEQUENCE));
    };
    const ASN1_STRING* v2 = attribute(NID_id_smime_aa_signingCertificateV2);
    const ASN1_STRING* v1 = attribute(NID_id_smime_aa_signingCertificate);
    clear_openssl_errors();
    if (v2 == nullptr && v1 == nullptr) {
        problem = "no single signing-certificate-v2 (or signing-certificate) attribute";
        return false;
    }
    const auto decode = [](auto d2i, const ASN1_STRING* value) {
        const unsigned char* cursor = value != nullptr ? ASN1_STRING_get0_data(value) : nullptr;
        return value != nullptr ? d2i(nullptr, &cursor, ASN1_STRING_length(value)) : nullptr;
    };
    const EssSigningCertV2Ptr ssv2(decode(d2i_ESS_SIGNING_CERT_V2, v2));
    const EssSigningCertPtr ss(decode(d2i_ESS_SIGNING_CERT, v1));
    // OpenSSL looks each ESSCertID up in this list; the first must be the signer's, at its head.
    X509StackPtr chain(sk_X509_new_null());
    if (!chain)
        throw_openssl_error("cannot list certificates");
    const auto push = [&](X509* c) {
        if (sk_X509_push(chain.get(), c) <= 0)
            throw_openssl_error("cannot list certificates");
        X509_up_ref(c);
    };
    push(certificate);
    for (X509* c : others) {
        if (X509_cmp(c, certificate) != 0)
            push(c);
    }
    // Each attribute present must decode; then every ESSCertID must be found (RFC 5035).
    const bool names = (v2 == nullptr || ssv2) && (v1 == nullptr || ss) &&
                       OSSL_ESS_check_signing_certs(ss.get(), ssv2.get(), chain.get(), 1) > 0;
    if (!names) {
        problem = "the signing-certificate attribute does not name the signer's certificate: " +
                  drain_openssl_errors("it does not decode");
    }
    return names;
}

}  // namespace signet::sign
