// POST /v1/contracts's body in process: the multipart/form-data split (api/multipart.hpp) and
// the contract's JSON (api/contract_requests.hpp), each refusal naming what is wrong.
#include <boost/test/unit_test.hpp>

#include "api/contract_requests.hpp"
#include "api/multipart.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::api;
using signet::testing::expect_error;

namespace {

const std::string kType = "multipart/form-data; boundary=XyZ";

std::string part(const std::string& name, const std::string& type, const std::string& data) {
    return "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n" +
           (type.empty() ? "" : "Content-Type: " + type + "\r\n") + "\r\n" + data + "\r\n";
}

const std::string kContract =
    R"({"title":"Lease","format":"bytes","metadata":{"a":1},"contract_type":"loan",)"
    R"("amount":{"minor_units":120000,"currency":"CNY"},"expires_at":"2027-01-01T00:00:00Z",)"
    R"("signers":[{"kind":"person","subject_id":7},{"kind":"seal","subject_id":9,"agent_id":12}]})";

}  // namespace

BOOST_AUTO_TEST_SUITE(contract_requests)

BOOST_AUTO_TEST_CASE(a_form_splits_into_its_parts_as_views_of_the_body) {
    const std::string body = "preamble\r\n" + part("contract", "application/json", kContract) +
                             part("document", "application/octet-stream", "a\r\n--XyZ-ish\r\nb") +
                             "--XyZ--\r\nepilogue";
    const auto parts = parse_form_data(kType, body);
    BOOST_REQUIRE_EQUAL(parts.size(), 2u);
    BOOST_CHECK_EQUAL(parts[0].name, "contract");
    BOOST_CHECK_EQUAL(parts[0].content_type, "application/json");
    BOOST_CHECK_EQUAL(parts[1].data, "a\r\n--XyZ-ish\r\nb");
    BOOST_CHECK(parts[1].data.data() > body.data());

    const auto submission = decode_contract_submission(kType, body);
    BOOST_CHECK_EQUAL(submission.draft.title, "Lease");
    BOOST_CHECK_EQUAL(submission.draft.signers.size(), 2u);
    BOOST_CHECK_EQUAL(*submission.draft.signers[1].agent_id, 12);
    BOOST_CHECK_EQUAL(submission.draft.amount->currency, "CNY");
    BOOST_CHECK_EQUAL(submission.draft.metadata["a"], 1);
    BOOST_CHECK(submission.draft.expires_at == parse_utc("2027-01-01T00:00:00Z"));
    BOOST_CHECK_EQUAL(submission.document, "a\r\n--XyZ-ish\r\nb");
}

BOOST_AUTO_TEST_CASE(malformed_forms_are_refused_saying_why) {
    const auto refused = [](const std::string& type, const std::string& body,
                            const std::string& needle) {
        expect_error([&] { parse_form_data(type, body); }, Errc::invalid_argument, needle);
    };
    const std::string ok = part("contract", "application/json", "{}");
    refused("application/json", ok + "--XyZ--", "must be multipart/form-data");
    refused("multipart/form-data", ok + "--XyZ--", "has no boundary");
    refused("multipart/form-data; boundary=" + std::string(71, 'a'), ok, "1-70 characters");
    refused(kType, "no delimiter at all", "holds no part");
    refused(kType, ok, "ends before its close delimiter");
    refused(kType, ok + ok + "--XyZ--", "has two parts named 'contract'");
    refused(kType, "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--", "naming it");
    refused(kType, "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--",
            "not form-data");
    refused(kType, "--XyZ\r\n" + std::string(3000, 'h') + "\r\n\r\nx\r\n--XyZ--",
            "does not end within 2048 bytes");
    std::string many;
    for (int i = 0; i < 9; ++i)
        many += part("p" + std::to_string(i), "", "x");
    refused(kType, many + "--XyZ--", "more than 8 parts");
}

BOOST_AUTO_TEST_CASE(a_submission_needs_its_two_parts_and_a_document_of_its_format) {
    const auto refused = [](const std::string& body, const std::string& needle) {
        expect_error([&] { decode_contract_submission(kType, body); }, Errc::invalid_argument,
                     needle);
    };
    refused(part("contract", "application/json", kContract) + "--XyZ--",
            "needs a part 'contract' (application/json) and a part 'document'");
    refused(part("contract", "text/plain", kContract) + part("document", "", "x") + "--XyZ--",
            "'contract' must be application/json");
    refused(part("contract", "application/json", kContract) + part("document", "", "x") +
                part("extra", "", "x") + "--XyZ--",
            "not 'extra'");
    refused(part("contract", "application/json", kContract) +
                part("document", "application/pdf", "x") + "--XyZ--",
            "must be application/octet-stream for format 'bytes'");
    refused(part("contract", "application/json", R"({"title":"t","format":"bytes"})") +
                part("document", "application/octet-stream", "x") + "--XyZ--",
            "'signers' is required");
    refused(part("contract", "application/json",
                 R"({"title":"t","format":"bytes","signers":[{"kind":"seal","subject_id":0}]})") +
                part("document", "application/octet-stream", "x") + "--XyZ--",
            "'signers[0].subject_id' must be an integer from 1");
    refused(part("contract", "application/json",
                 R"({"title":"t","format":"bytes","expires_at":"tomorrow","signers":[{"kind":"person","subject_id":1}]})") +
                part("document", "application/octet-stream", "x") + "--XyZ--",
            "'expires_at' must be an RFC 3339 UTC time");
}

BOOST_AUTO_TEST_CASE(contract_ids_and_approvals) {
    BOOST_CHECK_EQUAL(contract_id("0123456789abcdef0123456789abcdef"),
                      "0123456789abcdef0123456789abcdef");
    expect_error([] { contract_id("0123456789ABCDEF0123456789ABCDEF"); }, Errc::not_found,
                 "32 lowercase hex digits");
    const auto approval = decode_approval(JsonBody::parse(R"({"position":3,"approver_id":44})"));
    BOOST_CHECK_EQUAL(approval.position, 3);
    BOOST_CHECK_EQUAL(approval.approver_id, 44);
    expect_error([] { decode_approval(JsonBody::parse(R"({"position":51,"approver_id":1})")); },
                 Errc::invalid_argument, "'position' must be an integer from 1 to 50");
}

BOOST_AUTO_TEST_SUITE_END()
