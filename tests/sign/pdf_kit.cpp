#include "tests/sign/pdf_kit.hpp"

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "ca/lint.hpp"
#include "ca/x509.hpp"
#include "common/der.hpp"
#include "policy/config.hpp"

namespace signet::testing {

namespace {

const char* kPostScript = R"(%!PS
/Helvetica findfont 14 scalefont setfont
72 720 moveto (Contract between Alice and Example Contracts Ltd) show
72 700 moveto (Page one: the parties agree.) show
showpage
/Helvetica findfont 14 scalefont setfont
72 720 moveto (Page two: signatures follow.) show
showpage
)";

Bytes bytes_of(const std::string& text) {
    return Bytes(text.begin(), text.end());
}

std::string text_of(const Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

Bytes random_bytes(std::size_t n) {
    Bytes out(n);
    BOOST_REQUIRE_EQUAL(RAND_bytes(out.data(), static_cast<int>(n)), 1);
    return out;
}

EvpPkeyPtr new_key() {
    EvpPkeyPtr key(EVP_EC_gen("P-256"));
    BOOST_REQUIRE(key);
    return key;
}

X509Ptr issue(const ca::CertificateTemplate& tmpl, EVP_PKEY* key, const X509* issuer,
              EVP_PKEY* issuer_key) {
    X509Ptr cert = ca::build_certificate(tmpl, key, issuer);
    ca::sign_certificate(cert.get(), issuer_key);
    return cert;
}

ca::CertificateTemplate ca_template(const std::string& subject, std::optional<int> path_length) {
    const auto now = std::chrono::system_clock::now();
    ca::CertificateTemplate tmpl;
    tmpl.serial = ca::make_serial(random_bytes);
    tmpl.subject = ca::parse_distinguished_name(subject);
    tmpl.not_before = now - std::chrono::hours(1);
    tmpl.not_after = now + std::chrono::days(3650);
    tmpl.is_ca = true;
    tmpl.path_length = path_length;
    tmpl.key_usage = {"keyCertSign", "cRLSign"};
    return tmpl;
}

// An end-entity certificate as the Authority issues it for `profile` (ca/authority.cpp), linted
// as the issuance cycle lints it.
TestSigner profile_signer(const policy::CertificateProfile& profile, const std::string& subject,
                          const X509* issuer, EVP_PKEY* issuer_key) {
    const auto now = std::chrono::system_clock::now();
    ca::CertificateTemplate tmpl;
    tmpl.serial = ca::make_serial(random_bytes);
    tmpl.subject = ca::parse_distinguished_name(subject);
    tmpl.not_before = now - std::chrono::hours(1);
    tmpl.not_after = now + std::chrono::days(profile.validity_days);
    tmpl.key_usage = profile.key_usage;
    tmpl.extended_key_usage = profile.extended_key_usage;
    tmpl.certificate_policies = profile.certificate_policies;
    tmpl.ocsp_url = profile.ocsp_url;
    tmpl.ca_issuers_url = profile.ca_issuers_url;
    tmpl.crl_distribution_point = profile.crl_distribution_point;
    TestSigner signer{new_key(), nullptr};
    signer.certificate = issue(tmpl, signer.key.get(), issuer, issuer_key);
    for (const auto& finding : ca::lint_certificate(signer.certificate.get(), issuer, tmpl))
        BOOST_ERROR("lint " << subject << ": " << finding.rule << ": " << finding.message);
    return signer;
}

TestPki make_pki() {
    TestPki pki;
    pki.root_key = new_key();
    pki.root = issue(ca_template("CN=PDF Test Root,O=Signet Tests,C=CN", std::nullopt),
                     pki.root_key.get(), nullptr, pki.root_key.get());
    pki.issuing_key = new_key();
    pki.issuing = issue(ca_template("CN=PDF Test Issuing CA,O=Signet Tests,C=CN", 0),
                        pki.issuing_key.get(), pki.root.get(), pki.root_key.get());
    // The example configuration as config_test loads it: in a directory with its PIN file.
    TempDir dir("signet-pdf-pki");
    write_file(dir / "signet.yaml", read_file(source_file("ops/signet.example.yaml")));
    std::filesystem::create_directories(dir / "var");
    write_file(dir / "var" / "hsm-user.pin", "1234\n");
    const policy::Config config = policy::load_config(dir / "signet.yaml");
    pki.person = profile_signer(config.ca.profiles.at("personal"),
                                "CN=Alice Example,serialNumber=1101XXXXXXXXXXXX23,C=CN",
                                pki.issuing.get(), pki.issuing_key.get());
    pki.seal = profile_signer(config.ca.profiles.at("e-seal"),
                              "CN=Example Contracts Ltd,O=Example Contracts Ltd,C=CN",
                              pki.issuing.get(), pki.issuing_key.get());

    policy::CertificateProfile tsa;
    tsa.validity_days = 365;
    tsa.key_usage = {"digitalSignature"};
    tsa.extended_key_usage = {"1.3.6.1.5.5.7.3.8"};
    const auto now = std::chrono::system_clock::now();
    ca::CertificateTemplate tmpl;
    tmpl.serial = ca::make_serial(random_bytes);
    tmpl.subject = ca::parse_distinguished_name("CN=PDF Test TSA,O=Signet Tests,C=CN");
    tmpl.not_before = now - std::chrono::hours(1);
    tmpl.not_after = now + std::chrono::days(365);
    tmpl.key_usage = {"digitalSignature"};
    tmpl.extended_key_usage = {"1.3.6.1.5.5.7.3.8"};
    tmpl.eku_critical = true;
    pki.tsa.key = new_key();
    pki.tsa.certificate = issue(tmpl, pki.tsa.key.get(), pki.issuing.get(), pki.issuing_key.get());

    pki.crl.reset(X509_CRL_new());
    BOOST_REQUIRE(pki.crl);
    X509_CRL_set_version(pki.crl.get(), 1);
    X509_CRL_set_issuer_name(pki.crl.get(), X509_get_subject_name(pki.issuing.get()));
    Asn1TimePtr this_update(ASN1_TIME_adj(nullptr, std::time(nullptr), 0, 0));
    Asn1TimePtr next_update(ASN1_TIME_adj(nullptr, std::time(nullptr), 7, 0));
    X509_CRL_set1_lastUpdate(pki.crl.get(), this_update.get());
    X509_CRL_set1_nextUpdate(pki.crl.get(), next_update.get());
    BOOST_REQUIRE(X509_CRL_sign(pki.crl.get(), pki.issuing_key.get(), EVP_sha256()) > 0);
    return pki;
}

X509StackPtr chain_of(const TestPki& pki) {
    X509StackPtr chain(sk_X509_new_null());
    BOOST_REQUIRE(chain);
    X509_up_ref(pki.issuing.get());
    sk_X509_push(chain.get(), pki.issuing.get());
    return chain;
}

void write_bytes(const std::filesystem::path& path, const Bytes& bytes) {
    write_file(path, text_of(bytes));
}

Bytes read_bytes(const std::filesystem::path& path) {
    return bytes_of(read_file(path));
}

}  // namespace

Bytes ghostscript_pdf(const TempDir& dir) {
    write_file(dir / "contract.ps", kPostScript);
    const auto gs =
        run_command({"gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                     "-sOutputFile=" + (dir / "gs.pdf").string(), (dir / "contract.ps").string()});
    BOOST_REQUIRE_MESSAGE(gs.exit_code == 0, gs.output);
    return read_bytes(dir / "gs.pdf");
}

Bytes qpdf_rewrite(const TempDir& dir, const Bytes& input,
                   const std::vector<std::string>& options) {
    write_bytes(dir / "qpdf-in.pdf", input);
    std::vector<std::string> argv = {"qpdf"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back((dir / "qpdf-in.pdf").string());
    argv.push_back((dir / "qpdf-out.pdf").string());
    const auto result = run_command(argv);
    BOOST_REQUIRE_MESSAGE(result.exit_code == 0, result.output);
    return read_bytes(dir / "qpdf-out.pdf");
}

Bytes libreoffice_pdf(const TempDir& dir) {
    write_file(dir / "letter.txt", "Contract\n\nThe parties agree to the terms below.\n");
    const auto result = run_command(
        {"soffice", "--headless", "--norestore", "--nologo",
         "-env:UserInstallation=file://" + (dir / "lo-profile").string(), "--convert-to", "pdf",
         "--outdir", dir.path().string(), (dir / "letter.txt").string()});
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists(dir / "letter.pdf"), result.output);
    return read_bytes(dir / "letter.pdf");
}

std::vector<ProducedPdf> produced_pdfs(const TempDir& dir) {
    const Bytes gs = ghostscript_pdf(dir);
    return {
        {"ghostscript", gs},
        {"qpdf --object-streams=generate", qpdf_rewrite(dir, gs, {"--object-streams=generate"})},
        {"qpdf --linearize", qpdf_rewrite(dir, gs, {"--linearize"})},
        {"qpdf --qdf", qpdf_rewrite(dir, gs, {"--qdf"})},
        {"libreoffice", libreoffice_pdf(dir)},
    };
}

const TestPki& TestPki::instance() {
    static const TestPki pki = make_pki();
    return pki;
}

Bytes der_of(const X509* certificate) {
    return to_der(i2d_X509, certificate);
}

Bytes der_of(const X509_CRL* crl) {
    return to_der(i2d_X509_CRL, crl);
}

Bytes cms_signature(const sign::PreparedSignature& prepared, const TestSigner& signer) {
    BioPtr data(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE(data);
    for (ByteView part : prepared.signed_parts())
        BOOST_REQUIRE_EQUAL(BIO_write(data.get(), part.data(), static_cast<int>(part.size())),
                            static_cast<int>(part.size()));
    const auto chain = chain_of(TestPki::instance());
    CmsPtr cms(CMS_sign(signer.certificate.get(), signer.key.get(), chain.get(), data.get(),
                        CMS_DETACHED | CMS_BINARY | CMS_CADES | CMS_NOSMIMECAP));
    BOOST_REQUIRE(cms);
    return to_der(i2d_CMS_ContentInfo, static_cast<const CMS_ContentInfo*>(cms.get()));
}

Bytes timestamp_token(const Sha256Digest& digest) {
    const TestPki& pki = TestPki::instance();
    TsReqPtr request(TS_REQ_new());
    TsMsgImprintPtr imprint(TS_MSG_IMPRINT_new());
    X509AlgorPtr algorithm(X509_ALGOR_new());
    BOOST_REQUIRE(request && imprint && algorithm);
    X509_ALGOR_set_md(algorithm.get(), EVP_sha256());
    BOOST_REQUIRE_EQUAL(TS_MSG_IMPRINT_set_algo(imprint.get(), algorithm.get()), 1);
    BOOST_REQUIRE_EQUAL(
        TS_MSG_IMPRINT_set_msg(imprint.get(), const_cast<std::uint8_t*>(digest.data()),
                               static_cast<int>(digest.size())),
        1);
    BOOST_REQUIRE_EQUAL(TS_REQ_set_version(request.get(), 1), 1);
    BOOST_REQUIRE_EQUAL(TS_REQ_set_msg_imprint(request.get(), imprint.get()), 1);
    BOOST_REQUIRE_EQUAL(TS_REQ_set_cert_req(request.get(), 1), 1);
    BioPtr query(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE_EQUAL(i2d_TS_REQ_bio(query.get(), request.get()), 1);

    TsRespCtxPtr ctx(TS_RESP_CTX_new());
    BOOST_REQUIRE(ctx);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_signer_cert(ctx.get(), pki.tsa.certificate.get()), 1);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_signer_key(ctx.get(), pki.tsa.key.get()), 1);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_signer_digest(ctx.get(), EVP_sha256()), 1);
    Asn1ObjectPtr policy(OBJ_txt2obj("1.3.6.1.4.1.99999.1.1", 1));
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_def_policy(ctx.get(), policy.get()), 1);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_add_md(ctx.get(), EVP_sha256()), 1);
    const auto chain = chain_of(pki);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_certs(ctx.get(), chain.get()), 1);
    TsRespPtr response(TS_RESP_create_response(ctx.get(), query.get()));
    BOOST_REQUIRE(response);
    BOOST_REQUIRE_EQUAL(
        ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(response.get()))), 0);
    return to_der(i2d_PKCS7, static_cast<const PKCS7*>(TS_RESP_get_token(response.get())));
}

Bytes sign_pdf(const Bytes& pdf, const TestSigner& signer, const sign::SignatureRequest& request) {
    const auto doc = sign::PdfDocument::open(pdf);
    auto prepared = sign::prepare_signature(doc, request);
    prepared.embed(cms_signature(prepared, signer));
    return prepared.signed_document();
}

Bytes add_document_timestamp(const Bytes& pdf) {
    const auto doc = sign::PdfDocument::open(pdf);
    auto prepared = sign::prepare_document_timestamp(doc, {});
    prepared.embed(timestamp_token(prepared.digest()));
    return prepared.signed_document();
}

}  // namespace signet::testing
