// The signature-time-stamp attribute of a SignerInfo (RFC 3161 appendix A, EN 319 122-1 §5.3)
// and a PDF's document time-stamp (EN 319 142-1 §5.4.3): the token's own signature, what it is
// over, and the TSA's chain at its genTime.
#include <openssl/cms.h>
#include <openssl/x509v3.h>

#include <functional>

#include "common/error.hpp"
#include "sign/cms_algorithms.hpp"
#include "sign/verify_evidence.hpp"
#include "tsa/verify.hpp"

namespace signet::sign {

namespace {

ByteView token_bytes(CMS_SignerInfo* si, int index, std::string& problem) {
    X509_ATTRIBUTE* attribute = CMS_unsigned_get_attr(si, index);
    const ASN1_TYPE* value =
        attribute != nullptr ? X509_ATTRIBUTE_get0_type(attribute, 0) : nullptr;
    if (value == nullptr || value->type != V_ASN1_SEQUENCE ||
        X509_ATTRIBUTE_count(attribute) != 1) {
        problem = "the signature-time-stamp attribute does not hold one token";
        return {};
    }
    return ByteView(ASN1_STRING_get0_data(value->value.sequence),
                    static_cast<std::size_t>(ASN1_STRING_length(value->value.sequence)));
}

std::optional<Digest> imprint_digest(const tsa::TokenSummary& summary, std::string& problem) {
    for (Digest d : {Digest::sha256, Digest::sha384, Digest::sha512}) {
        if (summary.imprint_algorithm == lowercase_name(d))
            return d;
    }
    problem = "the token's imprint algorithm " + summary.imprint_algorithm + " is not SHA-2";
    return std::nullopt;
}

bool imprint_matches(const tsa::TokenSummary& summary, CMS_SignerInfo* si, std::string& problem) {
    const std::optional<Digest> algorithm = imprint_digest(summary, problem);
    if (!algorithm)
        return false;
    const ASN1_OCTET_STRING* signature = CMS_SignerInfo_get0_signature(si);
    const Bytes expected =
        hash(*algorithm, ByteView(ASN1_STRING_get0_data(signature),
                                  static_cast<std::size_t>(ASN1_STRING_length(signature))));
    if (summary.imprint != expected) {
        problem =
            "the token is not over this signature (RFC 3161 appendix A: its imprint is not "
            "the hash of the signature value)";
        return false;
    }
    return true;
}

// The token as CMS: its signature (content digest and signed attributes) with the TSA's
// certificate, which names itself in the ESS signing-certificate(-v2) attribute (RFC 5816) and
// is for time-stamping alone (RFC 3161 §2.3). Returns that certificate (owned by `token`) when
// all holds.
X509* check_token_signature(CMS_ContentInfo* token, const Evidence& evidence,
                            std::string& problem) {
    STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(token);
    if (sk_CMS_SignerInfo_num(infos) != 1) {
        problem = "the token does not have exactly one SignerInfo";
        return nullptr;
    }
    if (CMS_verify(token, evidence.certificates.get(), nullptr, nullptr, nullptr,
                   CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
        problem = "the token's signature does not verify: " + drain_openssl_errors("no reason");
        return nullptr;
    }
    CMS_SignerInfo* info = sk_CMS_SignerInfo_value(infos, 0);
    X509* certificate = nullptr;
    CMS_SignerInfo_get0_algs(info, nullptr, &certificate, nullptr, nullptr);
    if (certificate == nullptr) {
        problem = "the TSA's certificate is neither in the token nor embedded";
        return nullptr;
    }
    std::vector<X509*> others = evidence.pool();
    const X509StackPtr token_certificates(CMS_get1_certs(token));
    for (int i = 0; i < sk_X509_num(token_certificates.get()); ++i)
        others.push_back(sk_X509_value(token_certificates.get(), i));
    clear_openssl_errors();
    if (!names_certificate(info, certificate, others, problem))
        return nullptr;
    if (X509_check_purpose(certificate, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1) {
        clear_openssl_errors();
        problem =
            "the TSA's certificate is not a time-stamping certificate (RFC 3161 section "
            "2.3: extended key usage id-kp-timeStamping alone, critical)";
        return nullptr;
    }
    return certificate;
}

// What a token's imprint must be: true when it is, else false with `problem` set.
using ImprintCheck = std::function<bool(const tsa::TokenSummary&, std::string& problem)>;

// The token in `bytes`: its TSTInfo, its signature with the TSA's certificate
// (check_token_signature), its imprint (`imprint_ok`), and the TSA's chain at its genTime.
TimeStampReport token_report(ByteView bytes, const ImprintCheck& imprint_ok,
                             const Evidence& evidence) {
    TimeStampReport report;
    report.present = true;
    try {
        const tsa::ParsedToken parsed = tsa::parse_token(bytes);
        if (parsed.from_response)
            throw Error(Errc::invalid_argument, "a TimeStampResp instead of a token");
        const tsa::TokenSummary summary = tsa::summarize(parsed);
        report.time = summary.gen_time_utc;
        report.policy = summary.policy;
        report.imprint_matches = imprint_ok(summary, report.problem);
    } catch (const Error& e) {
        report.problem = std::string("the time-stamp is not a token: ") + e.what();
        return report;
    }
    const unsigned char* cursor = bytes.data();
    const CmsPtr token(d2i_CMS_ContentInfo(nullptr, &cursor, static_cast<long>(bytes.size())));
    if (!token) {
        clear_openssl_errors();
        report.problem = "the token does not decode as CMS";
        return report;
    }
    std::string signature_problem;
    X509* tsa_certificate = check_token_signature(token.get(), evidence, signature_problem);
    report.signature_valid = tsa_certificate != nullptr;
    if (report.problem.empty())
        report.problem = signature_problem;
    if (tsa_certificate != nullptr) {
        std::vector<X509*> pool = evidence.pool();
        const X509StackPtr token_certificates(CMS_get1_certs(token.get()));
        for (int i = 0; i < sk_X509_num(token_certificates.get()); ++i)
            pool.push_back(sk_X509_value(token_certificates.get(), i));
        clear_openssl_errors();
        report.tsa = chain_report(tsa_certificate, pool, evidence, *report.time,
                                  X509_PURPOSE_TIMESTAMP_SIGN);
    }
    return report;
}

}  // namespace

TimeStampReport time_stamp_report(CMS_SignerInfo* si, const Evidence& evidence) {
    const int index = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
    if (index < 0)
        return {};
    std::string problem;
    const ByteView bytes = token_bytes(si, index, problem);
    if (bytes.empty()) {
        TimeStampReport report;
        report.present = true;
        report.problem = problem;
        return report;
    }
    TimeStampReport report = token_report(
        bytes,
        [si](const tsa::TokenSummary& summary, std::string& why) {
            return imprint_matches(summary, si, why);
        },
        evidence);
    if (report.problem.empty() &&
        CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, index) >= 0)
        report.problem = "more than one signature time-stamp; the first one is checked";
    return report;
}

TimeStampReport verify_time_stamp_token(ByteView token_der, std::span<const ByteView> content,
                                        const VerifyOptions& options) {
    if (token_der.empty() || token_der.size() > kMaxCmsBytes)
        throw Error(Errc::invalid_argument, "a time-stamp token is between 1 byte and " +
                                                std::to_string(kMaxCmsBytes) + " bytes");
    const unsigned char* cursor = token_der.data();
    const CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &cursor, static_cast<long>(token_der.size())));
    if (!cms || cursor != token_der.data() + token_der.size() ||
        OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument,
                    "not a TimeStampToken (RFC 3161 section 2.4.2: a CMS ContentInfo of "
                    "SignedData), or bytes after it");
    }
    const Evidence evidence = read_evidence(cms.get(), options);
    return token_report(
        token_der,
        [content](const tsa::TokenSummary& summary, std::string& problem) {
            const std::optional<Digest> algorithm = imprint_digest(summary, problem);
            if (!algorithm)
                return false;
            ContentHasher hasher(*algorithm);
            for (ByteView part : content)
                hasher.update(part);
            const Bytes digest = hasher.finish().value;
            if (summary.imprint != digest) {
                problem =
                    "the token's imprint is not the digest of the time-stamped bytes: they "
                    "were changed";
                return false;
            }
            return true;
        },
        evidence);
}

}  // namespace signet::sign
