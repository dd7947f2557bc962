// The sole-control routes (api/signing_routes.hpp) over real HTTPS on the signing service's real
// parts (tests/sign/signing_fixture.hpp): a code asked for and given through the API signs, a
// wrong one is the otp-wrong-code problem, requests are refused with problems naming the field,
// and another client or scope cannot reach a contract.
#include "api/signing_routes.hpp"

#include <boost/test/unit_test.hpp>

#include "api/contract_routes.hpp"
#include "common/digest.hpp"
#include "sign/signing_links.hpp"
#include "store/contract_notifications.hpp"
#include "tests/api/server_kit.hpp"
#include "tests/sign/signing_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using nlohmann::json;

namespace {

constexpr std::string_view kFrontendToken = "signing-frontend-1-token";
constexpr std::string_view kOtherToken = "signing-frontend-2-token";
constexpr std::string_view kReaderToken = "signing-reader-token";

std::shared_ptr<const ClientDirectory> clients() {
    std::vector<StaticClientDirectory::Entry> entries;
    entries.push_back({{"frontend-1", {"contracts"}}, std::nullopt, sha256_of(kFrontendToken)});
    entries.push_back({{"frontend-2", {"contracts"}}, std::nullopt, sha256_of(kOtherToken)});
    entries.push_back({{"reader", {"subjects:read"}}, std::nullopt, sha256_of(kReaderToken)});
    return std::make_shared<StaticClientDirectory>(std::move(entries));
}

struct Answer {
    unsigned status = 0;
    json body;
};

struct SigningApi : SigningFixture {
    explicit SigningApi(const std::string& database_name) : SigningFixture(database_name) {
        Router router;
        api::add_contract_routes(router, {*service, 1024 * 1024});
        api::add_signing_routes(router, {*signing, &links});
        ServerContext context = quiet_context();
        context.clients = clients();
        server = std::make_unique<RunningServer>(test_options(), std::move(router),
                                                 std::move(context));
    }

    Answer post(const std::string& target, const json& body,
                std::string_view bearer = kFrontendToken) {
        return post_as(target, body, std::string(bearer));
    }
    // `bearer` empty: no credential (a signing link's routes). `headers` set last (a browser's
    // Origin and Sec-Fetch-Site, another Content-Type).
    Answer post_as(const std::string& target, const json& body, const std::string& bearer,
                   const std::vector<std::pair<std::string, std::string>>& headers = {}) {
        TlsClient client(server->https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        auto request = make_request(http::verb::post, target, body.dump());
        request.set(http::field::content_type, "application/json");
        for (const auto& [name, value] : headers)
            request.set(name, value);
        if (!bearer.empty())
            request.set(http::field::authorization, "Bearer " + bearer);
        const auto raw = client.request(request);
        return {raw.result_int(), json::parse(raw.body(), nullptr, false)};
    }

    // A signing link for signer `position`, as the e-mail carries it.
    std::string link(const sign::Contract& c, int position) {
        return database.transaction([&](store::Connection& tx) {
            return links.issue(tx, c.record.id, position, clock.now() + std::chrono::hours(1));
        });
    }

    store::PostgresSigningLinks link_rows;
    sign::SigningLinks links{database, link_rows, clock};
    std::unique_ptr<RunningServer> server;
};

std::string signer_path(const sign::Contract& c, int n, const std::string& action) {
    return "/v1/contracts/" + c.record.id + "/signers/" + std::to_string(n) + "/" + action;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_signing)

BOOST_AUTO_TEST_CASE(a_code_asked_for_and_given_through_the_api_signs) {
    SigningApi f("api_signing_flow");
    const sign::Contract c = f.sent_contract("pdf");

    const Answer challenge = f.post(signer_path(c, 1, "challenge"), {{"channel", "sms"}});
    BOOST_TEST_REQUIRE(challenge.status == 201u, challenge.body.dump());
    BOOST_TEST(challenge.body["revision"] == 0);
    BOOST_TEST(challenge.body["revision_sha256"] == to_hex(c.revisions[0].sha256));
    BOOST_TEST(challenge.body["fingerprint"] ==
               sign::revision_fingerprint(c.revisions[0].sha256));
    const std::string message = f.messages.back();
    const std::string code = message.substr(message.find("code ") + 5, 6);

    // A wrong code: the otp problem with the attempts left; nothing signed.
    const std::string wrong_code = code == "000000" ? "111111" : "000000";
    json sign_body{{"revision_sha256", to_hex(c.revisions[0].sha256)},
                   {"challenge_id", challenge.body["challenge_id"]},
                   {"code", wrong_code}};
    const Answer wrong = f.post(signer_path(c, 1, "sign"), sign_body);
    BOOST_TEST(wrong.status == 403u, wrong.body.dump());
    BOOST_TEST(wrong.body["type"].get<std::string>().find("otp-wrong-code") != std::string::npos);
    BOOST_TEST(wrong.body["attempts_left"] == 4);
    // The code sent is never echoed.
    BOOST_TEST(wrong.body.dump().find(wrong_code) == std::string::npos);

    sign_body["code"] = code;
    sign_body["appearance"] = {{"page", 1}, {"left", 40}, {"bottom", 40}, {"right", 240},
                               {"top", 90}};
    const Answer signed_now = f.post(signer_path(c, 1, "sign"), sign_body);
    BOOST_TEST_REQUIRE(signed_now.status == 200u, signed_now.body.dump());
    BOOST_TEST(signed_now.body["state"] == "partially_signed");
    BOOST_TEST(signed_now.body["signers"][0]["state"] == "signed");

    // TOTP: nothing is sent, the answer says what is signed.
    const std::size_t sent = f.messages.size();
    const Answer totp = f.post(signer_path(c, 2, "challenge"), {{"channel", "totp"}});
    BOOST_TEST(totp.status == 201u, totp.body.dump());
    BOOST_TEST(!totp.body.contains("challenge_id"));
    BOOST_TEST(f.messages.size() == sent);
    const Answer bob = f.post(signer_path(c, 2, "sign"),
                              {{"revision_sha256", totp.body["revision_sha256"]},
                               {"code", f.totp_now(f.bob.id)}});
    BOOST_TEST(bob.status == 200u, bob.body.dump());
}

BOOST_AUTO_TEST_CASE(bad_requests_other_clients_and_scopes_are_refused) {
    SigningApi f("api_signing_refusals");
    const sign::Contract c = f.sent_contract("bytes");
    const auto problem = [](const Answer& a, unsigned status, const std::string& words) {
        BOOST_TEST(a.status == status, a.body.dump());
        BOOST_TEST(a.body["detail"].get<std::string>().find(words) != std::string::npos,
                   a.body.dump());
    };
    problem(f.post(signer_path(c, 1, "challenge"), {{"channel", "fax"}}), 400,
            "'channel' is \"sms\" or \"totp\"");
    problem(f.post(signer_path(c, 1, "challenge"), {{"channel", "sms"}, {"colour", 1}}), 400,
            "unknown member 'colour'");
    problem(f.post(signer_path(c, 2, "challenge"), {{"channel", "sms"}}), 409,
            "is waiting for signer 1, not signer 2");
    problem(f.post("/v1/contracts/" + c.record.id + "/signers/0/challenge", {{"channel", "sms"}}),
            404, "no signer 0");
    problem(f.post(signer_path(c, 1, "sign"), {{"revision_sha256", "ab"}, {"code", "123456"}}), 400,
            "'revision_sha256' is 64 lowercase hex digits");
    problem(f.post(signer_path(c, 1, "sign"), {{"revision_sha256", to_hex(c.revisions[0].sha256)},
                                               {"code", "123456"},
                                               {"appearance", {{"page", 1}}}}),
            400, "'appearance.left' is required");
    problem(f.post(signer_path(c, 1, "challenge"), {{"channel", "sms"}}, kOtherToken), 404,
            "no contract");
    const Answer scope = f.post(signer_path(c, 1, "challenge"), {{"channel", "sms"}}, kReaderToken);
    BOOST_TEST(scope.status == 403u, scope.body.dump());
    BOOST_TEST(f.messages.empty());
}

BOOST_AUTO_TEST_CASE(a_signing_link_signs_once_without_a_credential) {
    SigningApi f("api_signing_link");
    const sign::Contract c = f.sent_contract("bytes");
    const std::string token = f.link(c, 1);
    const std::string base = "/v1/signing/" + token;

    const Answer challenge = f.post_as(base + "/challenge", {{"channel", "sms"}}, "");
    BOOST_TEST_REQUIRE(challenge.status == 201u, challenge.body.dump());
    const std::string message = f.messages.back();
    const json sign_body{{"revision_sha256", challenge.body["revision_sha256"]},
                         {"challenge_id", challenge.body["challenge_id"]},
                         {"code", message.substr(message.find("code ") + 5, 6)}};
    const Answer signed_now = f.post_as(base + "/sign", sign_body, "");
    BOOST_TEST_REQUIRE(signed_now.status == 200u, signed_now.body.dump());
    BOOST_TEST(signed_now.body["signers"][0]["state"] == "signed");

    // Used up with the signature: the link answers nothing any more, and says so to its holder.
    const Answer again = f.post_as(base + "/challenge", {{"channel", "sms"}}, "");
    BOOST_TEST(again.status == 410u, again.body.dump());
    BOOST_TEST(again.body["type"].get<std::string>().ends_with("/signing-link-used"));
    BOOST_TEST(f.post_as("/v1/signing/not-a-token/challenge", {{"channel", "sms"}}, "").status ==
               404u);
    // A link of bob's signs only as bob: his turn now, an SMS to him.
    const std::string bobs = f.link(c, 2);
    const Answer bob = f.post_as("/v1/signing/" + bobs + "/challenge", {{"channel", "sms"}}, "");
    BOOST_TEST(bob.status == 201u, bob.body.dump());
    BOOST_TEST(bob.body["revision"] == 1);
}

// CSRF (api/same_origin.hpp): the link's routes take only JSON, and a browser's request only
// from this server's own origin; each refusal sends no code.
BOOST_AUTO_TEST_CASE(a_signing_link_refuses_cross_site_requests) {
    SigningApi f("api_signing_link_csrf");
    const sign::Contract c = f.sent_contract("bytes");
    const std::string challenge = "/v1/signing/" + f.link(c, 1) + "/challenge";
    const json body{{"channel", "sms"}};
    const Answer foreign = f.post_as(challenge, body, "", {{"Origin", "https://evil.example"}});
    BOOST_TEST(foreign.status == 403u, foreign.body.dump());
    BOOST_TEST(foreign.body["detail"].get<std::string>().find("Origin") != std::string::npos);
    BOOST_TEST(f.post_as(challenge, body, "", {{"Origin", "null"}}).status == 403u);
    BOOST_TEST(f.post_as(challenge, body, "", {{"Sec-Fetch-Site", "cross-site"}}).status == 403u);
    BOOST_TEST(f.post_as(challenge, body, "", {{"Sec-Fetch-Site", "same-site"}}).status == 403u);
    const Answer form = f.post_as(challenge, body, "", {{"Content-Type", "text/plain"}});
    BOOST_TEST(form.status == 400u, form.body.dump());
    BOOST_TEST(form.body["detail"] == "the body must be application/json");
    BOOST_TEST(f.messages.empty());
    // The page's own request: same origin (the Host it was served from).
    const Answer own = f.post_as(
        challenge, body, "", {{"Origin", "https://127.0.0.1"}, {"Sec-Fetch-Site", "same-origin"}});
    BOOST_TEST(own.status == 201u, own.body.dump());
    BOOST_TEST(f.messages.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
