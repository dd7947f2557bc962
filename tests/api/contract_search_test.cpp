// GET /v1/contracts's search (api/contract_search.hpp, store::contract_search_sql) over real
// HTTPS and PostgreSQL: each kind of condition, cursor paging, bad parameters named; cancel
// refused after completion; and, over 100,000 contracts made in SQL, every kind of search
// answered from an index (EXPLAIN (FORMAT JSON): no Seq Scan on contracts).
#include "api/contract_search.hpp"

#include "tests/api/contracts_api.hpp"

namespace {

std::vector<std::string> ids_of(const Answer& answer) {
    std::vector<std::string> ids;
    for (const auto& item : answer.body["items"])
        ids.push_back(item["id"]);
    return ids;
}

// Walks a plan (EXPLAIN's JSON): whether any node reads contracts by a Seq Scan, and the
// indexes used.
void walk_plan(const json& node, bool& seq_scan_on_contracts, std::set<std::string>& indexes) {
    if (node.value("Relation Name", "") == "contracts" && node.value("Node Type", "") == "Seq Scan")
        seq_scan_on_contracts = true;
    if (node.contains("Index Name"))
        indexes.insert(node["Index Name"].get<std::string>());
    if (node.contains("Plans"))
        for (const auto& child : node["Plans"])
            walk_plan(child, seq_scan_on_contracts, indexes);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(contract_search)

BOOST_AUTO_TEST_CASE(search_by_each_condition_and_page_with_the_cursor) {
    ContractsApi f("contract_api_search");
    const auto submit = [&](const std::string& title, const json& metadata) {
        json draft = f.contract_json();
        draft["title"] = title;
        draft["metadata"] = metadata;
        f.clock.advance(std::chrono::seconds(1));  // newest first: each its own created_at
        const Answer created = f.submit(draft, "x");
        BOOST_REQUIRE_EQUAL(created.status, 201u);
        return created.body["id"].get<std::string>();
    };
    const std::string office = submit("Lease office Berlin", {{"region", "north"}});
    const std::string loan = submit("Loan agreement", {{"region", "south"}, {"desk", "7"}});
    const std::string warehouse = submit("Lease warehouse", {{"region", "north"}});
    f.call(http::verb::post, "/v1/contracts/" + loan + "/send");
    // A Chinese title: the 'simple' parser keeps a run of CJK characters as one word.
    const std::string lease_cn = submit("房屋租赁合同 2026-118", json::object());

    using Ids = std::vector<std::string>;
    const auto search = [&](const std::string& query) {
        const Answer answer = f.call(http::verb::get, "/v1/contracts?" + query);
        BOOST_TEST_CONTEXT(query << ": " << answer.body.dump()) {
            BOOST_CHECK_EQUAL(answer.status, 200u);
        }
        return ids_of(answer);
    };
    BOOST_CHECK(search("title=lease") == (Ids{warehouse, office}));  // newest first
    BOOST_CHECK(search("title=%E6%88%BF%E5%B1%8B%E7%A7%9F%E8%B5%81%E5%90%88%E5%90%8C") ==
                (Ids{lease_cn}));
    BOOST_CHECK(search("title=LEASE+warehouse") == (Ids{warehouse}));
    BOOST_CHECK(search("title=lease%20berlin") == (Ids{office}));
    BOOST_CHECK(search("metadata.region=north") == (Ids{warehouse, office}));
    BOOST_CHECK(search("metadata.region=south&metadata.desk=7") == (Ids{loan}));
    BOOST_CHECK(search("state=sent") == (Ids{loan}));
    BOOST_CHECK(search("party=" + std::to_string(f.alice.id)).size() == 4u);
    BOOST_CHECK(search("party=" + std::to_string(f.organization.id)).size() == 4u);  // the seal
    BOOST_CHECK(search("party=" + std::to_string(f.bob.id)).empty());
    BOOST_CHECK(search("created_after=2199-01-01T00:00:00Z").empty());
    BOOST_CHECK(search("created_before=2199-01-01T00:00:00Z").size() == 4u);
    BOOST_CHECK(search("created_before=2000-01-01T00:00:00Z").empty());
    // Another client's contracts are never found.
    BOOST_CHECK(ids_of(f.call(http::verb::get, "/v1/contracts", {}, {}, kOtherToken)).empty());

    // Cursor paging: two pages, no contract twice, the last page without a cursor.
    const Answer first = f.call(http::verb::get, "/v1/contracts?limit=3");
    BOOST_CHECK(ids_of(first) == (Ids{lease_cn, warehouse, loan}));
    BOOST_REQUIRE(first.body["next_cursor"].is_string());
    const Answer second = f.call(http::verb::get, "/v1/contracts?limit=3&cursor=" +
                                                      first.body["next_cursor"].get<std::string>());
    BOOST_CHECK(ids_of(second) == (Ids{office}));
    BOOST_CHECK(second.body["next_cursor"].is_null());

    // Bad parameters: 400 naming the parameter, nothing found.
    check_problem(f.call(http::verb::get, "/v1/contracts?limit=101"), 400, "'limit'");
    check_problem(f.call(http::verb::get, "/v1/contracts?cursor=bm90LWEtY3Vyc29y"), 400,
                  "'cursor'");
    check_problem(f.call(http::verb::get, "/v1/contracts?state=done"), 400, "'state'");
    check_problem(f.call(http::verb::get, "/v1/contracts?created_after=yesterday"), 400,
                  "'created_after'");
    check_problem(f.call(http::verb::get, "/v1/contracts?title=%zz"), 400, "'title'");
    check_problem(f.call(http::verb::get, "/v1/contracts?party=x"), 400, "'party'");
    check_problem(f.call(http::verb::get, "/v1/contracts?metadata.=1"), 400, "'metadata.'");
    check_problem(f.call(http::verb::get, "/v1/contracts?title=a&title=b"), 400, "given twice");
    check_problem(f.call(http::verb::get,
                         "/v1/contracts?cursor=" + first.body["next_cursor"].get<std::string>() +
                             "&before=" + office),
                  400, "'before'");
    // The deprecated `before` still pages.
    BOOST_CHECK(search("before=" + loan) == (Ids{office}));
}

BOOST_AUTO_TEST_CASE(cancel_is_refused_after_completion) {
    ContractsApi f("contract_api_cancel_completed");
    sign::Contract c = f.create();
    c = f.service->send(c.record.id, f.caller);
    for (int position = 1; position <= c.record.signer_count; ++position)
        c = f.sign_as(c, position);
    BOOST_REQUIRE_EQUAL(c.record.state, "completed");
    const std::string before = f.tables();
    check_problem(f.call(http::verb::post, "/v1/contracts/" + c.record.id + "/cancel"), 409,
                  "only an open contract can be cancelled");
    BOOST_CHECK(f.tables() == before);
}

BOOST_AUTO_TEST_CASE(every_kind_of_search_is_answered_from_an_index) {
    ContractsApi f("contract_api_search_plans");
    // 100,000 contracts of 20 clients, each with one signer (bob on every 500th).
    f.database.with_connection([&](store::Connection& c) {
        c.exec(
            "INSERT INTO contracts (id, title, metadata, format, client, state, signer_count, "
            "expires_at, created_at, sent_at) "
            "SELECT md5('contract' || g), 'Contract ' || g || CASE WHEN g % 1000 = 0 THEN "
            "' warehouse' ELSE ' office' END, jsonb_build_object('reference', 'R-' || g, "
            "'region', CASE WHEN g % 50 = 0 THEN 'north' ELSE 'south' END), 'bytes', "
            "'client-' || (g % 20), CASE WHEN g % 7 = 0 THEN 'sent' ELSE 'draft' END, 1, "
            "now() + interval '30 days', now() - g * interval '1 minute', "
            "CASE WHEN g % 7 = 0 THEN now() END FROM generate_series(1, 100000) g");
        c.exec(
            "INSERT INTO contract_signers (contract_id, position, kind, subject_id) "
            "SELECT md5('contract' || g), 1, 'person', CASE WHEN g % 500 = 0 THEN $1::bigint "
            "ELSE $2::bigint END FROM generate_series(1, 100000) g",
            {f.bob.id, f.alice.id});
        c.exec("ANALYZE contracts");
        c.exec("ANALYZE contract_signers");
    });
    BOOST_REQUIRE_EQUAL(f.count("SELECT count(*) FROM contracts"), 100000);

    const auto base = [] {
        store::ContractQuery q;
        q.client = "client-3";
        q.limit = api::kDefaultContractPage + 1;
        return q;
    };
    // Each kind, and the index its plan must use (the one migration 15 made for it).
    struct Kind {
        std::string name;
        std::string index;
        store::ContractQuery query;
    };
    std::vector<Kind> kinds;
    kinds.push_back({"the client's newest", "contracts_client_created", base()});
    kinds.push_back({"state", "contracts_client_state", base()});
    kinds.back().query.state = "sent";
    kinds.push_back({"party", "contract_signers_subject", base()});
    kinds.back().query.party = f.bob.id;
    kinds.push_back({"title words", "contracts_title_words", base()});
    kinds.back().query.title_words = "warehouse";
    kinds.push_back({"metadata", "contracts_metadata", base()});
    kinds.back().query.metadata = R"({"reference":"R-1003"})";
    kinds.push_back({"created range", "contracts_client_created", base()});
    kinds.back().query.created_after = f.clock.now() - std::chrono::hours(2);
    kinds.back().query.created_before = f.clock.now() - std::chrono::hours(1);
    kinds.push_back({"cursor", "contracts_client_created", base()});
    kinds.back().query.after = store::ContractKey{f.clock.now() - std::chrono::hours(24 * 30), "8"};
    for (const auto& [kind, index, query] : kinds) {
        const store::ContractSearchSql search = store::contract_search_sql(query);
        const std::string plan_text = f.database.with_connection([&](store::Connection& c) {
            return c.exec("EXPLAIN (FORMAT JSON) " + search.sql, search.params)
                .one()["\"QUERY PLAN\""]
                .as<std::string>();
        });
        const json plan = json::parse(plan_text);
        bool seq_scan = false;
        std::set<std::string> indexes;
        walk_plan(plan[0]["Plan"], seq_scan, indexes);
        std::string used;
        for (const auto& name : indexes)
            used += " " + name;
        BOOST_TEST_MESSAGE("search by " << kind << ": indexes" << used << "\n" << plan.dump(1));
        BOOST_TEST_CONTEXT("search by " << kind) {
            BOOST_CHECK(!seq_scan);
            BOOST_CHECK_MESSAGE(indexes.contains(index), "the plan does not use " << index);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
