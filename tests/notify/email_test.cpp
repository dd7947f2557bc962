// E-mail to the due signer (sign/notification_deliverer.hpp) through a real SMTP server on
// loopback (aiosmtpd, tests/notify/smtp_server.py) that requires STARTTLS with a throwaway
// certificate made by openssl here: the message arrives over TLS, Python's e-mail package reads
// it as a well-formed RFC 5322 message with an RFC 2047 subject, and its link's token opens
// GET /v1/signing/{token} over real HTTPS until it is used once. A server without STARTTLS
// gets nothing.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "api/signing_link_routes.hpp"
#include "tests/api/server_kit.hpp"
#include "tests/notify/notify_fixture.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// 305 bytes of UTF-8: an 'x', 100 three-byte characters and ".pdf".
const std::string kLongFileName = [] {
    std::string name = "x";
    for (int i = 0; i < 100; ++i)
        name += "合";
    return name + ".pdf";
}();

constexpr const char* kLinkBase = "https://sign.example.test/s/";
constexpr const char* kAliceMail = "wang.fang@example.test";

// The SMTP server (with STARTTLS unless `plain`), the signing link route on a real HTTPS
// server, and a contract of frontend-2 (which has no webhook) whose first signer, alice, has an
// address: one e-mail row.
struct MailFixture : NotifyFixture {
    explicit MailFixture(const std::string& name, bool plain = false) : NotifyFixture(name) {
        const auto certificate = dir.path() / "smtp-cert.pem";
        const auto key = dir.path() / "smtp-key.pem";
        const auto made = run_command(
            {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext",
             "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key.string(), "-out",
             certificate.string()});
        BOOST_REQUIRE_MESSAGE(made.exit_code == 0, made.output);
        std::filesystem::create_directories(mail_dir);
        std::vector<std::string> argv{"/usr/bin/python3",
                                      source_file("tests/notify/smtp_server.py").string(),
                                      mail_dir.string(),
                                      (dir.path() / "smtp-ready").string()};
        if (plain) {
            argv.push_back("plain");
        } else {
            argv.push_back(certificate.string());
            argv.push_back(key.string());
        }
        smtp = std::make_unique<ChildProcess>(argv);
        const auto smtp_port = std::stoi(wait_for_file(dir.path() / "smtp-ready"));

        sign::SmtpEndpoint endpoint;
        endpoint.url = "smtp://127.0.0.1:" + std::to_string(smtp_port);
        endpoint.from = "signet@example.test";
        endpoint.from_name = "Signet 签约";
        endpoint.ca_file = certificate.string();
        endpoint.timeout = 60s;  // generous: the machine may be busy
        settings.email = std::move(endpoint);
        settings.link_base = kLinkBase;
        settings.link_validity = 48h;

        api::add_signing_link_routes(router, {links, *notified, *registry});
        server =
            std::make_unique<RunningServer>(test_options(), std::move(router), quiet_context());

        set_email(alice.id, kAliceMail);
        const sign::ContractCaller other{"client:frontend-2", "frontend-2"};
        sign::ContractDraft with_name = draft();
        with_name.metadata["file_name"] = kLongFileName;
        sign::Contract c = notified->create(with_name, document, other);
        contract = notified->send(c.record.id, other);
        const auto rows = outbox_rows(contract.record.id);
        BOOST_REQUIRE_EQUAL(rows.size(), 1u);
        BOOST_REQUIRE_EQUAL(rows[0].kind, "email");
        row = rows[0];
    }

    // GET /v1/signing/{token} over TLS, no credential.
    std::pair<unsigned, json> open_link(const std::string& capability) {
        TlsClient client(server->https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        const auto answer =
            client.request(make_request(http::verb::get, "/v1/signing/" + capability, ""));
        return {answer.result_int(), json::parse(answer.body(), nullptr, false)};
    }

    std::filesystem::path mail_dir = dir.path() / "mail";
    std::unique_ptr<ChildProcess> smtp;
    sign::DelivererSettings settings;
    Router router;
    std::unique_ptr<RunningServer> server;
    sign::Contract contract;
    store::ContractNotificationRecord row;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(email_delivery)

BOOST_AUTO_TEST_CASE(the_email_arrives_over_starttls_with_a_link_that_works_once) {
    MailFixture f("notify_email");
    auto deliverer = f.deliverer(std::move(f.settings));
    BOOST_CHECK_EQUAL(deliverer->run_once(), 1u);

    const auto attempts = f.attempts_of(f.row.id);
    BOOST_REQUIRE_EQUAL(attempts.size(), 1u);
    BOOST_REQUIRE_MESSAGE(attempts[0].outcome == "delivered", attempts[0].error.value_or(""));
    BOOST_CHECK_EQUAL(attempts[0].reply_code.value_or(0), 250);
    BOOST_CHECK_EQUAL(f.outbox_rows(f.contract.record.id)[0].state, "delivered");

    const auto envelope = json::parse(read_file(f.mail_dir / "message-1.json"));
    BOOST_CHECK_EQUAL(envelope["tls"], true);
    BOOST_CHECK_EQUAL(envelope["mail_from"], "signet@example.test");
    BOOST_CHECK_EQUAL(envelope["rcpt_tos"], json::array({kAliceMail}));

    const auto read = run_command({"/usr/bin/python3",
                                   source_file("tests/notify/read_mail.py").string(),
                                   (f.mail_dir / "message-1.eml").string()});
    BOOST_REQUIRE_MESSAGE(read.exit_code == 0, read.output);
    const auto mail = json::parse(read.output);
    BOOST_CHECK_EQUAL(mail["subject"], "Please sign: 房屋租赁合同 2026-118");
    BOOST_CHECK_EQUAL(mail["from"], "Signet 签约 <signet@example.test>");
    BOOST_CHECK_EQUAL(mail["to"], kAliceMail);
    BOOST_CHECK(mail["message_id"].get<std::string>().ends_with("@example.test>"));
    BOOST_CHECK(!mail["date"].get<std::string>().empty());
    BOOST_CHECK_EQUAL(mail["content_type"], "text/plain");
    BOOST_CHECK_EQUAL(mail["charset"], "utf-8");
    BOOST_CHECK_EQUAL(mail["defects"].size(), 0u);
    BOOST_CHECK_EQUAL(mail["crlf_only"], true);
    BOOST_CHECK_LE(mail["longest_line"].get<int>(), 78);

    const std::string body = mail["body"];
    BOOST_CHECK(body.find("\"房屋租赁合同 2026-118\" as signer 1") != std::string::npos);
    const std::size_t at = body.find(kLinkBase);
    BOOST_REQUIRE(at != std::string::npos);
    const std::string token =
        body.substr(at + std::string(kLinkBase).size(), sign::kSigningTokenChars);
    BOOST_REQUIRE(sign::is_signing_token(token));
    // Neither the token nor the address rests in the outbox or its attempts.
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM contract_notifications n "
                              "LEFT JOIN contract_notification_attempts a "
                              "ON a.notification_id = n.id WHERE n::text LIKE '%" + token +
                              "%' OR n::text LIKE '%example.test%' OR a::text LIKE '%" + token +
                              "%' OR a::text LIKE '%example.test%'"),
                      0);

    // The link opens the signer's page over HTTPS, without any credential...
    auto [status, page] = f.open_link(token);
    BOOST_REQUIRE_EQUAL(status, 200u);
    BOOST_CHECK_EQUAL(page["contract"]["id"], f.contract.record.id);
    BOOST_CHECK_EQUAL(page["contract"]["title"], "房屋租赁合同 2026-118");
    BOOST_CHECK_EQUAL(page["contract"]["state"], "sent");
    BOOST_CHECK_EQUAL(page["contract"]["revision_sha256"],
                      to_hex(f.contract.revisions.back().sha256));
    BOOST_CHECK_EQUAL(page["signer"]["position"], 1);
    BOOST_CHECK_EQUAL(page["signer"]["due"], true);
    // The parties in order for the page, by name; the fingerprint the SMS will name.
    BOOST_REQUIRE_EQUAL(page["parties"].size(), f.contract.signers.size());
    BOOST_CHECK_EQUAL(page["parties"][0]["position"], 1);
    BOOST_CHECK_EQUAL(page["parties"][0]["due"], true);
    BOOST_CHECK(!page["parties"][0]["name"].get<std::string>().empty());
    BOOST_CHECK_EQUAL(page["contract"]["fingerprint"].get<std::string>().size(), 19u);
    BOOST_CHECK_EQUAL(page["link_expires_at"], format_utc(f.clock.now() + 48h));
    // A file name over 255 bytes is cut at a character boundary (the answer above parsed, so
    // it is UTF-8): here 84 three-byte characters after the 'x', 253 bytes.
    const std::string shown = page["contract"]["file_name"];
    BOOST_CHECK_EQUAL(shown.size(), 253u);
    BOOST_CHECK(kLongFileName.starts_with(shown));
    // ... reading does not use it up ...
    BOOST_CHECK_EQUAL(f.open_link(token).first, 200u);
    // ... the signature does (the signing route's consume), once.
    BOOST_CHECK(
        f.database.transaction([&](store::Connection& tx) { return f.links.consume(tx, token); }));
    // Used: told apart for the link's holder (410), with the contract's state.
    const auto [used_status, used] = f.open_link(token);
    BOOST_CHECK_EQUAL(used_status, 410u);
    BOOST_CHECK(used["type"].get<std::string>().ends_with("/signing-link-used"));
    BOOST_CHECK_EQUAL(used["contract_state"], "sent");
    BOOST_CHECK(
        !f.database.transaction([&](store::Connection& tx) { return f.links.consume(tx, token); }));

    // Unknown and malformed tokens look the same.
    std::string other = token;
    other[0] = other[0] == 'A' ? 'B' : 'A';
    BOOST_CHECK_EQUAL(f.open_link(other).first, 404u);
    BOOST_CHECK_EQUAL(f.open_link("not-a-token").first, 404u);
}

BOOST_AUTO_TEST_CASE(the_link_expires) {
    MailFixture f("notify_email_expiry");
    auto deliverer = f.deliverer(std::move(f.settings));
    BOOST_CHECK_EQUAL(deliverer->run_once(), 1u);
    const auto read = run_command({"/usr/bin/python3",
                                   source_file("tests/notify/read_mail.py").string(),
                                   (f.mail_dir / "message-1.eml").string()});
    const std::string body = json::parse(read.output)["body"];
    const std::string token = body.substr(body.find(kLinkBase) + std::string(kLinkBase).size(),
                                          sign::kSigningTokenChars);
    BOOST_CHECK_EQUAL(f.open_link(token).first, 200u);
    f.clock.advance(48h);
    const auto [status, expired] = f.open_link(token);
    BOOST_CHECK_EQUAL(status, 410u);
    BOOST_CHECK(expired["type"].get<std::string>().ends_with("/signing-link-expired"));
}

BOOST_AUTO_TEST_CASE(a_server_without_starttls_gets_nothing) {
    MailFixture f("notify_email_plain", true);
    auto deliverer = f.deliverer(std::move(f.settings));
    BOOST_CHECK_EQUAL(deliverer->run_once(), 1u);
    const auto attempts = f.attempts_of(f.row.id);
    BOOST_REQUIRE_EQUAL(attempts.size(), 1u);
    BOOST_CHECK_EQUAL(attempts[0].outcome, "retry");
    BOOST_CHECK(!std::filesystem::exists(f.mail_dir / "message-1.eml"));
    BOOST_CHECK_EQUAL(f.outbox_rows(f.contract.record.id)[0].state, "pending");
}

BOOST_AUTO_TEST_CASE(a_signer_no_longer_due_is_not_mailed) {
    MailFixture f("notify_email_obsolete");
    const sign::ContractCaller other{"client:frontend-2", "frontend-2"};
    f.notified->cancel(f.contract.record.id, other);
    auto deliverer = f.deliverer(std::move(f.settings));
    BOOST_CHECK_EQUAL(deliverer->run_once(), 1u);
    const auto rows = f.outbox_rows(f.contract.record.id);
    BOOST_CHECK_EQUAL(rows[0].state, "failed");
    BOOST_CHECK_EQUAL(rows[0].last_error.value_or(""),
                      "the contract is cancelled: its signer is no longer due");
    BOOST_CHECK(!std::filesystem::exists(f.mail_dir / "message-1.eml"));
    BOOST_CHECK_EQUAL(f.count("SELECT count(*) FROM signing_links"), 0);
}

BOOST_AUTO_TEST_CASE(headers_are_encoded_and_refuse_injection) {
    BOOST_CHECK_EQUAL(sign::encode_header_text("Please sign: lease"), "Please sign: lease");
    const std::string long_title(60, 'x');
    const std::string encoded = sign::encode_header_text("签约 " + long_title + " 合同");
    for (std::size_t start = 0; start < encoded.size();) {
        const std::size_t end = encoded.find("\r\n ", start);
        const std::string word = encoded.substr(start, end == std::string::npos ? end : end - start);
        BOOST_CHECK(word.starts_with("=?UTF-8?B?") && word.ends_with("?="));
        BOOST_CHECK_LE(word.size(), 75u);
        start = end == std::string::npos ? encoded.size() : end + 3;
    }
    sign::SmtpEndpoint endpoint;
    endpoint.from = "signet@example.test";
    BOOST_CHECK_THROW(sign::format_email(endpoint, {"a@b.test\r\nBcc: x@y.test", "s", "t"},
                                         Clock::time_point{}, "id@example.test"),
                      Error);
    const std::string text = sign::format_email(endpoint, {"a@b.test", "s\r\nBcc: x", "t"},
                                                Clock::time_point{}, "id@example.test");
    BOOST_CHECK(text.find("\r\nBcc:") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
