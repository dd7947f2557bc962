// An evidence package handed to POST /v1/verify (api/verify_routes.hpp, verify_evidence.hpp) over
// real HTTPS on loopback: a two-party contract signed on the signing fixture's real parts, its
// package built by the real builder, judged by evidence::verify_package against the roots the
// route is given — as application/zip and as the form's part 'signature'. A byte changed inside
// the contract's PDF is a 200 saying not valid and naming the file; an archive read_zip refuses
// is a 400 naming the part; a part 'data' beside a package is a 400; no root CA yet is a 409.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <set>

#include "api/verify_evidence.hpp"
#include "api/verify_routes.hpp"
#include "tests/api/server_kit.hpp"
#include "tests/evidence/evidence_fixture.hpp"

using namespace signet::testing;
using nlohmann::json;

namespace {

constexpr std::string_view kVerifyToken = "package-verify-frontend";
constexpr std::string_view kVerifyBoundary = "----signet-package-7c2d";
constexpr std::size_t kVerifyMaxDocument = 4 * 1024 * 1024;

struct VerifyAnswer {
    unsigned status = 0;
    json body;
    std::string content_type;
};

// A verification route whose roots are `roots()` (the fixture's, or none).
struct PackageVerifyServer {
    PackageVerifyServer(const Clock& clock, std::function<std::vector<X509Ptr>()> roots) {
        Router router;
        api::add_verify_routes(router,
                               api::VerifyServices{kVerifyMaxDocument, std::move(roots), clock});
        std::vector<StaticClientDirectory::Entry> entries;
        entries.push_back({{"frontend", {"contracts"}}, std::nullopt, sha256_of(kVerifyToken)});
        ServerContext context = quiet_context();
        context.clients = std::make_shared<StaticClientDirectory>(std::move(entries));
        server = std::make_unique<RunningServer>(test_options(), std::move(router),
                                                 std::move(context));
    }

    VerifyAnswer post(std::string body, const std::string& content_type) {
        TlsClient client(server->https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        auto request = make_request(http::verb::post, "/v1/verify", std::move(body));
        request.set(http::field::content_type, content_type);
        request.set(http::field::authorization, "Bearer " + std::string(kVerifyToken));
        const HttpResponse response = client.request(request);
        return {response.result_int(), json::parse(response.body(), nullptr, false),
                std::string(response[http::field::content_type])};
    }

    VerifyAnswer post_form(const std::vector<std::pair<std::string, std::string>>& parts) {
        const std::string b(kVerifyBoundary);
        std::string body;
        for (const auto& [name, data] : parts)
            body += "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name +
                    "\"; filename=\"" + name + ".zip\"\r\nContent-Type: application/zip\r\n\r\n" +
                    data + "\r\n";
        body += "--" + b + "--\r\n";
        return post(std::move(body), "multipart/form-data; boundary=" + b);
    }

    std::unique_ptr<RunningServer> server;
};

std::string as_text(const Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

void check_refusal(const VerifyAnswer& answer, unsigned status, const std::string& needle) {
    BOOST_TEST(answer.status == status);
    BOOST_TEST(answer.content_type == "application/problem+json");
    const std::string detail = answer.body.value("detail", "");
    BOOST_TEST(detail.find(needle) != std::string::npos,
               "'" << detail << "' does not contain '" << needle << "'");
}

bool lists(const json& failures, const std::string& subject) {
    for (const auto& f : failures)
        if (f == subject)
            return true;
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(package_verify_route)

BOOST_AUTO_TEST_CASE(a_package_verifies_and_a_changed_byte_names_its_file) {
    EvidenceFixture f("package_verify_route");
    const sign::Contract c = f.two_party_contract("pdf");
    const std::string package = as_text(f.package_of(c));
    BOOST_REQUIRE(api::looks_like_zip(package));
    PackageVerifyServer verify(f.clock, [&f] { return f.anchors(); });

    // As the body, application/zip: the package report, told apart by its "format".
    VerifyAnswer answer = verify.post(package, "application/zip");
    BOOST_REQUIRE_EQUAL(answer.status, 200u);
    BOOST_TEST(answer.content_type == "application/json");
    BOOST_TEST(answer.body["format"] == "evidence-package");
    BOOST_TEST(answer.body["valid"] == true, answer.body.dump());
    BOOST_TEST(answer.body["contract"] == c.record.id);
    BOOST_TEST(answer.body["failures"].empty());
    BOOST_TEST(!answer.body.contains("signatures"));  // not a document's report
    // Every group of checks the page shows is there.
    std::set<std::string> subjects;
    for (const auto& check : answer.body["checks"]) {
        BOOST_TEST(check["ok"] == true, check.dump());
        subjects.insert(check["subject"].get<std::string>());
    }
    for (const std::string s : {"manifest.json", "manifest.p7s", "evidence-certificate.pdf",
                                "document/contract.pdf", "checkpoint"})
        BOOST_TEST(subjects.contains(s), s);
    BOOST_TEST(std::ranges::any_of(subjects, [](const auto& s) { return s.starts_with("audit/events/"); }));
    BOOST_TEST(std::ranges::any_of(subjects, [](const auto& s) { return s.starts_with("contract-events/"); }));

    // The same as the form's part 'signature' (the public page's way): told by its first bytes.
    answer = verify.post_form({{"signature", package}});
    BOOST_REQUIRE_EQUAL(answer.status, 200u);
    BOOST_TEST(answer.body["format"] == "evidence-package");
    BOOST_TEST(answer.body["valid"] == true);

    // One byte of the contract's PDF changed, the archive made again around it: still 200, not
    // valid, the file named (its SHA-256 is not the manifest's, its signatures are broken).
    std::vector<evidence::ZipEntry> entries = entries_of(as_bytes(package));
    bool changed = false;
    for (auto& e : entries)
        if (e.path == "document/contract.pdf") {
            const std::string pdf = as_text(e.content);
            e.content[pdf.find("\n%") + 2] ^= 0x01;  // the header's binary comment
            changed = true;
        }
    BOOST_REQUIRE(changed);
    answer = verify.post(as_text(zip_of(entries)), "application/zip");
    BOOST_REQUIRE_EQUAL(answer.status, 200u);
    BOOST_TEST(answer.body["valid"] == false);
    BOOST_TEST(lists(answer.body["failures"], "document/contract.pdf"), answer.body["failures"].dump());
    bool named_changed = false;
    for (const auto& check : answer.body["checks"])
        named_changed |= check["subject"] == "document/contract.pdf" && check["ok"] == false &&
                         check["detail"].get<std::string>().find("changed") != std::string::npos;
    BOOST_TEST(named_changed, answer.body["checks"].dump());
}

BOOST_AUTO_TEST_CASE(an_unreadable_package_or_data_beside_it_is_400_naming_the_part) {
    EvidenceFixture f("package_verify_route_refused");
    PackageVerifyServer verify(f.clock, [&f] { return f.anchors(); });
    // A ZIP's first bytes and nothing of a ZIP after them.
    const std::string garbage = std::string("PK\x03\x04", 4) + std::string(200, '\x5a');
    check_refusal(verify.post_form({{"signature", garbage}}), 400,
                   "the part 'signature': evidence package: ");
    check_refusal(verify.post("not a zip at all", "application/zip"), 400,
                   "the body: evidence package: not a ZIP");
    // Two entries of one path: read_zip refuses the archive, whatever is in it.
    const Bytes twice = zip_of({{"manifest.json", Bytes{'{', '}'}}, {"manifest.json", Bytes{'{', '}'}}});
    check_refusal(verify.post(as_text(twice), "application/zip"), 400, "the body: evidence package: ");
    // A package carries its documents: a part 'data' beside it is the caller's mistake.
    check_refusal(verify.post_form({{"signature", as_text(zip_of({{"a.txt", Bytes{'a'}}}))},
                                     {"data", "the signed bytes"}}),
                   400, "the part 'data' is only for a detached CMS");
}

BOOST_AUTO_TEST_CASE(without_a_root_ca_a_package_is_409_and_the_archive_bounds_follow_the_route) {
    EvidenceFixture f("package_verify_route_rootless");
    const sign::Contract c = f.two_party_contract("bytes");
    PackageVerifyServer verify(f.clock, [] { return std::vector<X509Ptr>{}; });
    check_refusal(verify.post(as_text(f.package_of(c)), "application/zip"), 409,
                   "this appliance has no root CA yet");

    // The entries together hold no more than the route takes as a document (plus the
    // overhead), below read_zip's own bounds for a large one.
    const evidence::ZipLimits small = api::package_limits(kVerifyMaxDocument);
    BOOST_TEST(small.max_total_bytes == kVerifyMaxDocument + api::kVerifyOverhead);
    BOOST_TEST(small.max_entry_bytes == kVerifyMaxDocument + api::kVerifyOverhead);
    const evidence::ZipLimits large = api::package_limits(std::size_t{1024} * 1024 * 1024);
    BOOST_TEST(large.max_total_bytes == evidence::ZipLimits{}.max_total_bytes);
    BOOST_TEST(large.max_entry_bytes == evidence::ZipLimits{}.max_entry_bytes);
}

BOOST_AUTO_TEST_SUITE_END()
