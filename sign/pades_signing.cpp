#include "sign/pades_signing.hpp"

#include "common/error.hpp"
#include "sign/pdf_document.hpp"
#include "sign/pdf_dss.hpp"

namespace signet::sign {

namespace {

std::vector<const X509*> signer_chain(const CmsSigner& signer) {
    std::vector<const X509*> chain{signer.certificate.get()};
    for (const X509Ptr& ca : signer.chain)
        chain.push_back(ca.get());
    return chain;
}

ValidationData validation_of(const SigningParties& parties) {
    return collect_validation_data(parties.validation,
                                   {signer_chain(parties.signer), parties.tsa_chain});
}

void append(Bytes& pdf, const Bytes& update) {
    pdf.insert(pdf.end(), update.begin(), update.end());
}

// Cuts `pdf` back to its original size unless released: a failed signature leaves the caller's
// document as it was.
class Rollback {
  public:
    Rollback(Bytes& pdf) : pdf_(pdf), size_(pdf.size()) {}
    ~Rollback() {
        if (!released_)
            pdf_.resize(size_);
    }
    void release() { released_ = true; }

  private:
    Bytes& pdf_;
    std::size_t size_;
    bool released_ = false;
};

}  // namespace

PadesRevisions sign_pades(Bytes& pdf, const SigningParties& parties, const PadesOptions& options) {
    Rollback rollback(pdf);
    PadesRevisions revisions;
    revisions.original_size = pdf.size();
    {
        const PdfDocument doc = PdfDocument::open(pdf);
        PreparedSignature prepared = prepare_signature(doc, options.signature);
        const ContentDigest digest{Digest::sha256,
                                   Bytes(prepared.digest().begin(), prepared.digest().end())};
        prepared.embed(sign_detached(digest, parties.signer, parties.time_stamper, options.cms));
        append(pdf, prepared.update());
        revisions.signature_end = pdf.size();
    }
    {
        // Collected after the signature: the status the source knows at its time-stamp. Whether
        // it was issued after that time depends on the source (signetd's OCSP responses are
        // pre-signed, so they were not; see docs/signing.md "The signatures").
        const ValidationData data = validation_of(parties);
        const PdfDocument doc = PdfDocument::open(pdf);
        append(pdf, prepare_dss_update(doc, data));
        revisions.dss_end = pdf.size();
    }
    if (options.document_timestamp) {
        const PdfDocument doc = PdfDocument::open(pdf);
        PreparedSignature prepared = prepare_document_timestamp(doc, {});
        prepared.embed(parties.time_stamper(Digest::sha256, prepared.digest()));
        append(pdf, prepared.update());
        revisions.document_timestamp_end = pdf.size();
    }
    rollback.release();
    return revisions;
}

Bytes sign_cades(const ContentDigest& content, const SigningParties& parties,
                 const CmsSignOptions& options) {
    const Bytes cms = sign_detached(content, parties.signer, parties.time_stamper, options);
    return add_validation_data(cms, validation_of(parties));
}

}  // namespace signet::sign
