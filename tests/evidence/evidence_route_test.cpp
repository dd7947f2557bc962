// GET /v1/contracts/{id}/evidence (api/evidence_route.hpp) over real HTTPS on loopback: a
// two-party contract signed on the signing fixture's real parts, its package downloaded through
// the route and judged by `signetctl evidence verify --root` run as a process; another client's
// contract is 404, a malformed id 400, a shredded one 410; and the stream's edges on a stand-in
// writer: a refusal before the first byte is problem+json, a failure after it a truncated body,
// no writer a 503, builds past the limit a 503 with Retry-After.
#include <boost/test/unit_test.hpp>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>

#include "api/evidence_route.hpp"
#include "tests/api/server_kit.hpp"
#include "tests/evidence/evidence_fixture.hpp"
#include "tests/support/expect.hpp"

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

// get() without Boost.Test's assertions (not thread-safe), for requests on threads of their own.
HttpResponse get_on_thread(RunningServer& server, const std::string& target) {
    TlsClient client(server.https_port(), {});
    if (const auto failed = client.handshake())
        throw std::runtime_error("TLS handshake failed: " + failed.message());
    auto request = make_request(http::verb::get, target);
    request.set(http::field::authorization, "Bearer " + std::string(kToken));
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
                         "", api::kDefaultConcurrentPackageBuilds});
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
                         "", api::kDefaultConcurrentPackageBuilds});
    const HttpResponse refused = get(*server, "/v1/contracts/" + std::string(kSomeId) + "/evidence");
    BOOST_TEST(refused.result_int() == 404u);
    problem_detail(refused);

    // The head went out with 200, then the connection closed with no last chunk: the client's
    // read fails instead of taking what came for a whole archive.
    BOOST_CHECK_THROW(get(*server, "/v1/contracts/fedcba9876543210fedcba9876543210/evidence"),
                      boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(without_a_package_writer_the_route_answers_503_naming_what_is_missing) {
    auto server = serve({{}, "no evidence-seal certificate (run the key ceremony)",
                         api::kDefaultConcurrentPackageBuilds});
    const HttpResponse response =
        get(*server, "/v1/contracts/" + std::string(kSomeId) + "/evidence");
    BOOST_TEST(response.result_int() == 503u);
    BOOST_TEST(problem_detail(response).find("no evidence-seal certificate") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_shredded_contract_is_410_document_shredded_before_anything_is_made) {
    EvidenceFixture f("evidence_route_shredded");
    const sign::Contract c = f.two_party_contract("bytes");
    f.clock.set(*f.service->retention_end(c.record) + std::chrono::seconds(1));
    f.service->shred(c.record.id, f.caller);
    auto server = serve({[&f](std::string_view id, const sign::ContractCaller& caller,
                              const evidence::ZipSink& sink) { f.builder->build(id, caller, sink); },
                         "", api::kDefaultConcurrentPackageBuilds});
    const std::size_t checkpoints_before = f.checkpoints_made();

    const HttpResponse gone = get(*server, "/v1/contracts/" + c.record.id + "/evidence");
    BOOST_TEST(gone.result_int() == 410u);
    BOOST_TEST(problem_detail(gone).find("crypto-shredded") != std::string::npos);
    BOOST_TEST(json::parse(gone.body())["type"].get<std::string>().ends_with("/document-shredded"));
    BOOST_TEST(f.checkpoints_made() == checkpoints_before);
}

BOOST_AUTO_TEST_CASE(past_the_concurrent_builds_the_route_answers_503_with_retry_after) {
    // A stand-in writer that holds every build until the test lets them go.
    std::mutex mutex;
    std::condition_variable changed;
    int building = 0;
    bool let_go = false;
    api::EvidenceServices services;
    services.write_package = [&](std::string_view, const sign::ContractCaller&,
                                 const evidence::ZipSink& sink) {
        {
            std::unique_lock lock(mutex);
            ++building;
            changed.notify_all();
            changed.wait(lock, [&] { return let_go; });
        }
        sink(as_bytes(std::string_view("PK-stand-in")));
    };
    services.max_concurrent_builds = 2;
    auto server = serve(std::move(services));
    const std::string target = "/v1/contracts/" + std::string(kSomeId) + "/evidence";

    std::vector<std::future<HttpResponse>> held;
    for (int i = 0; i < 2; ++i)
        held.push_back(std::async(std::launch::async, [&] { return get_on_thread(*server, target); }));
    {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return building == 2; });
    }
    // Both slots taken: the third is turned away at once, before its writer runs.
    const HttpResponse busy = get(*server, target);
    BOOST_TEST(busy.result_int() == 503u);
    BOOST_TEST(busy[http::field::retry_after] ==
               std::to_string(api::kPackageBuildRetryAfterSeconds));
    BOOST_TEST(problem_detail(busy).find("building 2 evidence packages") != std::string::npos);
    {
        std::lock_guard lock(mutex);
        BOOST_TEST(building == 2);
        let_go = true;
    }
    changed.notify_all();
    for (auto& h : held) {
        const HttpResponse done = h.get();
        BOOST_TEST(done.result_int() == 200u);
        BOOST_TEST(done.body() == "PK-stand-in");
    }
    // The slots came back with the bodies' ends: the next build runs.
    const HttpResponse next = get(*server, target);
    BOOST_TEST(next.result_int() == 200u);
    BOOST_TEST(building == 3);
}

BOOST_AUTO_TEST_CASE(a_limit_of_no_builds_is_refused) {
    Router router;
    api::EvidenceServices services;
    services.max_concurrent_builds = 0;
    expect_error([&] { api::add_evidence_route(router, std::move(services)); },
                 Errc::invalid_argument, "max_concurrent_builds");
}

BOOST_AUTO_TEST_SUITE_END()
