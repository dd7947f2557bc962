#include "sign/verify_document.hpp"

#include <openssl/cms.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "common/error.hpp"
#include "sign/pdf_dss.hpp"
#include "sign/pdf_reader.hpp"

namespace signet::sign {

namespace {

constexpr std::string_view kPdfHeader = "%PDF-";

bool none_revoked(const ChainReport& chain) {
    return std::none_of(
        chain.certificates.begin(), chain.certificates.end(),
        [](const ChainEntry& e) { return e.revocation.status == RevocationStatus::revoked; });
}

// A time-stamp proves its genTime only when its token verifies over what it claims to cover.
std::optional<Clock::time_point> proved_time(const TimeStampReport& ts) {
    if (ts.signature_valid && ts.imprint_matches)
        return ts.time;
    return std::nullopt;
}

X509Ptr shared(const X509Ptr& certificate) {
    if (!certificate)
        throw Error(Errc::invalid_argument, "an empty trust anchor");
    X509_up_ref(certificate.get());
    return X509Ptr(certificate.get());
}

VerifyOptions cms_options(const DocumentVerifyOptions& options) {
    VerifyOptions cms;
    for (const X509Ptr& anchor : options.trust_anchors)
        cms.trust_anchors.push_back(shared(anchor));
    cms.now = options.now;
    return cms;
}

PdfCoverage coverage_of(const PdfSignature& sig) {
    PdfCoverage c;
    c.byte_range = sig.byte_range;
    c.revision_end = sig.revision_end;
    c.covers_revision = sig.covers_revision;
    c.problem = sig.coverage_problem;
    c.covers_whole_file = sig.covers_whole_file;
    c.later_changes_permitted = sig.later_changes_permitted;
    c.later_changes = sig.later_changes;
    return c;
}

// verify_detached reports revocation in the chain, not among the problems: say it in words.
void add_revocation_problems(const SignerReport& signer, SignatureCheck& check) {
    for (const ChainEntry& entry : signer.chain.certificates) {
        if (entry.revocation.status != RevocationStatus::revoked)
            continue;
        check.problems.push_back(
            "the certificate " + entry.certificate.subject + " was revoked" +
            (entry.revocation.revoked_at ? " at " + format_utc(*entry.revocation.revoked_at)
                                         : std::string()) +
            ", before the signature's validation time " + format_utc(signer.validation_time) +
            " (" + entry.revocation.source + ")");
    }
}

void check_document_timestamp(const PdfSignature& sig, std::span<const ByteView> parts,
                              const VerifyOptions& cms, SignatureCheck& check) {
    TimeStampReport ts = verify_time_stamp_token(sig.contents, parts, cms);
    check.intact = ts.imprint_matches;
    check.time = proved_time(ts);
    if (!ts.problem.empty())
        check.problems.push_back(ts.problem);
    if (!ts.tsa.problem.empty())
        check.problems.push_back("the TSA's chain: " + ts.tsa.problem);
    if (!none_revoked(ts.tsa))
        check.problems.push_back("a certificate of the TSA's chain was revoked at genTime");
    check.valid = ts.signature_valid && ts.imprint_matches && sig.covers_revision &&
                  none_revoked(ts.tsa) && (cms.trust_anchors.empty() || ts.tsa.trusted);
    check.time_stamp = std::move(ts);
}

void check_cades(const PdfSignature& sig, std::span<const ByteView> parts,
                 const VerifyOptions& cms, SignatureCheck& check) {
    VerifyReport verified = verify_detached(sig.contents, parts, cms);
    const std::size_t count = verified.signers.size();
    if (count != 1) {
        // ISO 32000-1 §12.8.3.3.1: "only a single signer" (EN 319 142-1 §6.3 likewise).
        check.problems.push_back("the CMS holds " + std::to_string(count) +
                                 " SignerInfos; a PDF signature has exactly one");
    }
    SignerReport& signer = verified.signers.front();
    check.intact = signer.digest_matches;
    check.time = proved_time(signer.time_stamp);
    check.level = sig.covers_revision ? signer.level : Level::none;
    check.valid = signer.valid && sig.covers_revision && count == 1;
    check.problems.insert(check.problems.end(), signer.problems.begin(), signer.problems.end());
    add_revocation_problems(signer, check);
    check.signer = std::move(signer);
}

SignatureCheck check_pdf_signature(ByteView file, const PdfSignature& sig,
                                   const VerifyOptions& cms) {
    SignatureCheck check;
    check.kind =
        sig.is_document_timestamp() ? SignatureKind::document_timestamp : SignatureKind::signature;
    check.field_name = sig.field_name;
    check.sub_filter = sig.sub_filter;
    check.claimed_time = sig.signing_time;
    check.coverage = coverage_of(sig);
    if (!sig.covers_revision)
        check.problems.push_back("the ByteRange does not cover its revision: " +
                                 sig.coverage_problem);
    try {
        const std::array<ByteView, 2> parts = byte_range_parts(file, sig.byte_range);
        if (check.kind == SignatureKind::document_timestamp) {
            check_document_timestamp(sig, parts, cms, check);
        } else if (sig.sub_filter == "ETSI.CAdES.detached" ||
                   sig.sub_filter == "adbe.pkcs7.detached") {
            check_cades(sig, parts, cms, check);
        } else {
            check.problems.push_back(
                "the SubFilter '" + sig.sub_filter +
                "' is not verified here (ETSI.CAdES.detached, adbe.pkcs7.detached and "
                "ETSI.RFC3161 are)");
        }
    } catch (const Error& e) {
        // This signature's own bytes are malformed: it is invalid; the others are still judged.
        if (e.code() != Errc::invalid_argument)
            throw;
        check.problems.push_back(e.what());
        check.valid = false;
    }
    return check;
}

// EN 319 142-1 §6.3 (Table 1), PAdES-B-LTA: the validation data of a B-LT signature in the
// /DSS, and a document time-stamp over a revision that holds it. For each valid document
// time-stamp, the /DSS as of its revision (the file cut there) is given to each earlier B-LT
// signature's verification alone: still B-LT means the time-stamp protects its validation data.
void mark_archival(ByteView file, const PdfSignatures& read, DocumentReport& report,
                   VerifyOptions& cms, const PdfLimits& limits) {
    // Fields may share one signature dictionary: each revision is looked at once, so a crafted
    // file's work stays (revisions with a valid time-stamp) x (signatures).
    std::set<std::uint64_t> seen;
    for (std::size_t t = 0; t < read.signatures.size(); ++t) {
        const SignatureCheck& stamp = report.signatures[t];
        const std::uint64_t end = read.signatures[t].revision_end;
        if (stamp.kind != SignatureKind::document_timestamp || !stamp.valid ||
            !seen.insert(end).second)
            continue;
        try {
            cms.external = end == file.size()
                               ? read.dss
                               : read_dss(PdfDocument::open(
                                     file.first(static_cast<std::size_t>(end)), limits));
            for (std::size_t s = 0; s < read.signatures.size(); ++s) {
                SignatureCheck& check = report.signatures[s];
                const PdfSignature& sig = read.signatures[s];
                if (check.kind != SignatureKind::signature || check.level != Level::b_lt ||
                    sig.revision_end >= end)
                    continue;
                const auto parts = byte_range_parts(file, sig.byte_range);
                const VerifyReport again = verify_detached(sig.contents, parts, cms);
                if (again.signers.size() == 1 && again.signers.front().level == Level::b_lt)
                    check.level = Level::b_lta;
            }
        } catch (const Error& e) {
            // That revision's /DSS does not read: it protects nothing; the levels stay B-LT.
            if (e.code() != Errc::invalid_argument)
                throw;
            report.problems.push_back("the /DSS under the document time-stamp '" +
                                      read.signatures[t].field_name + "': " + e.what());
        }
    }
}

void judge(DocumentReport& report) {
    bool all = !report.signatures.empty();
    if (report.signatures.empty())
        report.problems.push_back(report.format == DocumentFormat::pdf
                                      ? "the PDF holds no signature"
                                      : "the CMS holds no signature");
    for (const SignatureCheck& check : report.signatures) {
        const std::string name =
            check.field_name.empty() ? std::string("the signature") : "'" + check.field_name + "'";
        if (!check.valid) {
            all = false;
            report.problems.push_back(name + " is not valid" +
                                      (check.problems.empty() ? "" : ": " + check.problems.front()));
        }
        if (check.coverage && check.coverage->covers_revision &&
            !check.coverage->later_changes_permitted) {
            all = false;
            const auto& changes = check.coverage->later_changes;
            report.problems.push_back(
                "the revisions after the one " + name +
                " signs change more than signatures, /DSS and document time-stamps may" +
                (changes.empty() ? "" : ": " + changes.front()) +
                (changes.size() > 1 ? " (and " + std::to_string(changes.size() - 1) + " more)"
                                    : ""));
        }
    }
    report.valid = all;
}

DocumentReport verify_pdf(ByteView bytes, const DocumentVerifyOptions& options) {
    const PdfDocument doc = PdfDocument::open(bytes, options.pdf);
    const PdfSignatures read = read_signatures(doc);
    if (read.signatures.size() > kMaxDocumentSignatures) {
        throw Error(Errc::invalid_argument,
                    "the PDF holds " + std::to_string(read.signatures.size()) +
                        " signatures; at most " + std::to_string(kMaxDocumentSignatures) +
                        " are verified");
    }
    VerifyOptions cms = cms_options(options);
    cms.external = read.dss;
    DocumentReport report;
    report.format = DocumentFormat::pdf;
    // Fields may share one signature dictionary (a crafted file: many fields, one large
    // ByteRange); its bytes are hashed and its CMS verified once.
    std::map<std::tuple<std::array<std::uint64_t, 4>, Bytes, std::string>, std::size_t> checked;
    for (const PdfSignature& sig : read.signatures) {
        const auto key = std::make_tuple(sig.byte_range, sig.contents, sig.sub_filter);
        if (const auto it = checked.find(key); it != checked.end()) {
            SignatureCheck copy = report.signatures[it->second];
            copy.field_name = sig.field_name;
            copy.claimed_time = sig.signing_time;
            copy.coverage = coverage_of(sig);
            report.signatures.push_back(std::move(copy));
            continue;
        }
        checked.emplace(key, report.signatures.size());
        report.signatures.push_back(check_pdf_signature(bytes, sig, cms));
    }
    mark_archival(bytes, read, report, cms, options.pdf);
    judge(report);
    return report;
}

DocumentReport verify_cms(ByteView bytes, const DocumentVerifyOptions& options) {
    const unsigned char* cursor = bytes.data();
    const CmsPtr probe(d2i_CMS_ContentInfo(nullptr, &cursor, static_cast<long>(bytes.size())));
    clear_openssl_errors();
    if (!probe) {
        throw Error(Errc::invalid_argument,
                    "neither a PDF (no %PDF- header) nor a CMS signature (a DER ContentInfo, "
                    "RFC 5652 section 3)");
    }
    if (!options.detached_content) {
        throw Error(Errc::invalid_argument,
                    "the CMS signature is detached: it needs the signed data to be verified");
    }
    const VerifyOptions cms = cms_options(options);
    VerifyReport verified = std::holds_alternative<ByteView>(*options.detached_content)
                                ? verify_detached(bytes, std::get<ByteView>(*options.detached_content), cms)
                                : verify_detached(bytes, std::get<ContentDigest>(*options.detached_content), cms);
    DocumentReport report;
    report.format = DocumentFormat::cms;
    for (SignerReport& signer : verified.signers) {
        SignatureCheck check;
        check.intact = signer.digest_matches;
        check.time = proved_time(signer.time_stamp);
        check.level = signer.level;
        check.valid = signer.valid;
        check.problems = signer.problems;
        add_revocation_problems(signer, check);
        check.signer = std::move(signer);
        report.signatures.push_back(std::move(check));
    }
    judge(report);
    return report;
}

}  // namespace

std::string_view to_string(SignatureKind kind) noexcept {
    return kind == SignatureKind::document_timestamp ? "document_timestamp" : "signature";
}

std::string_view to_string(DocumentFormat format) noexcept {
    return format == DocumentFormat::cms ? "cms" : "pdf";
}

DocumentReport verify_document(ByteView bytes, const DocumentVerifyOptions& options) {
    if (bytes.empty())
        throw Error(Errc::invalid_argument, "the document is empty");
    const std::string_view head(reinterpret_cast<const char*>(bytes.data()),
                                std::min(bytes.size(), kPdfHeader.size()));
    return head == kPdfHeader ? verify_pdf(bytes, options) : verify_cms(bytes, options);
}

}  // namespace signet::sign
