// signatures/signDoc (CSC API §11.11) for documentDigests in CAdES: Signet builds the signature
// itself — a detached CMS SignedData at CAdES baseline B-T (sign::sign_detached: signed
// attributes with the message digest and the signing certificate, the signature made in the HSM,
// a signature time-stamp from our TSA) — over each document digest the SAD authorized. §11.11:
// "If hashes were provided in credential authorization, RSSP SHALL verify each hash matches one
// from the authorization"; the SAD is used up as signHash uses it, in the same transaction.
#include "ca/service_certificates.hpp"
#include "ca/x509.hpp"
#include "csc/service_core.hpp"
#include "sign/cms_signature.hpp"
#include "sign/tsa_time_stamper.hpp"

namespace signet::csc::detail {

std::vector<Bytes> sign_document(Core& core, const Caller& caller,
                                 const SignDocumentRequest& request) {
    const OwnCredential credential = own_credential(core, caller, request.credential_id);
    check_hash_list(request.document_digests, request.hash_algorithm);
    (void)check_padding(credential, request.padding);
    const Clock::time_point now = core.now();
    const tsa::Requester requester{caller.client, caller.address};
    const sign::TimeStamper stamper = sign::tsa_time_stamper(core.deps.tsa, requester);

    return core.deps.database.transaction([&](store::Connection& tx) {
        const LockedSad sad = use_sad(tx, caller, credential, request.sad, request.hash_algorithm,
                                      request.document_digests, now);
        sign::CmsSigner signer{signer_of(core, credential),
                               ca::certificate_from_der(*credential.record.der),
                               ca::issuer_chain(core.deps.certificates,
                                                credential.record.issuer_ca, ca::WithRoot::no)};
        sign::CmsSignOptions options;
        options.rsa_padding = request.padding == hsm::Padding::ecdsa ? hsm::Padding::pkcs1
                                                                     : request.padding;
        // EN 319 122-1 §6.3 lists signing-time for CAdES baseline signatures.
        options.signing_time = now;
        std::vector<Bytes> signatures;
        signatures.reserve(request.document_digests.size());
        for (const Bytes& digest : request.document_digests)
            signatures.push_back(
                sign::sign_detached({request.hash_algorithm, digest}, signer, stamper, options));
        nlohmann::json details = signed_details(sad, request.hash_algorithm, request.padding,
                                                request.document_digests);
        details["format"] = "CAdES-B-T";
        core.deps.audit.defer(
            tx, core.event("csc.signed", caller, credential_object(credential.id), details));
        return signatures;
    });
}

}  // namespace signet::csc::detail
