// The public verification page (web/, issue 15) in a real browser: signetd (SoftHSM, its
// embedded PostgreSQL, the key ceremony) serves GET /verify over HTTPS, and Debian's chromium,
// driven by playwright-core (tests/web/verify_page.mjs), drops signed PDFs on it. The PDFs are
// signed by the PAdES tests' software PKI (tests/sign/pdf_kit.hpp), a CA this node does not
// trust: the page must say so. Then the rate limit, asked with curl.
#include <openssl/x509.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "tests/sign/pdf_kit.hpp"
#include "tests/support/signetd.hpp"
#include "tests/web/browser_driver.hpp"

using namespace signet;
using namespace signet::testing;
using nlohmann::json;

namespace {

constexpr unsigned kRequestsPerMinute = 8;
const std::string kMarkupName = "<img src=x onerror=alert(1)>";

std::string text_of(const Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

// A signer whose name is markup, issued by the test PKI's issuing CA with OpenSSL alone (the
// CA's own name parser rightly keeps '<' and '=' out of a distinguished name it writes).
TestSigner markup_signer(const TestPki& pki) {
    TestSigner signer{EvpPkeyPtr(EVP_EC_gen("P-256")), X509Ptr(X509_new())};
    BOOST_REQUIRE(signer.key && signer.certificate);
    X509* cert = signer.certificate.get();
    BOOST_REQUIRE(X509_set_version(cert, 2) == 1);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 0x5157);
    X509_NAME* name = X509_get_subject_name(cert);
    BOOST_REQUIRE(X509_NAME_add_entry_by_txt(
                      name, "CN", MBSTRING_UTF8,
                      reinterpret_cast<const unsigned char*>(kMarkupName.c_str()), -1, -1, 0) == 1);
    BOOST_REQUIRE(X509_set_issuer_name(cert, X509_get_subject_name(pki.issuing.get())) == 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * 30);
    BOOST_REQUIRE(X509_set_pubkey(cert, signer.key.get()) == 1);
    BOOST_REQUIRE(X509_sign(cert, pki.issuing_key.get(), EVP_sha256()) > 0);
    return signer;
}

// A node with an HTTPS listener (a self-signed certificate for 127.0.0.1) and its key ceremony
// done, so it has root CAs of its own — none of which is the test PKI's.
struct WebNode {
    WebNode()
        : https_port(free_port()),
          node(
              "tsa:\n  allow_unsynchronized_clock: true\n"
              "web:\n  verify:\n    requests_per_minute: " +
                  std::to_string(kRequestsPerMinute) + "\n",
              "  https:\n    enabled: true\n    address: 127.0.0.1\n    port: " +
                  std::to_string(https_port) +
                  "\n    tls: {certificate: tls.pem, key: tls.key}\n") {
        const auto tls = run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                      "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                                      "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                                      "-keyout", (node.dir() / "tls.key").string(), "-out",
                                      (node.dir() / "tls.pem").string()});
        BOOST_REQUIRE_MESSAGE(tls.exit_code == 0, tls.output);
        std::string ceremony = read_file(source_file("ops/ceremony.example.yaml"));
        const std::string example = "http://127.0.0.1:8080/";
        const std::string here = "http://127.0.0.1:" + std::to_string(node.http_port()) + "/";
        for (auto at = ceremony.find(example); at != std::string::npos;
             at = ceremony.find(example, at + here.size()))
            ceremony.replace(at, example.size(), here);
        write_file(node.dir() / "ceremony.yaml", ceremony);
        const auto run = run_command({built_file("ops/signetctl").string(), "ceremony",
                                      (node.dir() / "ceremony.yaml").string(), "--config",
                                      node.config_file().string()});
        BOOST_REQUIRE_MESSAGE(run.exit_code == 0, run.output);
        node.start();
    }

    std::string base() const { return "https://127.0.0.1:" + std::to_string(https_port); }

    std::uint16_t https_port;
    SignetdProcess node;
};

json browse(const WebNode& web, const TempDir& files, const std::filesystem::path& shots) {
    return run_browser_driver("verify_page.mjs",
                              {web.base(), (files / "good.pdf").string(),
                               (files / "broken.pdf").string(), (files / "markup.pdf").string(),
                               shots.string()});
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_verification_page_in_chromium) {
    WebNode web;
    TempDir files("signet-web-files");
    const TestPki& pki = TestPki::instance();
    const Bytes pdf = ghostscript_pdf(files);
    sign::SignatureRequest request;
    request.field_name = "Alice";
    request.signing_time = std::chrono::system_clock::now();
    const Bytes good = add_document_timestamp(sign_pdf(pdf, pki.person, request));
    // One byte changed inside the first signed range: the header's binary comment (§7.5.2),
    // which keeps the file a PDF while changing what every signature's digest covers.
    Bytes broken = good;
    const std::size_t comment = text_of(broken).find("\n%") + 2;
    BOOST_REQUIRE(comment > 2 && comment < 32);
    broken[comment] = static_cast<std::uint8_t>(broken[comment] ^ 0x01);
    const Bytes markup = sign_pdf(pdf, markup_signer(pki), request);
    write_file(files / "good.pdf", text_of(good));
    write_file(files / "broken.pdf", text_of(broken));
    write_file(files / "markup.pdf", text_of(markup));
    const auto shots = built_file("tests/web/screenshots");
    std::filesystem::create_directories(shots);

    // Not const: a member the driver failed to report reads as null, not undefined behaviour.
    json seen = browse(web, files, shots);

    // The headers of the page; an asset answers 304 to its ETag.
    BOOST_TEST(seen["page_status"] == 200);
    json& headers = seen["page_headers"];
    BOOST_TEST(headers["content-security-policy"] ==
               "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    BOOST_TEST(headers["x-frame-options"] == "DENY");
    BOOST_TEST(headers["x-content-type-options"] == "nosniff");
    BOOST_TEST(headers["referrer-policy"] == "no-referrer");
    BOOST_TEST(contains(headers["content-type"], "text/html"));
    BOOST_TEST(seen["asset"]["status"] == 200);
    BOOST_TEST(contains(seen["asset"]["headers"]["content-type"], "text/javascript"));
    BOOST_TEST(contains(seen["asset"]["headers"]["etag"], "\""));
    BOOST_TEST(seen["asset"]["headers"]["cache-control"] == "no-cache");
    BOOST_TEST(seen["asset"]["headers"]["content-security-policy"].is_string());
    BOOST_TEST(seen["asset_revalidated"]["status"] == 304);
    BOOST_TEST(seen["asset_revalidated"]["etag"] == seen["asset"]["headers"]["etag"]);

    // The good PDF: the signature intact, its signer named, the chain said to be untrusted
    // (the test PKI is not this node's), the document time-stamp with its UTC time on hover.
    json& good_view = seen["good"];
    BOOST_REQUIRE_EQUAL(good_view["signatures"].size(), 2u);
    json& alice = good_view["signatures"][0];
    BOOST_TEST(contains(alice["signer"], "Alice Example"));
    BOOST_TEST(contains(alice["text"], "Yes: the signed bytes are unchanged"));
    BOOST_TEST(alice["verdict"] != "broken");
    BOOST_TEST(contains(alice["text"], "Not trusted"));
    BOOST_TEST(contains(good_view["signatures"][1]["time_title"], " UTC"));

    // The copy with one byte changed: broken, naming the failing part.
    json& broken_view = seen["broken"];
    BOOST_TEST(contains(broken_view["overall"], "invalid"));
    BOOST_REQUIRE(!broken_view["signatures"].empty());
    BOOST_TEST(broken_view["signatures"][0]["verdict"] == "broken");
    bool named = false;
    for (const auto& failure : broken_view["signatures"][0]["failures"])
        named = named || contains(failure, "changed after signing");
    BOOST_TEST(named);

    // Markup in a file name and a signer's name is text: no dialog, no element made of it.
    json& markup_view = seen["markup"];
    BOOST_TEST(markup_view["file_name"] == kMarkupName + ".pdf");
    BOOST_REQUIRE(!markup_view["signatures"].empty());
    // The subject as RFC 4514 writes it ('<' and '>' escaped with '\'), shown as characters.
    BOOST_TEST(contains(markup_view["signatures"][0]["signer"], "<img src=x onerror=alert(1)"));
    BOOST_TEST(markup_view["img_elements"] == 0);
    BOOST_TEST(seen["dialogs"].empty());

    // The languages: English from Accept-Language en-US, the switch to Chinese remembered over
    // a reload; Chinese from Accept-Language zh-CN, laid out for a phone.
    BOOST_TEST(seen["initial_lang"] == "en");
    BOOST_TEST(seen["switched_lang"] == "zh-CN");
    BOOST_TEST(seen["switched_title"] == "验证签名文件");
    BOOST_TEST(seen["remembered_lang"] == "zh-CN");
    BOOST_TEST(seen["zh_initial_lang"] == "zh-CN");
    BOOST_TEST(seen["zh_title"] == "验证签名文件");
    BOOST_TEST(contains(seen["zh_good"]["signatures"][0]["text"], "不可信"));
    BOOST_TEST(seen["zh_overflows"] == false);
    BOOST_TEST(std::filesystem::exists(shots / "verify-en.png"));
    BOOST_TEST(std::filesystem::exists(shots / "verify-zh-CN-phone.png"));

    // Nothing went wrong in the page, and the policy was never violated.
    BOOST_TEST(seen["console_errors"].empty(), seen["console_errors"].dump());
    BOOST_TEST(seen["page_errors"].empty(), seen["page_errors"].dump());
    BOOST_TEST(seen["csp_violations"].empty(), seen["csp_violations"].dump());

    // The rate limit: one address gets kRequestsPerMinute verifications (the browser used 4),
    // then 429 problem+json with Retry-After.
    int refused_at = 0;
    std::string refusal;
    for (unsigned i = 1; i <= kRequestsPerMinute + 1 && refused_at == 0; ++i) {
        const auto curl =
            run_command({"curl", "-ks", "-i", "-F", "signature=@" + (files / "good.pdf").string(),
                         web.base() + "/verify/report"});
        BOOST_REQUIRE_EQUAL(curl.exit_code, 0);
        if (curl.output.find("HTTP/1.1 429") == 0) {
            refused_at = static_cast<int>(i);
            refusal = curl.output;
        }
    }
    BOOST_TEST_MESSAGE("refused: " << refusal);
    BOOST_TEST(refused_at > 0);
    BOOST_TEST(refusal.find("Retry-After: ") != std::string::npos);
    BOOST_TEST(refusal.find("application/problem+json") != std::string::npos);
    BOOST_TEST(refusal.find("rate-limited") != std::string::npos);
}
