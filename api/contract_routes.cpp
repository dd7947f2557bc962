#include "api/contract_routes.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/contract_requests.hpp"
#include "api/contract_search.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::api {

namespace {

using nlohmann::json;

constexpr std::size_t kSmallBodyBytes = 8 * 1024;
constexpr std::string_view kScope = "contracts";
// Destroying documents is not what a front end does day to day: a scope of its own.
constexpr std::string_view kAdminScope = "contracts-admin";

Route contract_route(http::verb method, std::string path, std::size_t max_body_bytes,
                     Handler handler) {
    Route route;
    route.method = method;
    route.match = path.find('{') != std::string::npos ? PathMatch::segments : PathMatch::exact;
    route.path = std::move(path);
    route.scope = std::string(kScope);
    route.max_body_bytes = max_body_bytes;
    route.handler = std::move(handler);
    return route;
}

std::string path_contract(const Request& request) {
    std::vector<std::string_view> values;
    if (!match_segments(request.route, request.path, &values) || values.empty())
        throw Error(Errc::internal, "the route's pattern does not give the contract's id");
    return contract_id(values[0]);
}

Response json_answer(const json& body, http::status status = http::status::ok) {
    return Response::json(body.dump() + "\n", status);
}

std::optional<int> revision_query(std::string_view query_text) {
    std::optional<int> revision;
    for (const auto& [key, value] : query_parameters(query_text)) {
        if (key != "revision")
            throw Error(Errc::invalid_argument, "unknown query parameter " + quote_input(key));
        revision = static_cast<int>(query_integer(value, "revision", 0, 1000));
    }
    return revision;
}

}  // namespace

void add_contract_routes(Router& router, ContractServices services) {
    sign::Contracts& contracts = services.contracts;

    router.add(contract_route(
        http::verb::post, "/v1/contracts", services.max_document_bytes + kContractFormOverhead,
        [&contracts](const Request& request) {
            const ContractSubmission submission =
                decode_contract_submission(request.header(http::field::content_type), request.body);
            return json_answer(
                contract_json(contracts.create(submission.draft, as_bytes(submission.document),
                                               contract_caller(request))),
                http::status::created);
        }));

    router.add(
        contract_route(http::verb::get, "/v1/contracts", 0, [&contracts](const Request& request) {
            store::ContractQuery query = decode_contract_search(request.query);
            const std::size_t page = query.limit;
            ++query.limit;  // one more than the page: whether another page follows
            std::vector<store::ContractRecord> found =
                contracts.list(std::move(query), contract_caller(request));
            json next_cursor = nullptr;
            if (found.size() > page) {
                found.resize(page);
                next_cursor = contract_cursor({found.back().created_at, found.back().id});
            }
            json items = json::array();
            for (const auto& c : found)
                items.push_back(contract_summary_json(c));
            return json_answer(json{{"items", std::move(items)}, {"next_cursor", next_cursor}});
        }));

    router.add(contract_route(
        http::verb::get, "/v1/contracts/{id}", 0, [&contracts](const Request& request) {
            return json_answer(
                contract_json(contracts.find(path_contract(request), contract_caller(request))));
        }));

    router.add(contract_route(
        http::verb::get, "/v1/contracts/{id}/document", 0, [&contracts](const Request& request) {
            const std::string id = path_contract(request);
            const sign::ContractCaller caller = contract_caller(request);
            const sign::Contract contract = contracts.find(id, caller);
            if (contract.record.shredded_at) {
                return problem_response(
                    problems::document_shredded,
                    "the documents of contract " + id + " were crypto-shredded at " +
                        format_utc(*contract.record.shredded_at) +
                        " after their retention period; its record, hashes and events remain",
                    request.request_id);
            }
            const int revision =
                revision_query(request.query).value_or(contract.record.current_revision);
            // Streamed a vault chunk at a time (each verified before it is handed out, the
            // whole document's SHA-256 before its last chunk): the document is never held whole.
            // A chunk that fails verification ends the body short of its Content-Length.
            auto reader =
                std::make_shared<sign::VaultReader>(contracts.document(id, revision, caller));
            const sign::StoredDocument document = reader->document();
            Response response = Response::stream(
                contract.record.format == "pdf" ? "application/pdf" : "application/octet-stream",
                document.size, [reader]() -> std::string {
                    const std::optional<Bytes> chunk = reader->next();
                    return chunk ? std::string(chunk->begin(), chunk->end()) : std::string();
                });
            // RFC 9530 §2: the SHA-256 of the representation, as a structured byte sequence.
            response.headers.emplace_back("Repr-Digest",
                                          "sha-256=:" + to_base64(document.sha256) + ":");
            return response;
        }));

    router.add(contract_route(http::verb::post, "/v1/contracts/{id}/send", kSmallBodyBytes,
                              [&contracts](const Request& request) {
                                  return json_answer(contract_json(contracts.send(
                                      path_contract(request), contract_caller(request))));
                              }));

    router.add(contract_route(http::verb::post, "/v1/contracts/{id}/approvals", kSmallBodyBytes,
                              [&contracts](const Request& request) {
                                  const ApprovalRequest approval =
                                      decode_approval(JsonBody::from_request(request));
                                  return json_answer(contract_json(contracts.record_approval(
                                      path_contract(request), approval.position,
                                      approval.approver_id, contract_caller(request))));
                              }));

    Route shred = contract_route(http::verb::post, "/v1/contracts/{id}/shred", kSmallBodyBytes,
                                 [&contracts](const Request& request) {
                                     return json_answer(contract_json(contracts.shred(
                                         path_contract(request), contract_caller(request))));
                                 });
    shred.scope = std::string(kAdminScope);
    router.add(std::move(shred));

    router.add(contract_route(http::verb::post, "/v1/contracts/{id}/cancel", kSmallBodyBytes,
                              [&contracts](const Request& request) {
                                  return json_answer(contract_json(contracts.cancel(
                                      path_contract(request), contract_caller(request))));
                              }));
}

}  // namespace signet::api
