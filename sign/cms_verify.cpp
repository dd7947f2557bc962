#include "sign/cms_verify.hpp"

#include <openssl/cms.h>

#include <algorithm>
#include <functional>

#include "common/error.hpp"
#include "sign/cms_algorithms.hpp"
#include "sign/validation_data.hpp"
#include "sign/verify_evidence.hpp"

namespace signet::sign {

namespace {

// More than any real signature holds (a PDF's CMS has one); a bound on a crafted input's work.
constexpr int kMaxSignerInfos = 16;

// The content's digest in a SignerInfo's algorithm, or nullopt when it cannot be had (only its
// digest in another algorithm was given).
using DigestSource = std::function<std::optional<Bytes>(Digest)>;

CmsPtr parse(ByteView cms_der) {
    if (cms_der.empty() || cms_der.size() > kMaxCmsBytes) {
        throw Error(Errc::invalid_argument, "a CMS signature is between 1 byte and " +
                                                std::to_string(kMaxCmsBytes) + " bytes");
    }
    const unsigned char* cursor = cms_der.data();
    CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &cursor, static_cast<long>(cms_der.size())));
    if (!cms || cursor != cms_der.data() + cms_der.size()) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument,
                    "not a CMS ContentInfo (RFC 5652 section 3), or bytes after it");
    }
    if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed)
        throw Error(Errc::invalid_argument, "the CMS is not SignedData (RFC 5652 section 5)");
    if (CMS_is_detached(cms.get()) != 1) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument,
                    "the CMS holds its content: a detached signature was expected");
    }
    const int signers = sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms.get()));
    if (signers < 1 || signers > kMaxSignerInfos) {
        throw Error(Errc::invalid_argument, "the SignedData has " + std::to_string(signers) +
                                                " SignerInfos; 1 to " +
                                                std::to_string(kMaxSignerInfos) + " are read");
    }
    return cms;
}

X509* find_signer(CMS_SignerInfo* si, const Evidence& evidence) {
    for (int i = 0; i < sk_X509_num(evidence.certificates.get()); ++i) {
        X509* candidate = sk_X509_value(evidence.certificates.get(), i);
        if (CMS_SignerInfo_cert_cmp(si, candidate) == 0)
            return candidate;
    }
    return nullptr;
}

// RFC 5652 §11.1 and §11.2: content-type is the eContentType; message-digest is the content's.
// Returns whether the content-type attribute is right.
bool check_signed_attributes(CMS_ContentInfo* cms, CMS_SignerInfo* si, std::optional<Digest> digest,
                             const DigestSource& content, SignerReport& report) {
    if (CMS_signed_get_attr_count(si) <= 0) {
        report.problems.push_back(
            "no signed attributes (CAdES requires content-type, message-digest and "
            "signing-certificate-v2 among them)");
        return false;
    }
    const auto* content_type = static_cast<const ASN1_OBJECT*>(
        CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT));
    const bool content_type_ok =
        content_type != nullptr && OBJ_cmp(content_type, CMS_get0_eContentType(cms)) == 0;
    if (!content_type_ok)
        report.problems.push_back("no single content-type attribute naming the eContentType");
    const auto* message_digest = static_cast<const ASN1_OCTET_STRING*>(CMS_signed_get0_data_by_OBJ(
        si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING));
    report.has_signing_time = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) >= 0;
    clear_openssl_errors();
    const std::optional<Bytes> expected = digest ? content(*digest) : std::nullopt;
    if (message_digest == nullptr) {
        report.problems.push_back("no single message-digest attribute");
    } else if (!expected) {
        report.problems.push_back(
            "the content's digest in the SignerInfo's algorithm is not known");
    } else {
        report.digest_matches = Bytes(ASN1_STRING_get0_data(message_digest),
                                      ASN1_STRING_get0_data(message_digest) +
                                          ASN1_STRING_length(message_digest)) == *expected;
        if (!report.digest_matches)
            report.problems.push_back("the message-digest is not the content's: it was changed");
    }
    return content_type_ok;
}

bool all_have_data(const ChainReport& chain) {
    return chain.complete &&
           std::all_of(chain.certificates.begin(), chain.certificates.end(),
                       [](const ChainEntry& e) {
                           return e.revocation.status == RevocationStatus::good ||
                                  e.revocation.status == RevocationStatus::revoked ||
                                  e.revocation.status == RevocationStatus::not_checked;
                       });
}

bool none_revoked(const ChainReport& chain) {
    return std::none_of(
        chain.certificates.begin(), chain.certificates.end(),
        [](const ChainEntry& e) { return e.revocation.status == RevocationStatus::revoked; });
}

SignerReport verify_signer(CMS_ContentInfo* cms, CMS_SignerInfo* si, const Evidence& evidence,
                           const DigestSource& content, Clock::time_point now) {
    SignerReport report;
    report.validation_time = now;
    X509* signer = find_signer(si, evidence);
    if (signer == nullptr)
        report.problems.push_back("the signer's certificate is not embedded");
    else
        CMS_SignerInfo_set1_signer_cert(si, signer);
    X509_ALGOR* digest_algorithm = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest_algorithm, nullptr);
    const std::optional<Digest> digest = digest_of_nid(OBJ_obj2nid(digest_algorithm->algorithm));
    report.digest_algorithm = digest ? std::string(to_string(*digest)) : "unsupported";
    if (!digest)
        report.problems.push_back("the digest algorithm is not SHA-256, SHA-384 or SHA-512");
    const bool content_type_ok = check_signed_attributes(cms, si, digest, content, report);
    if (signer != nullptr && CMS_signed_get_attr_count(si) > 0) {
        report.signature_valid = CMS_SignerInfo_verify(si) == 1;
        if (!report.signature_valid)
            report.problems.push_back("the signature does not verify: " +
                                      drain_openssl_errors("no reason given"));
        std::string problem;
        report.signing_certificate_matches =
            names_certificate(si, signer, evidence.pool(), problem);
        if (!problem.empty())
            report.problems.push_back(problem);
    }

    report.time_stamp = time_stamp_report(si, evidence);
    const TimeStampReport& ts = report.time_stamp;
    if (!ts.problem.empty())
        report.problems.push_back(ts.problem);
    const bool time_stamp_usable = ts.signature_valid && ts.imprint_matches &&
                                   none_revoked(ts.tsa) &&
                                   (evidence.anchors.empty() || ts.tsa.trusted);
    if (time_stamp_usable)
        report.validation_time = *ts.time;
    if (signer != nullptr)
        report.chain = chain_report(signer, evidence.pool(), evidence, report.validation_time, 0);
    if (!report.chain.problem.empty())
        report.problems.push_back(report.chain.problem);

    const bool b_b = signer != nullptr && report.signature_valid && report.digest_matches &&
                     content_type_ok && report.signing_certificate_matches;
    const bool b_t = b_b && ts.signature_valid && ts.imprint_matches;
    const bool b_lt = b_t && all_have_data(report.chain) && all_have_data(ts.tsa);
    report.level = b_lt ? Level::b_lt : b_t ? Level::b_t : b_b ? Level::b_b : Level::none;
    report.valid =
        b_b && none_revoked(report.chain) && (evidence.anchors.empty() || report.chain.trusted);
    clear_openssl_errors();
    return report;
}

VerifyReport verify(ByteView cms_der, const DigestSource& content, const VerifyOptions& options) {
    const CmsPtr cms = parse(cms_der);
    const Evidence evidence = read_evidence(cms.get(), options);
    VerifyReport report;
    STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
    for (int i = 0; i < sk_CMS_SignerInfo_num(infos); ++i) {
        report.signers.push_back(verify_signer(cms.get(), sk_CMS_SignerInfo_value(infos, i),
                                               evidence, content, options.now));
    }
    return report;
}

}  // namespace

std::string_view to_string(Level level) noexcept {
    switch (level) {
        case Level::none:
            return "none";
        case Level::b_b:
            return "B-B";
        case Level::b_t:
            return "B-T";
        case Level::b_lt:
            return "B-LT";
        case Level::b_lta:
            return "B-LTA";
    }
    return "none";
}

std::string_view to_string(RevocationStatus status) noexcept {
    switch (status) {
        case RevocationStatus::good:
            return "good";
        case RevocationStatus::revoked:
            return "revoked";
        case RevocationStatus::unknown:
            return "unknown";
        case RevocationStatus::missing:
            return "missing";
        case RevocationStatus::not_checked:
            return "not_checked";
    }
    return "unknown";
}

VerifyReport verify_detached(ByteView cms_der, ByteView content, const VerifyOptions& options) {
    return verify(
        cms_der, [content](Digest d) -> std::optional<Bytes> { return hash(d, content); }, options);
}

VerifyReport verify_detached(ByteView cms_der, std::span<const ByteView> content,
                             const VerifyOptions& options) {
    return verify(
        cms_der,
        [content](Digest d) -> std::optional<Bytes> {
            ContentHasher hasher(d);
            for (ByteView part : content)
                hasher.update(part);
            return hasher.finish().value;
        },
        options);
}

VerifyReport verify_detached(ByteView cms_der, const ContentDigest& content,
                             const VerifyOptions& options) {
    if (content.value.size() != digest_size(content.algorithm))
        throw Error(Errc::invalid_argument, "the content digest is not as long as its algorithm's");
    return verify(
        cms_der,
        [&content](Digest d) -> std::optional<Bytes> {
            return d == content.algorithm ? std::optional<Bytes>(content.value) : std::nullopt;
        },
        options);
}

}  // namespace signet::sign
