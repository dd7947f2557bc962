// POST /v1/verify (api/verify_routes.hpp) over real HTTPS, on documents signed with real parts
// (tests/sign/sign_fixture.hpp: SoftHSM keys, a ceremony's CA, the TSA, OCSP, CRLs): a PDF, a
// detached CMS with its data as a form, the problems naming the part, media types and scopes.
#include <boost/test/unit_test.hpp>

#include "api/verify_routes.hpp"
#include "ca/x509.hpp"
#include "sign/validation_data.hpp"
#include "tests/api/server_kit.hpp"
#include "tests/sign/pades_kit.hpp"
#include "tests/sign/pdf_kit.hpp"

using namespace signet;
using namespace signet::testing;
using nlohmann::json;

namespace {

constexpr std::string_view kToken = "verify-frontend-token";
constexpr std::string_view kReaderToken = "verify-reader-token";
constexpr std::string_view kBoundary = "----signet-verify-5e1f";
constexpr std::size_t kMaxDocument = 1024 * 1024;

std::shared_ptr<const ClientDirectory> clients() {
    std::vector<StaticClientDirectory::Entry> entries;
    entries.push_back({{"frontend", {"contracts"}}, std::nullopt, sha256_of(kToken)});
    entries.push_back({{"reader", {"subjects:read"}}, std::nullopt, sha256_of(kReaderToken)});
    return std::make_shared<StaticClientDirectory>(std::move(entries));
}

struct Answer {
    unsigned status = 0;
    json body;
    HttpResponse raw;
};

struct VerifyApi : SignFixture {
    explicit VerifyApi(const std::string& database_name) : SignFixture(database_name) {
        Router router;
        api::VerifyServices services{kMaxDocument, nullptr, *clock};
        services.trust_anchors = [this] {
            std::vector<X509Ptr> roots;
            roots.push_back(ca::certificate_from_der(ca::certificate_der(root.get())));
            return roots;
        };
        api::add_verify_routes(router, std::move(services));
        ServerContext context = quiet_context();
        context.clients = clients();
        server = std::make_unique<RunningServer>(test_options(), std::move(router),
                                                 std::move(context));
    }

    Answer post(std::string body, const std::string& content_type,
                std::string_view bearer = kToken) {
        TlsClient client(server->https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        auto request = make_request(http::verb::post, "/v1/verify", std::move(body));
        request.set(http::field::content_type, content_type);
        if (!bearer.empty())
            request.set(http::field::authorization, "Bearer " + std::string(bearer));
        Answer answer;
        answer.raw = client.request(request);
        answer.status = answer.raw.result_int();
        answer.body = json::parse(answer.raw.body(), nullptr, false);
        return answer;
    }

    Answer post_form(const std::vector<std::pair<std::string, std::string>>& parts) {
        const std::string b(kBoundary);
        std::string body;
        for (const auto& [name, data] : parts) {
            body += "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name +
                    "\"; filename=\"" + name + ".bin\"\r\n" +
                    "Content-Type: application/octet-stream\r\n\r\n" + data + "\r\n";
        }
        body += "--" + b + "--\r\n";
        return post(std::move(body), "multipart/form-data; boundary=" + b);
    }

    std::unique_ptr<RunningServer> server;
};

std::string text(const Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

void check_problem(const Answer& answer, unsigned status, const std::string& needle) {
    BOOST_CHECK_EQUAL(answer.status, status);
    BOOST_CHECK_EQUAL(answer.raw[http::field::content_type], "application/problem+json");
    const std::string detail = answer.body.value("detail", "");
    BOOST_CHECK_MESSAGE(detail.find(needle) != std::string::npos,
                        "'" << detail << "' does not contain '" << needle << "'");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(verify_routes)

BOOST_AUTO_TEST_CASE(pdf_cms_form_problems_and_scopes) {
    VerifyApi f("verify_api");
    const Person alice = f.issue_person(KeyType::ec_p256);
    const Bytes pdf = pades_add_document_timestamp(
        f, pades_add_dss(pades_sign(f, alice, ghostscript_pdf(f.dir), "Alice"),
                         f.validation_data(alice)));

    Answer answer = f.post(text(pdf), "application/pdf");
    BOOST_REQUIRE_EQUAL(answer.status, 200u);
    BOOST_CHECK_EQUAL(answer.body["format"], "pdf");
    BOOST_CHECK_EQUAL(answer.body["valid"], true);
    BOOST_CHECK_EQUAL(answer.body["signatures"][0]["level"], "B-LTA");
    BOOST_CHECK_EQUAL(answer.body["signatures"][0]["chain"]["trusted"], true);  // the root
    BOOST_CHECK_EQUAL(answer.body["signatures"][1]["kind"], "document_timestamp");

    // A changed byte: still 200, the report says not valid.
    Bytes changed = pdf;
    changed[text(pdf).find("\n%") + 2] ^= 0x01;
    answer = f.post(text(changed), "application/pdf");
    BOOST_REQUIRE_EQUAL(answer.status, 200u);
    BOOST_CHECK_EQUAL(answer.body["valid"], false);
    BOOST_CHECK_EQUAL(answer.body["signatures"][0]["intact"], false);

    // A detached CMS: as a form with its data; alone it is refused naming what it needs.
    const std::string content = "Service agreement 2027";
    const std::string cms = text(
        sign::add_validation_data(f.sign(alice, as_bytes(content)), f.validation_data(alice)));
    answer = f.post_form({{"signature", cms}, {"data", content}});
    BOOST_REQUIRE_EQUAL(answer.status, 200u);
    BOOST_CHECK_EQUAL(answer.body["format"], "cms");
    BOOST_CHECK_EQUAL(answer.body["valid"], true);
    BOOST_CHECK_EQUAL(answer.body["signatures"][0]["level"], "B-LT");
    answer = f.post_form({{"signature", cms}, {"data", content + "!"}});
    BOOST_CHECK_EQUAL(answer.body["valid"], false);
    check_problem(f.post(cms, "application/pkcs7-signature"), 400,
                  "the body: the CMS signature is detached: it needs the signed data");
    check_problem(f.post(cms, "application/cms"), 400, "'signature' and 'data'");
    check_problem(f.post_form({{"signature", "garbage"}, {"data", content}}), 400,
                  "the part 'signature': neither a PDF");
    check_problem(f.post_form({{"data", content}}), 400, "needs a part 'signature'");
    check_problem(f.post_form({{"signature", cms}, {"colour", "red"}}), 400, "not 'colour'");
    check_problem(f.post("%PDF-1.7\n", "application/pdf"), 400, "the body: ");
    check_problem(f.post(text(pdf), "text/plain"), 415, "application/pdf");

    // Over signing.max_document_bytes and the overhead: refused on its Content-Length, before a
    // byte of the body is read.
    {
        TlsClient client(f.server->https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        client.send_raw("POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                        std::string(kToken) + "\r\nContent-Type: application/pdf\r\n" +
                        "Content-Length: " + std::to_string(kMaxDocument + api::kVerifyOverhead + 1) +
                        "\r\n\r\n");
        BOOST_CHECK_EQUAL(client.read_response().result_int(), 413u);
    }

    // Scopes: none, the wrong one.
    BOOST_CHECK_EQUAL(f.post(text(pdf), "application/pdf", "").status, 401u);
    BOOST_CHECK_EQUAL(f.post(text(pdf), "application/pdf", kReaderToken).status, 403u);
}

BOOST_AUTO_TEST_SUITE_END()
