// The contract routes (api/contract_routes.hpp) over real HTTPS on the contract service's real
// parts (tests/sign/contracts_fixture.hpp: SoftHSM, PostgreSQL, the RA, the vault, the TSA):
// scopes, problems naming fields, the whole lifecycle, another client's contracts, and a 10 MiB
// document there and back.
#include <limits>

#include "tests/api/contracts_api.hpp"

BOOST_AUTO_TEST_SUITE(contract_routes)

BOOST_AUTO_TEST_CASE(a_10_mib_document_goes_in_and_comes_back_with_its_sha256) {
    ContractsApi f("contract_api_roundtrip");
    std::string document(10 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < document.size(); ++i)
        document[i] = static_cast<char>((i * 2654435761u) >> 11);
    const Answer created = f.submit(f.contract_json(), document);
    BOOST_REQUIRE_EQUAL(created.status, 201u);
    const json& c = created.body;
    BOOST_CHECK_EQUAL(c["state"], "draft");
    BOOST_CHECK_EQUAL(c["client"], "frontend-1");
    BOOST_CHECK_EQUAL(c["revisions"][0]["sha256"], to_hex(sha256_of(std::string_view(document))));
    BOOST_CHECK_EQUAL(c["revisions"][0]["size"], document.size());
    BOOST_CHECK_EQUAL(c["events"][0]["type"], "created");
    BOOST_CHECK_EQUAL(c["events"][0]["sha256"],
                      to_hex(sha256_of(c["events"][0]["canonical"].get<std::string>())));
    BOOST_CHECK(!c["events"][0]["timestamp_time"].get<std::string>().empty());

    const std::string id = c["id"];
    const Answer back = f.call(http::verb::get, "/v1/contracts/" + id + "/document?revision=0");
    BOOST_REQUIRE_EQUAL(back.status, 200u);
    BOOST_CHECK_EQUAL(back.raw[http::field::content_type], "application/octet-stream");
    BOOST_CHECK(back.raw.body() == document);
    // Streamed from the vault chunk by chunk, its length known from the revision's record.
    BOOST_CHECK_EQUAL(back.raw[http::field::content_length], std::to_string(document.size()));
    BOOST_CHECK_EQUAL(back.raw["Repr-Digest"],
                      "sha-256=:" + to_base64(sha256_of(std::string_view(document))) + ":");
}

BOOST_AUTO_TEST_CASE(the_lifecycle_over_http_send_approve_cancel_list) {
    ContractsApi f("contract_api_lifecycle");
    json draft = f.contract_json();
    draft["contract_type"] = "loan";  // the seal needs an approval
    const std::string id = f.submit(draft, as_text(f.document)).body["id"];
    const Answer sent = f.call(http::verb::post, "/v1/contracts/" + id + "/send");
    BOOST_REQUIRE_EQUAL(sent.status, 200u);
    BOOST_CHECK_EQUAL(sent.body["state"], "sent");
    BOOST_CHECK_EQUAL(sent.body["due_signer"], 1);
    const Answer approved =
        f.call(http::verb::post, "/v1/contracts/" + id + "/approvals",
               json{{"position", 2}, {"approver_id", f.representative.id}}.dump());
    BOOST_REQUIRE_EQUAL(approved.status, 200u);
    BOOST_CHECK_EQUAL(approved.body["signers"][1]["approvals"][0]["approver_id"],
                      f.representative.id);
    const Answer got = f.call(http::verb::get, "/v1/contracts/" + id);
    BOOST_CHECK_EQUAL(got.body["events"].size(), 3u);
    const Answer cancelled = f.call(http::verb::post, "/v1/contracts/" + id + "/cancel");
    BOOST_CHECK_EQUAL(cancelled.body["state"], "cancelled");
    check_problem(f.call(http::verb::post, "/v1/contracts/" + id + "/send"), 409,
                  "only a draft can be sent");

    const Answer listed = f.call(http::verb::get, "/v1/contracts?state=cancelled&limit=10");
    BOOST_REQUIRE_EQUAL(listed.status, 200u);
    BOOST_REQUIRE_EQUAL(listed.body["items"].size(), 1u);
    BOOST_CHECK_EQUAL(listed.body["items"][0]["id"], id);
    check_problem(f.call(http::verb::get, "/v1/contracts?colour=red"), 400,
                  "unknown query parameter");
}

BOOST_AUTO_TEST_CASE(scopes_clients_and_problems) {
    ContractsApi f("contract_api_problems");
    const std::string id = f.submit(f.contract_json(), "hello").body["id"];
    // Scopes: none, and the wrong one.
    BOOST_CHECK_EQUAL(f.call(http::verb::get, "/v1/contracts/" + id, {}, {}, "").status, 401u);
    BOOST_CHECK_EQUAL(f.call(http::verb::get, "/v1/contracts/" + id, {}, {}, kReaderToken).status,
                      403u);
    // Another client's contract does not exist for this one.
    check_problem(f.call(http::verb::get, "/v1/contracts/" + id, {}, {}, kOtherToken), 404,
                  "no contract");
    check_problem(f.call(http::verb::get, "/v1/contracts/not-an-id"), 404, "32 lowercase hex");
    // Fields named as the client spelled them.
    json bad = f.contract_json();
    bad["signers"][1].erase("agent_id");
    check_problem(f.submit(bad, "x"), 400, "'signers[1].agent_id' is required for a seal");
    bad = f.contract_json();
    bad["signers"][0]["kind"] = 7;
    check_problem(f.submit(bad, "x"), 400, "'signers[0].kind' must be a string");
    bad = f.contract_json();
    bad["colour"] = "red";
    check_problem(f.submit(bad, "x"), 400, "unknown member 'colour'");
    bad = f.contract_json();
    bad["signers"][0]["subject_id"] = f.organization.id;
    check_problem(f.submit(bad, "x"), 400, "is not a person");
    // The document's type must say its format; a PDF must look like one.
    check_problem(f.submit(f.contract_json(), "x", "application/pdf"), 400,
                  "must be application/octet-stream for format 'bytes'");
    json pdf = f.contract_json();
    pdf["format"] = "pdf";
    check_problem(f.submit(pdf, "not a pdf", "application/pdf"), 400, "not a PDF");
    check_problem(f.call(http::verb::post, "/v1/contracts", f.contract_json().dump()), 400,
                  "multipart/form-data");
    // Over signing.max_document_bytes (and the form's overhead): refused on its Content-Length,
    // before a byte of the body is read.
    {
        TlsClient client(f.server->https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        client.send_raw("POST /v1/contracts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                        std::string(kFrontendToken) +
                        "\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: " +
                        std::to_string(kMaxDocument + api::kContractFormOverhead + 1) + "\r\n\r\n");
        BOOST_CHECK_EQUAL(client.read_response().result_int(), 413u);
    }
    // The TSA down: 503, nothing created.
    f.tsa_down = true;
    check_problem(f.submit(f.contract_json(), "x"), 503, "could not time-stamp");
    f.tsa_down = false;
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM contracts"), 1);
}

BOOST_AUTO_TEST_SUITE_END()
