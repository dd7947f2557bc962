// The signer's page test's node (sign_page_node.hpp).
#include "tests/web/sign_page_node.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "store/database.hpp"
#include "store/embedded_postgres.hpp"

namespace signet::testing {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A unified social credit code with a valid check character (GB 32100).
const std::string kCreditCode = "914403001922038216";

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// contract_flow's node with an e-seal profile, the e-mail notifications, the SMS gateway and no
// TOTP signing: every code here comes by SMS and names the document.
std::string sign_page_yaml(std::uint16_t https_port) {
    std::string yaml = contract_flow_yaml();
    const std::string base = "http://127.0.0.1:@HTTP_PORT@";
    replace_all(yaml, "  profiles:\n",
                "  profiles:\n"
                "    e-seal:\n"
                "      issuer: issuing-ca\n"
                "      key_types: [ec-p256]\n"
                "      validity_days: 365\n"
                "      key_usage: [digitalSignature, contentCommitment]\n"
                "      extended_key_usage: [documentSigning, emailProtection]\n"
                "      certificate_policies: [1.3.6.1.4.1.99999.2.2]\n"
                "      subject_template: \"CN={organization},organizationIdentifier={id_masked},"
                "O={organization},C={country}\"\n"
                "      aia:\n"
                "        ocsp_url: " +
                    base +
                    "/ocsp\n"
                    "        ca_issuers_url: " +
                    base +
                    "/ca/issuing-ca.crt\n"
                    "      crl_distribution_point: " +
                    base +
                    "/crl/issuing-ca.crl\n"
                    "      required_assurance: 2\n");
    replace_all(yaml, "signing:\n  totp_signs: true\n",
                "signing:\n"
                "  notifications:\n"
                "    email: {url: 'smtp://127.0.0.1:@SMTP_PORT@', from: signet@example.test,"
                " ca_file: '@TLS_PEM@'}\n"
                "    link_base: https://127.0.0.1:" +
                    std::to_string(https_port) +
                    "/sign/\n"
                    "    poll_interval_ms: 200\n"
                    "otp:\n"
                    "  min_send_interval_seconds: 0\n"
                    "  max_failures: 2\n"
                    "  sms_gateway:\n"
                    "    url: http://127.0.0.1:@SMS_PORT@/send\n"
                    "    body_template: '{\"to\": \"{{phone}}\", \"text\": \"{{message}}\"}'\n"
                    "tsa:\n"
                    "  allow_unsynchronized_clock: true\n");
    return yaml;
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    return text;
}

}  // namespace

SignPageNode::SignPageNode()
    : https_port(free_port()),
      node(sign_page_yaml(https_port), contract_flow_https_listener(https_port)) {
    // The loopback servers first: signet.yaml names their ports, and signetctl (the
    // ceremony in prepare_contract_flow) checks signet.yaml whole.
    const fs::path smtp_pem = node.dir() / "smtp.pem";
    const fs::path smtp_key = node.dir() / "smtp.key";
    const auto tls = run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                  "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                                  "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                                  "-keyout", smtp_key.string(), "-out", smtp_pem.string()});
    BOOST_REQUIRE_MESSAGE(tls.exit_code == 0, tls.output);
    fs::create_directories(mail_dir);
    fs::create_directories(sms_dir);
    smtp = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/bin/python3", source_file("tests/notify/smtp_server.py").string(), mail_dir.string(),
        (node.dir() / "smtp-ready").string(), smtp_pem.string(), smtp_key.string()});
    sms = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/bin/python3", source_file("tests/web/sms_gateway.py").string(), sms_dir.string(),
        (node.dir() / "sms-ready").string()});
    std::string yaml = read_file(node.config_file());
    replace_all(yaml, "@SMTP_PORT@", trimmed(wait_for_file(node.dir() / "smtp-ready")));
    replace_all(yaml, "@SMS_PORT@", trimmed(wait_for_file(node.dir() / "sms-ready")));
    replace_all(yaml, "@TLS_PEM@", smtp_pem.string());
    write_file(node.config_file(), yaml);
    prepare_contract_flow(node);
    node.start();
    client = std::make_unique<PlatformClient>(node, https_port);
}

std::string SignPageNode::link_mailed_to(const std::string& address, int nth) const {
    for (int n = 1;; ++n) {
        const fs::path envelope = mail_dir / ("message-" + std::to_string(n) + ".json");
        const json meta = json::parse(wait_for_file(envelope, std::chrono::seconds(120)));
        if (meta["rcpt_tos"][0] != address || --nth > 0)
            continue;
        const auto read =
            run_command({"/usr/bin/python3", source_file("tests/notify/read_mail.py").string(),
                         (mail_dir / ("message-" + std::to_string(n) + ".eml")).string()});
        BOOST_REQUIRE_MESSAGE(read.exit_code == 0, read.output);
        const std::string body = json::parse(read.output)["body"];
        const std::string base = "https://127.0.0.1:" + std::to_string(https_port) + "/sign/";
        const auto at = body.find(base);
        BOOST_REQUIRE(at != std::string::npos);
        return body.substr(at, base.size() + 43);
    }
}

void SignPageNode::expire_links_of(const std::string& contract_id) const {
    store::Database db({.dsn = store::EmbeddedPostgres::dsn_for(node.state_dir()), .pool_size = 1});
    db.with_connection([&](store::Connection& connection) {
        connection.exec(
            "UPDATE signing_links SET created_at = now() - interval '2 hours', "
            "expires_at = now() - interval '1 minute' "
            "WHERE contract_id = $1",
            {store::Param(contract_id)});
    });
}

// A verified organization with an e-seal certificate, and `agent` authorized to apply its seal.
std::int64_t sealing_organization(const PlatformClient& client, const Party& representative,
                                  const Party& agent) {
    const auto created =
        client.post("/v1/subjects", {{"kind", "organization"},
                                     {"name", "Example Trading Ltd"},
                                     {"credit_code", kCreditCode},
                                     {"legal_representative_id", representative.subject_id}});
    BOOST_REQUIRE_MESSAGE(created.ok(), created.describe());
    const std::int64_t id = created.json()["id"];
    const std::string subject = "/v1/subjects/" + std::to_string(id);
    const auto verified =
        client.post(subject + "/verification", {{"level", 2},
                                                {"reason", "business licence seen by the test"},
                                                {"document_number", kCreditCode}});
    BOOST_REQUIRE_MESSAGE(verified.ok(), verified.describe());
    const auto issued = client.post(
        "/v1/certificates", {{"subject_id", id}, {"profile", "e-seal"}, {"key_type", "ec-p256"}});
    BOOST_REQUIRE_MESSAGE(issued.ok(), issued.describe());
    const auto granted =
        client.post("/v1/organizations/" + std::to_string(id) + "/agents",
                    {{"person_id", agent.subject_id},
                     {"permissions", {"apply_seal"}},
                     {"valid_until", format_utc(SystemClock().now() + std::chrono::hours(24 * 30))},
                     {"authorization_reference", "LoA-test-1"}});
    BOOST_REQUIRE_MESSAGE(granted.ok(), granted.describe());
    return id;
}

}  // namespace signet::testing
