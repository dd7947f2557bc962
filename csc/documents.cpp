// signatures/signDoc (CSC API §11.11): Signet builds the AdES signature itself, with the
// credential's wrapped key in the HSM and a signature time-stamp from our TSA (baseline B-T),
// over what the SAD authorized — §11.11: "If hashes were provided in credential authorization,
// RSSP SHALL verify each hash matches one from the authorization" (documentDigests) and "RSSP
// SHALL verify the document hash matches" (documents). At SCAL2 the SAD always holds hashes, so
// each digest, or each document's hash, must be one of them; the SAD is used up as signHash uses
// it (use_sad), in the same database transaction as the signatures and their audit event.
//
// What the HSM signs is the signed attributes, not the platform's bytes: what the signer
// approved (the document's hash) is inside them as the message digest — for PAdES, the digest
// of the ByteRange of the revision Signet appends to exactly the document whose hash was
// approved.
#include <algorithm>
#include <optional>

#include "ca/service_certificates.hpp"
#include "ca/x509.hpp"
#include "csc/service_core.hpp"
#include "sign/cms_signature.hpp"
#include "sign/pdf_document.hpp"
#include "sign/pdf_signature.hpp"
#include "sign/tsa_time_stamper.hpp"

namespace signet::csc::detail {

namespace {

// §11.11's error table: "Unauthorized documentDigests or documents", 400 invalid_request. (Its
// 403 invalid_hash "Document or documentDigest does not match authorized hash" says the same
// for the signatureQualifier flows; a SCAL2 SAD that does not hold the hash is this row.)
constexpr const char* kDocumentsNotAuthorized =
    "documentDigests or documents are not authorized by the SAD";

[[noreturn]] void refuse_document(std::size_t index, const std::string& why) {
    refuse(CscFailure::invalid_request,
           "Invalid parameter documents (documents[" + std::to_string(index) + "]: " + why + ")");
}

// A document checked before the SAD is used, so a refusal costs the signer nothing: its hash
// (what the SAD must hold) and, for PAdES, the signature revision prepared over it (the PDF
// intake's refusals come here).
struct ReadyDocument {
    const DocumentToSign* document = nullptr;
    Bytes hash;
    std::optional<sign::PreparedSignature> revision;
};

std::vector<ReadyDocument> ready_documents(const Core& core, const SignDocumentRequest& request,
                                           Clock::time_point now) {
    std::size_t total = 0;
    for (const DocumentToSign& d : request.documents)
        total += d.bytes.size();
    if (total > core.deps.settings.max_document_bytes)
        refuse(CscFailure::invalid_request,
               "Invalid parameter documents (together over " +
                   std::to_string(core.deps.settings.max_document_bytes) + " bytes)");

    std::vector<ReadyDocument> ready;
    ready.reserve(request.documents.size());
    for (std::size_t i = 0; i < request.documents.size(); ++i) {
        const DocumentToSign& d = request.documents[i];
        if (d.bytes.empty())
            refuse_document(i, "empty");
        const bool pades = d.format == DocumentFormat::pades;
        if (pades != (d.envelope == DocumentEnvelope::revision))
            refuse(CscFailure::invalid_request, "Invalid parameter signed_envelope_property");
        // The signature revision's digest is the SHA-256 of its ByteRange (pdf_signature.hpp);
        // a signAlgo of another hash would claim what the signature is not.
        if (pades && request.hash_algorithm != Digest::sha256)
            refuse(CscFailure::invalid_request, "Invalid parameter signAlgo (PAdES signs SHA-256)");
        ReadyDocument r{&d, sign::digest_content(request.hash_algorithm, d.bytes).value, {}};
        if (pades) {
            sign::SignatureRequest signature;
            signature.signing_time = now;  // /M (EN 319 142-1 §5.3): PAdES's claimed time
            try {
                r.revision = sign::prepare_signature(sign::PdfDocument::open(d.bytes), signature);
            } catch (const Error& e) {
                // A PDF the intake refuses (not a PDF, damaged, encrypted, too many objects) or
                // whose certification forbids another signature: the platform's document.
                if (e.code() != Errc::invalid_argument && e.code() != Errc::failed_precondition)
                    throw;
                refuse_document(i, e.what());
            }
        }
        ready.push_back(std::move(r));
    }
    return ready;
}

sign::CmsSigner cms_signer(Core& core, const OwnCredential& credential) {
    return sign::CmsSigner{
        signer_of(core, credential), ca::certificate_from_der(*credential.record.der),
        ca::issuer_chain(core.deps.certificates, credential.record.issuer_ca, ca::WithRoot::no)};
}

hsm::Padding rsa_padding(hsm::Padding padding) {
    return padding == hsm::Padding::ecdsa ? hsm::Padding::pkcs1 : padding;
}

SignedDocuments sign_digests(Core& core, const Caller& caller, const OwnCredential& credential,
                             const SignDocumentRequest& request, Clock::time_point now,
                             const sign::TimeStamper& stamper) {
    check_hash_list(request.document_digests, request.hash_algorithm);
    return core.deps.database.transaction([&](store::Connection& tx) {
        const LockedSad sad = use_sad(tx, caller, credential, request.sad, request.hash_algorithm,
                                      request.document_digests, now);
        const sign::CmsSigner signer = cms_signer(core, credential);
        sign::CmsSignOptions options;
        options.rsa_padding = rsa_padding(request.padding);
        // EN 319 122-1 §6.3 lists signing-time for CAdES baseline signatures.
        options.signing_time = now;
        SignedDocuments out;
        out.signature_objects.reserve(request.document_digests.size());
        for (const Bytes& digest : request.document_digests)
            out.signature_objects.push_back(
                sign::sign_detached({request.hash_algorithm, digest}, signer, stamper, options));
        nlohmann::json details =
            signed_details(sad, request.hash_algorithm, request.padding, request.document_digests);
        details["format"] = "CAdES-B-T";
        core.deps.audit.defer(
            tx, core.event("csc.signed", caller, credential_object(credential.id), details));
        return out;
    });
}

SignedDocuments sign_documents(Core& core, const Caller& caller, const OwnCredential& credential,
                               const SignDocumentRequest& request, Clock::time_point now,
                               const sign::TimeStamper& stamper) {
    std::vector<ReadyDocument> ready = ready_documents(core, request, now);
    std::vector<Bytes> hashes;
    std::vector<std::string> formats;
    for (const ReadyDocument& r : ready) {
        hashes.push_back(r.hash);
        formats.emplace_back(r.revision ? "PAdES-B-T" : "CAdES-B-T");
    }
    return core.deps.database.transaction([&](store::Connection& tx) {
        const LockedSad sad = use_sad(tx, caller, credential, request.sad, request.hash_algorithm,
                                      hashes, now, kDocumentsNotAuthorized);
        const sign::CmsSigner signer = cms_signer(core, credential);
        SignedDocuments out;
        for (ReadyDocument& r : ready) {
            sign::CmsSignOptions options;
            options.rsa_padding = rsa_padding(request.padding);
            if (r.revision) {
                // No signing-time in the CMS: EN 319 142-1 §6.3 forbids it (the /M carries it).
                const auto& digest = r.revision->digest();
                r.revision->embed(
                    sign::sign_detached({Digest::sha256, Bytes(digest.begin(), digest.end())},
                                        signer, stamper, options));
                out.with_signature.push_back(r.revision->signed_document());
                continue;
            }
            options.signing_time = now;  // EN 319 122-1 §6.3, as for the digests
            Bytes cms =
                sign::sign_detached({request.hash_algorithm, r.hash}, signer, stamper, options);
            if (r.document->envelope == DocumentEnvelope::attached)
                out.with_signature.push_back(sign::attach_content(cms, r.document->bytes));
            else
                out.signature_objects.push_back(std::move(cms));
        }
        nlohmann::json details =
            signed_details(sad, request.hash_algorithm, request.padding, hashes);
        details["documents"] = true;
        details["formats"] = formats;
        // One format for the whole call when all agree (as for the digests), else "mixed".
        const bool one = std::ranges::all_of(
            formats, [&](const std::string& f) { return f == formats.front(); });
        details["format"] = one ? formats.front() : std::string("mixed");
        core.deps.audit.defer(
            tx, core.event("csc.signed", caller, credential_object(credential.id), details));
        return out;
    });
}

}  // namespace

SignedDocuments sign_document(Core& core, const Caller& caller,
                              const SignDocumentRequest& request) {
    const OwnCredential credential = own_credential(core, caller, request.credential_id);
    const bool digests = !request.document_digests.empty();
    const bool documents = !request.documents.empty();
    if (!digests && !documents)
        refuse(CscFailure::invalid_request, "Empty documentDigests and documents objects");
    if (digests && documents)
        refuse(CscFailure::invalid_request, "Both documentDigests and documents parameters passed");
    (void)check_padding(credential, request.padding);
    const Clock::time_point now = core.now();
    const tsa::Requester requester{caller.client, caller.address};
    const sign::TimeStamper stamper = sign::tsa_time_stamper(core.deps.tsa, requester);
    return digests ? sign_digests(core, caller, credential, request, now, stamper)
                   : sign_documents(core, caller, credential, request, now, stamper);
}

}  // namespace signet::csc::detail
