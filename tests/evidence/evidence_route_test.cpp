// GET /v1/contracts/{id}/evidence (api/evidence_route.hpp) over real HTTPS on loopback: a
// two-party contract signed on the signing fixture's real parts, its package downloaded through
// the route and judged by `signetctl evidence verify --root` run as a process; another client's
// contract is 404, a malformed id 400; and the stream's edges on a stand-in writer: a refusal
// before the first byte is problem+json, a failure after it a truncated body, no writer a 503.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>

#include "api/evidence_route.hpp"
#include "tests/api/server_kit.hpp"
#include "tests/evidence/evidence_fixture.hpp"

using namespace signet::testing;
using nlohmann::json;

namespace {

constexpr std::string_view kToken = "evidence-frontend-1";
constexpr std::string_view kOtherToken = "evidence-frontend-2";

std::shared_ptr<const ClientDirectory> clients() {
    std::vector<StaticClientDirectory::Entry> entries;
    // frontend-1 is the contracts fixture's caller ("client:frontend-1").
    entries.push_back({{"frontend-1", {"contracts"}}, std::nullopt, sha256_of(kToken)});
    entries.push_back({{"frontend-2", {"contracts"}}, std::nullopt, sha256_of(kOtherToken)});
    return std::make_shared<StaticClientDirectory>(std::move(entries));
}

std::unique_ptr<RunningServer> serve(api::EvidenceServices services) {
    Router router;
    api::add_evidence_route(router, std::move(services));
    ServerContext context = quiet_context();
    context.clients = clients();
    return std::make_unique<RunningServer>(test_options(), std::move(router), std::move(context));
}

HttpResponse get(RunningServer& server, const std::string& target,
                 std::string_view token = kToken) {
    TlsClient client(server.https_port(), {});
    BOOST_REQUIRE(!client.handshake());
    auto request = make_request(http::verb::get, target);
    request.set(http::field::authorization, "Bearer " + std::string(token));
    return client.request(request);
}

std::string signetctl() {
    const char* dir = std::getenv("SIGNET_BINARY_DIR");
    BOOST_REQUIRE_MESSAGE(dir != nullptr, "SIGNET_BINARY_DIR is not set (run through ctest)");
    return std::string(dir) + "/ops/signetctl";
}

std::string problem_detail(const HttpResponse& response) {
    BOOST_TEST(response[http::field::content_type] == "application/problem+json");
    return json::parse(response.body()).value("detail", "");
}

constexpr std::string_view kSomeId = "0123456789abcdef0123456789abcdef";

}  // namespace

BOOST_AUTO_TEST_SUITE(evidence_route)

BOOST_AUTO_TEST_CASE(a_signed_contracts_package_downloads_and_signetctl_verifies_it) {
    EvidenceFixture f("evidence_route");
    const sign::Contract c = f.two_party_contract("pdf");
    auto server = serve({[&f](std::string_view id, const sign::ContractCaller& caller,
                              const evidence::ZipSink& sink) { f.builder->build(id, caller, sink); },
                         ""});
    const std::string target = "/v1/contracts/" + c.record.id + "/evidence";

    const HttpResponse response = get(*server, target);
    BOOST_REQUIRE_EQUAL(response.result_int(), 200u);
    BOOST_TEST(response[http::field::content_type] == "application/zip");
    BOOST_TEST(response[http::field::content_disposition] ==
               "attachment; filename=\"contract-" + c.record.id + "-evidence.zip\"");
    BOOST_TEST(response.chunked());  // streamed: its length is not known before the end

    const auto zip = f.dir.path() / "package.zip";
    {
        std::ofstream out(zip, std::ios::binary);
        out << response.body();
    }
    const auto verdict = run_command(
        {signetctl(), "evidence", "verify", zip.string(), "--root", f.anchors_pem()});
    BOOST_TEST_MESSAGE(verdict.output);
    BOOST_TEST(verdict.exit_code == 0, verdict.output);

    // The same package with one byte of it changed: signetctl says no (the check can fail).
    std::string changed = response.body();
    changed[changed.size() / 2] ^= 0x01;
    {
        std::ofstream out(zip, std::ios::binary);
        out << changed;
    }
    BOOST_TEST(run_command({signetctl(), "evidence", "verify", zip.string(), "--root",
                            f.anchors_pem()})
                   .exit_code != 0);

    // Another client: as if the contract did not exist.
    const HttpResponse other = get(*server, target, kOtherToken);
    BOOST_TEST(other.result_int() == 404u);
    problem_detail(other);

    // A malformed id: the caller's mistake, named.
    const HttpResponse malformed = get(*server, "/v1/contracts/not-a-contract/evidence");
    BOOST_TEST(malformed.result_int() == 400u);
    BOOST_TEST(problem_detail(malformed).find("contract id") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_refusal_before_the_first_byte_is_a_problem_and_a_later_failure_truncates) {
    auto server = serve({[](std::string_view id, const sign::ContractCaller&,
                            const evidence::ZipSink& sink) {
                             if (id == kSomeId)
                                 throw Error(Errc::not_found, "no contract");
                             // More than the queue holds, then a failure (the vault, the TSA).
                             const Bytes piece(64 * 1024, 0x5a);
                             for (int i = 0; i < 8; ++i)
                                 sink(piece);
                             throw Error(Errc::unavailable, "the TSA went away");
                         },
                         ""});
    const HttpResponse refused = get(*server, "/v1/contracts/" + std::string(kSomeId) + "/evidence");
    BOOST_TEST(refused.result_int() == 404u);
    problem_detail(refused);

    // The head went out with 200, then the connection closed with no last chunk: the client's
    // read fails instead of taking what came for a whole archive.
    BOOST_CHECK_THROW(get(*server, "/v1/contracts/fedcba9876543210fedcba9876543210/evidence"),
                      boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(without_a_package_writer_the_route_answers_503_naming_what_is_missing) {
    auto server = serve({{}, "no evidence-seal certificate (run the key ceremony)"});
    const HttpResponse response =
        get(*server, "/v1/contracts/" + std::string(kSomeId) + "/evidence");
    BOOST_TEST(response.result_int() == 503u);
    BOOST_TEST(problem_detail(response).find("no evidence-seal certificate") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
