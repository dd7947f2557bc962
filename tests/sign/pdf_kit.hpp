#pragma once

// The PAdES tests' kit: PDFs made by Debian's tools, a software test PKI whose signer
// certificates follow ops/signet.example.yaml's personal and e-seal profiles (built and linted by
// the CA's own code), CMS signatures and RFC 3161 tokens made directly with OpenSSL (the sign-cms
// builder plugs in later), and the independent judges: poppler's pdfsig with an NSS database
// trusting only the root, and qpdf --check.
#include <filesystem>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/handle.hpp"
#include "sign/pdf_signature.hpp"
#include "tests/support/process.hpp"

namespace signet::testing {

// --- PDFs from different producers ---------------------------------------------------------------

struct ProducedPdf {
    std::string producer;  // e.g. "ghostscript", "qpdf --object-streams=generate"
    Bytes bytes;
};

// A two-page PDF from Ghostscript's pdfwrite (classic xref table).
Bytes ghostscript_pdf(const TempDir& dir);
// `input` rewritten by the qpdf command line with `options` (e.g. {"--linearize"}).
Bytes qpdf_rewrite(const TempDir& dir, const Bytes& input, const std::vector<std::string>& options);
// A PDF exported by LibreOffice Writer (headless) from a text file.
Bytes libreoffice_pdf(const TempDir& dir);
// Ghostscript, qpdf with object streams (cross-reference streams), linearized, QDF, LibreOffice.
std::vector<ProducedPdf> produced_pdfs(const TempDir& dir);

// --- A software PKI ------------------------------------------------------------------------------

struct TestSigner {
    EvpPkeyPtr key;
    X509Ptr certificate;
};

struct TestPki {
    EvpPkeyPtr root_key;
    X509Ptr root;
    EvpPkeyPtr issuing_key;
    X509Ptr issuing;
    TestSigner person;  // ops/signet.example.yaml's "personal" profile
    TestSigner seal;    // its "e-seal" profile
    TestSigner tsa;     // timeStamping, critical (RFC 3161 §2.3)
    X509CrlPtr crl;     // the issuing CA's, empty

    // Built once per test process (EC P-256 keys).
    static const TestPki& instance();
};

// A detached CAdES SignedData over the revision's ByteRange bytes (CMS_sign, CMS_CADES: with
// signing-certificate-v2), carrying the issuing CA certificate.
Bytes cms_signature(const sign::PreparedSignature& prepared, const TestSigner& signer);
// An RFC 3161 TimeStampToken over `digest` (SHA-256), from the test TSA, with its chain.
Bytes timestamp_token(const Sha256Digest& digest);

Bytes der_of(const X509* certificate);
Bytes der_of(const X509_CRL* crl);

// Signs `pdf` as a new revision: prepare, CMS, embed; the whole new file.
Bytes sign_pdf(const Bytes& pdf, const TestSigner& signer, const sign::SignatureRequest& request);
Bytes add_document_timestamp(const Bytes& pdf);

// --- Judges (pdf_judges.cpp)
// ----------------------------------------------------------------------

// An NSS database (sql:) in `dir` that trusts the test root for every use.
std::filesystem::path nss_database(const TempDir& dir);

struct PdfsigSignature {
    std::string text;             // pdfsig's lines for this signature
    bool valid = false;           // "Signature Validation: Signature is Valid."
    bool trusted = false;         // "Certificate Validation: Certificate is Trusted."
    bool total_document = false;  // "Total document signed"
};
struct PdfsigReport {
    CommandResult result;
    std::vector<PdfsigSignature> signatures;
};
// pdfsig -nssdir DB -no-ocsp FILE, its report split per signature.
PdfsigReport pdfsig(const TempDir& dir, const std::filesystem::path& db, const Bytes& pdf,
                    const std::string& name);

// qpdf --check on the file: its exit status 0 and "No syntax or stream encoding errors".
CommandResult qpdf_check(const TempDir& dir, const Bytes& pdf, const std::string& name);

}  // namespace signet::testing
