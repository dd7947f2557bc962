#include "evidence/verify_package.hpp"

#include <algorithm>
#include <set>

#include "ca/service_purposes.hpp"
#include "common/der.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"
#include "evidence/manifest.hpp"
#include "evidence/package_parts.hpp"
#include "evidence/verify_parts.hpp"
#include "sign/verify_document.hpp"
#include "sign/verify_report.hpp"

namespace signet::evidence {

namespace {

std::string first_problem(const sign::DocumentReport& report) {
    if (!report.problems.empty())
        return report.problems.front();
    for (const sign::SignatureCheck& s : report.signatures) {
        if (s.valid)
            continue;
        const std::string who =
            s.field_name.empty() ? "the signature" : "signature " + s.field_name;
        if (!s.problems.empty())
            return who + ": " + s.problems.front();
        if (s.signer && !s.signer->problems.empty())
            return who + ": " + s.signer->problems.front();
        return who + " is not valid";
    }
    return report.signatures.empty() ? "no signature" : "not valid";
}

bool is_seal(const sign::ChainReport& chain) {
    return !chain.certificates.empty() &&
           std::ranges::find(chain.certificates.front().certificate.key_purposes,
                             ca::kEvidenceSealPurpose) !=
               chain.certificates.front().certificate.key_purposes.end();
}

// The evidence certificate is the platform's attestation: each of its signatures must be the
// seal that signed the manifest (verify_manifest ran first), not merely some certificate under
// the roots; a document time-stamp's TSA must be trusted (verify_document already requires it).
std::string seal_problem(const Verification& v, const sign::DocumentReport& report) {
    for (const sign::SignatureCheck& s : report.signatures) {
        if (s.kind != sign::SignatureKind::signature)
            continue;
        if (!s.signer || s.signer->chain.certificates.empty())
            return "a signature without its signer's certificate";
        const sign::CertificateSummary& leaf = s.signer->chain.certificates.front().certificate;
        if (!is_seal(s.signer->chain))
            return "signed by " + leaf.subject + ", which is not an evidence seal certificate";
        if (v.seal_sha256.empty() || leaf.sha256 != v.seal_sha256)
            return "signed by " + leaf.subject + ", not by the seal that signed manifest.json";
    }
    return "";
}

void judge_document(Verification& v, const std::string& subject, ByteView bytes,
                    std::optional<sign::DetachedContent> content, bool sealed_by_platform) {
    sign::DocumentVerifyOptions options;
    for (const X509Ptr& root : v.options.roots)
        options.trust_anchors.emplace_back(X509_dup(root.get()));
    options.now = v.options.now;
    options.detached_content = content;
    try {
        const sign::DocumentReport report = sign::verify_document(bytes, options);
        const std::string not_sealed = sealed_by_platform ? seal_problem(v, report) : "";
        if (!not_sealed.empty())
            v.fail(subject, not_sealed);
        else if (report.valid)
            v.pass(subject, std::to_string(report.signatures.size()) + " signature(s) valid, " +
                                "chains trusted");
        else
            v.fail(subject, first_problem(report));
    } catch (const Error& e) {
        v.fail(subject, e.what());
    }
}

void verify_manifest(Verification& v) {
    const Bytes* json = v.file(std::string(kManifestPath));
    const Bytes* p7s = v.file(std::string(kManifestSignaturePath));
    if (json == nullptr) {
        v.fail(std::string(kManifestPath), "missing");
        return;
    }
    try {
        const Manifest manifest = parse_manifest(*json);
        v.report.contract_id = manifest.contract_id;
        std::set<std::string> listed;
        for (const ManifestFile& f : manifest.files) {
            listed.insert(f.path);
            const Bytes* content = v.file(f.path);
            if (content == nullptr)
                v.fail(f.path, "listed in manifest.json but not in the package");
            else if (content->size() != f.size || to_hex(sha256_of(ByteView(*content))) != f.sha256)
                v.fail(f.path, "its SHA-256 is not the one manifest.json lists (changed)");
        }
        for (const auto& [path, content] : v.files)
            if (path != kManifestPath && path != kManifestSignaturePath && !listed.contains(path))
                v.fail(path, "in the package but not listed in manifest.json (added)");
        v.pass(std::string(kManifestPath),
               std::to_string(manifest.files.size()) + " files listed, format " + manifest.format);
    } catch (const Error& e) {
        v.fail(std::string(kManifestPath), e.what());
    }
    if (p7s == nullptr) {
        v.fail(std::string(kManifestSignaturePath), "missing");
        return;
    }
    try {
        const sign::VerifyReport report = sign::verify_detached(*p7s, *json, v.verify_options());
        if (report.signers.size() != 1) {
            v.fail(std::string(kManifestSignaturePath), "not exactly one signer");
            return;
        }
        const sign::SignerReport& s = report.signers.front();
        const std::string signer =
            s.chain.certificates.empty() ? "?" : s.chain.certificates.front().certificate.subject;
        if (s.signature_valid && !s.digest_matches)
            v.fail(std::string(kManifestPath),
                   "changed after it was sealed: manifest.p7s's "
                   "message-digest is not its hash");
        else if (!s.valid || !s.chain.trusted)
            v.fail(std::string(kManifestSignaturePath),
                   "does not verify over manifest.json: " +
                       (s.problems.empty() ? s.chain.problem : s.problems.front()));
        else if (!is_seal(s.chain))
            v.fail(std::string(kManifestSignaturePath),
                   "signed by " + signer +
                       ", which is not an evidence seal certificate (its extended key usage "
                       "lacks " +
                       std::string(ca::kEvidenceSealPurpose) + ")");
        else if (s.level < sign::Level::b_t)
            v.fail(std::string(kManifestSignaturePath), "no valid signature time-stamp (B-T)");
        else if (const std::string p = tsa_problem(s.time_stamp); !p.empty())
            v.fail(std::string(kManifestSignaturePath), "its time-stamp: " + p);
        else {
            v.seal_sha256 = s.chain.certificates.front().certificate.sha256;
            v.pass(std::string(kManifestSignaturePath),
                   "sealed by " + signer + ", " + std::string(sign::to_string(s.level)) +
                       (s.time_stamp.time ? ", time-stamped " + format_utc(*s.time_stamp.time)
                                          : std::string()));
        }
    } catch (const Error& e) {
        v.fail(std::string(kManifestSignaturePath), e.what());
    }
}

void verify_documents(Verification& v) {
    if (const Bytes* certificate = v.file(layout::kEvidenceCertificate))
        judge_document(v, layout::kEvidenceCertificate, *certificate, std::nullopt, true);
    else
        v.fail(layout::kEvidenceCertificate, "missing");
    if (const Bytes* pdf = v.file(layout::kSignedPdf)) {
        judge_document(v, layout::kSignedPdf, *pdf, std::nullopt, false);
        return;
    }
    const Bytes* data = v.file(layout::kData);
    if (data == nullptr) {
        v.fail("document", "neither " + layout::kSignedPdf + " nor " + layout::kData);
        return;
    }
    int signatures = 0;
    for (int position = 1; position <= 50; ++position) {
        const std::string path = layout::cades_signature(position);
        if (const Bytes* cms = v.file(path)) {
            judge_document(v, path, *cms, sign::DetachedContent(ByteView(*data)), false);
            ++signatures;
        }
    }
    if (signatures == 0)
        v.fail(layout::kData, "no document/signer-N.p7s signs it");
}

}  // namespace

sign::VerifyOptions Verification::verify_options() const {
    sign::VerifyOptions o;
    for (const X509Ptr& root : options.roots)
        o.trust_anchors.emplace_back(X509_dup(root.get()));
    o.now = options.now;
    for (const X509Ptr& c : pool)
        o.external.certificates.push_back(to_der(i2d_X509, c.get()));
    return o;
}

std::string Verification::chain_problem(X509* leaf, Clock::time_point at) const {
    X509StorePtr store(X509_STORE_new());
    X509StackPtr untrusted(sk_X509_new_null());
    X509StoreCtxPtr context(X509_STORE_CTX_new());
    if (!store || !untrusted || !context)
        throw_openssl_error("cannot set up path validation");
    for (const X509Ptr& root : options.roots)
        X509_STORE_add_cert(store.get(), root.get());
    for (const X509Ptr& c : pool)
        sk_X509_push(untrusted.get(), c.get());
    if (X509_STORE_CTX_init(context.get(), store.get(), leaf, untrusted.get()) != 1)
        throw_openssl_error("cannot set up path validation");
    X509_STORE_CTX_set_time(context.get(), 0, std::chrono::system_clock::to_time_t(at));
    const bool ok = X509_verify_cert(context.get()) == 1;
    const int error = X509_STORE_CTX_get_error(context.get());
    // The stack does not own the pool's certificates.
    while (sk_X509_num(untrusted.get()) > 0)
        sk_X509_pop(untrusted.get());
    clear_openssl_errors();
    return ok ? "" : X509_verify_cert_error_string(error);
}

bool PackageReport::valid() const noexcept {
    return !checks.empty() && failures().empty();
}

std::vector<const PackageCheck*> PackageReport::failures() const {
    std::vector<const PackageCheck*> out;
    for (const PackageCheck& c : checks)
        if (!c.ok)
            out.push_back(&c);
    return out;
}

PackageReport verify_package(ByteView zip, const PackageVerifyOptions& options) {
    if (options.roots.empty())
        throw Error(Errc::invalid_argument, "evidence package: no root certificate to trust");
    Verification v{{}, {}, options, {}, {}};
    for (ZipEntry& entry : read_zip(zip, options.limits)) {
        const bool carries_certificate =
            entry.path.starts_with("certificates/") || entry.path.starts_with("validation/");
        if (carries_certificate)
            if (X509Ptr c = parse_certificate(entry.content))
                v.pool.push_back(std::move(c));
        v.files.emplace(std::move(entry.path), std::move(entry.content));
    }
    verify_manifest(v);
    verify_documents(v);
    verify_audit(v);
    return std::move(v.report);
}

std::string report_text(const PackageReport& report) {
    // The subjects and details quote the package (paths, certificate names, parsers' messages):
    // rendered printable, as sign::printable says why.
    std::string out = "evidence package of contract " +
                      (report.contract_id.empty() ? "?" : sign::printable(report.contract_id)) +
                      "\n";
    for (const PackageCheck& c : report.checks)
        out += std::string(c.ok ? "ok   " : "FAIL ") + sign::printable(c.subject) + ": " +
               sign::printable(c.detail) + "\n";
    const auto failures = report.failures();
    out += report.valid() ? "VALID: every check passed\n"
                          : "NOT VALID: " + std::to_string(failures.size()) + " check(s) failed\n";
    return out;
}

nlohmann::json report_json(const PackageReport& report) {
    nlohmann::json checks = nlohmann::json::array();
    nlohmann::json failures = nlohmann::json::array();
    for (const PackageCheck& c : report.checks) {
        // JSON must be UTF-8 (RFC 8259 §8.1); what the package says may not be.
        checks.push_back({{"subject", sign::printable(c.subject)},
                          {"ok", c.ok},
                          {"detail", sign::printable(c.detail)}});
        if (!c.ok)
            failures.push_back(sign::printable(c.subject));
    }
    return {{"valid", report.valid()},
            {"contract", sign::printable(report.contract_id)},
            {"checks", std::move(checks)},
            {"failures", std::move(failures)}};
}

}  // namespace signet::evidence
