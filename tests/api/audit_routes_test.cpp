// GET /v1/audit/... over real HTTPS on loopback (tests/api/ra_api_fixture.hpp): the registry's
// audit log on PostgreSQL, proofs that verify against the root computed here from the events'
// leaf hashes, a checkpoint read back as stored, and bad parameters named in problem+json.
#include <boost/test/unit_test.hpp>

#include "audit/checkpoint.hpp"
#include "audit/merkle.hpp"
#include "tests/api/ra_api_fixture.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

audit::Hash hash_from_base64(const std::string& text) {
    const Bytes bytes = from_base64(text);
    BOOST_REQUIRE_EQUAL(bytes.size(), 32u);
    audit::Hash hash{};
    std::copy(bytes.begin(), bytes.end(), hash.begin());
    return hash;
}

std::vector<audit::Hash> path_of(const nlohmann::json& body) {
    std::vector<audit::Hash> path;
    for (const auto& item : body.at("path"))
        path.push_back(hash_from_base64(item.get<std::string>()));
    return path;
}

std::string problem_detail(const ApiAnswer& answer) {
    return answer.body.is_object() ? answer.body.value("detail", "") : "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_routes)

BOOST_AUTO_TEST_CASE(proofs_verify_and_bad_parameters_are_named) {
    auto& api = RaApi::instance();
    for (int i = 0; i < 20; ++i)
        api.registry.audit.record({"test.event", "system", "audit-route", {{"i", i}}});
    const auto events = api.registry.events();
    const auto size = events.size();
    std::vector<audit::Hash> leaves;
    for (const auto& e : events)
        leaves.push_back(e.leaf_hash);
    const audit::Hash root = audit::tree_root(leaves);

    for (std::size_t seq : {std::size_t{1}, size / 2, size}) {
        const auto answer = api.call(http::verb::get,
                                     "/v1/audit/proof/inclusion?seq=" + std::to_string(seq) +
                                         "&size=" + std::to_string(size),
                                     "", kAuditor);
        BOOST_REQUIRE_EQUAL(answer.status, 200u);
        const audit::Hash leaf = hash_from_base64(answer.body.at("leaf_hash"));
        BOOST_CHECK(leaf == events[seq - 1].leaf_hash);
        BOOST_CHECK(audit::verify_inclusion(seq - 1, size, leaf, path_of(answer.body), root));
    }
    const auto consistency = api.call(
        http::verb::get, "/v1/audit/proof/consistency?first=3&second=" + std::to_string(size), "",
        kAuditor);
    BOOST_REQUIRE_EQUAL(consistency.status, 200u);
    BOOST_CHECK(audit::verify_consistency(
        3, size, audit::tree_root(std::span<const audit::Hash>(leaves).first(3)), root,
        path_of(consistency.body)));

    const std::vector<std::pair<std::string, std::string>> bad = {
        {"/v1/audit/proof/inclusion?seq=1", "'size' is required"},
        {"/v1/audit/proof/inclusion?seq=x&size=3", "'seq' must be an integer"},
        {"/v1/audit/proof/inclusion?seq=0&size=3", "'seq' must be an integer"},
        {"/v1/audit/proof/inclusion?seq=1&size=3&colour=blue", "unknown query parameter"},
        {"/v1/audit/proof/inclusion?seq=1&size=" + std::to_string(size + 1), "beyond"},
        {"/v1/audit/proof/consistency?first=5&second=4", "0 < first <= second"},
        {"/v1/audit/proof/consistency?second=4", "'first' is required"},
        {"/v1/audit/checkpoints/abc", "'size' must be an integer"},
    };
    for (const auto& [target, needle] : bad) {
        const auto answer = api.call(http::verb::get, target, "", kAuditor);
        BOOST_TEST_CONTEXT(target) {
            BOOST_CHECK_EQUAL(answer.status, 400u);
            BOOST_CHECK_EQUAL(std::string(answer.raw[http::field::content_type]),
                              "application/problem+json");
            BOOST_CHECK_MESSAGE(problem_detail(answer).find(needle) != std::string::npos,
                                problem_detail(answer));
        }
    }
    // The scope: a client without `audit` is refused.
    BOOST_CHECK_EQUAL(
        api.call(http::verb::get, "/v1/audit/proof/inclusion?seq=1&size=1", "", kFrontend).status,
        403u);
}

BOOST_AUTO_TEST_CASE(checkpoints_are_served_as_stored) {
    auto& api = RaApi::instance();
    BOOST_CHECK_EQUAL(api.call(http::verb::get, "/v1/audit/checkpoints/latest", "", kAuditor).status,
                      404u);
    // A row as the checkpointer writes it (its signature is not checked by a reader).
    audit::Checkpoint c{"test.signet/log", 2, {}, Clock::time_point(std::chrono::seconds(1795341300))};
    c.root[3] = 7;
    const std::string body = audit::checkpoint_body(c);
    api.registry.database.with_connection([&](store::Connection& conn) {
        conn.exec("INSERT INTO audit_checkpoints (size, root, time, body, signature, certificate, "
                  "time_stamp_token, made_by) VALUES (2, $1, $2, $3, '\\x3044'::bytea, "
                  "'\\x3082'::bytea, '\\x3080'::bytea, 'test')",
                  {c.root, c.time, body});
    });
    for (const std::string which : {"latest", "2"}) {
        const auto answer =
            api.call(http::verb::get, "/v1/audit/checkpoints/" + which, "", kAuditor);
        BOOST_REQUIRE_EQUAL(answer.status, 200u);
        BOOST_CHECK_EQUAL(answer.body.at("origin"), "test.signet/log");
        BOOST_CHECK_EQUAL(answer.body.at("size"), 2);
        BOOST_CHECK_EQUAL(answer.body.at("body"), body);
        BOOST_CHECK_EQUAL(answer.body.at("root"), to_base64(c.root));
        BOOST_CHECK_EQUAL(answer.body.at("time"), "2026-11-22T09:55:00.000000Z");
        BOOST_CHECK_EQUAL(answer.body.at("signature"), "MEQ=");
        BOOST_CHECK_EQUAL(answer.body.at("time_stamp_token"), "MIA=");
    }
    BOOST_CHECK_EQUAL(api.call(http::verb::get, "/v1/audit/checkpoints/3", "", kAuditor).status,
                      404u);
}

BOOST_AUTO_TEST_SUITE_END()
