#pragma once
// The contract routes on a real HTTPS server over the contract fixture's service
// (tests/sign/contracts_fixture.hpp: SoftHSM, PostgreSQL, the RA, the vault, the TSA), and the
// clients that call them: shared by contract_routes_test.cpp and contract_search_test.cpp.
#include <boost/test/unit_test.hpp>

#include "api/contract_routes.hpp"
#include "common/digest.hpp"
#include "tests/api/server_kit.hpp"
#include "tests/sign/contracts_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using nlohmann::json;

namespace contracts_api {

constexpr std::string_view kFrontendToken = "contracts-frontend-1-token";
constexpr std::string_view kOtherToken = "contracts-frontend-2-token";
constexpr std::string_view kReaderToken = "contracts-reader-token";
constexpr std::size_t kMaxDocument = 12 * 1024 * 1024;
constexpr std::string_view kBoundary = "----signet-test-7d3a";

inline std::shared_ptr<const ClientDirectory> clients() {
    std::vector<StaticClientDirectory::Entry> entries;
    entries.push_back({{"frontend-1", {"contracts", "contracts-admin"}},
                       std::nullopt,
                       sha256_of(kFrontendToken)});
    entries.push_back({{"frontend-2", {"contracts"}}, std::nullopt, sha256_of(kOtherToken)});
    entries.push_back({{"reader", {"subjects:read"}}, std::nullopt, sha256_of(kReaderToken)});
    return std::make_shared<StaticClientDirectory>(std::move(entries));
}

struct Answer {
    unsigned status = 0;
    json body;
    HttpResponse raw;
};

// The contract routes on a real server over the contract fixture's service.
struct ContractsApi : ContractsFixture {
    explicit ContractsApi(const std::string& database_name) : ContractsFixture(database_name) {
        Router router;
        api::add_contract_routes(router, {*service, kMaxDocument});
        ServerContext context = quiet_context();
        context.clients = clients();
        ServerOptions options = test_options();
        options.limits.read_timeout = std::chrono::seconds(20);
        server = std::make_unique<RunningServer>(std::move(options), std::move(router),
                                                 std::move(context));
    }

    Answer call(http::verb method, const std::string& target, std::string body = {},
                const std::string& content_type = "application/json",
                std::string_view bearer = kFrontendToken) {
        TlsClient client(server->https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        auto request = make_request(method, target, std::move(body));
        if (!request.body().empty())
            request.set(http::field::content_type, content_type);
        if (!bearer.empty())
            request.set(http::field::authorization, "Bearer " + std::string(bearer));
        Answer answer;
        answer.raw = client.request(request);
        answer.status = answer.raw.result_int();
        answer.body = json::parse(answer.raw.body(), nullptr, false);
        return answer;
    }

    // POST /v1/contracts as multipart/form-data.
    Answer submit(const json& contract, std::string_view bytes,
                  const std::string& document_type = "application/octet-stream",
                  std::string_view bearer = kFrontendToken) {
        const std::string b(kBoundary);
        std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"contract\"\r\n" +
                           "Content-Type: application/json\r\n\r\n" + contract.dump() + "\r\n--" +
                           b + "\r\nContent-Disposition: form-data; name=\"document\"; " +
                           "filename=\"contract.bin\"\r\nContent-Type: " + document_type +
                           "\r\n\r\n";
        body.append(bytes);
        body += "\r\n--" + b + "--\r\n";
        return call(http::verb::post, "/v1/contracts", std::move(body),
                    "multipart/form-data; boundary=" + b, bearer);
    }

    json contract_json() const {
        return {{"title", "Lease 2026-118"},
                {"format", "bytes"},
                {"metadata", {{"reference", "R-118"}}},
                {"signers",
                 {{{"kind", "person"}, {"subject_id", alice.id}},
                  {{"kind", "seal"}, {"subject_id", organization.id}, {"agent_id", agent.id}}}}};
    }

    std::unique_ptr<RunningServer> server;
};

inline std::string as_text(const Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

inline void check_problem(const Answer& answer, unsigned status, const std::string& needle) {
    BOOST_CHECK_EQUAL(answer.status, status);
    BOOST_CHECK_EQUAL(answer.raw[http::field::content_type], "application/problem+json");
    const std::string detail = answer.body.value("detail", "");
    BOOST_CHECK_MESSAGE(detail.find(needle) != std::string::npos,
                        "'" << detail << "' does not contain '" << needle << "'");
}

}  // namespace contracts_api

using namespace contracts_api;
