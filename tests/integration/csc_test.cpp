// The CSC API end to end (issue 17, docs/csc.md): a signetd node with the SMS gateway on
// loopback, its platform's subjects and hsm-wrapped certificates (EC P-256 and RSA 2048) made
// through the real /v1 API (contract_flow.hpp's PlatformClient), then a client written in Python
// from the specification's field names (csc_client.py, python3-requests) drives the whole flow —
// tokens (oauth2/token and auth/login), list, info with the chain, getChallenge with the code
// read from the SMS gateway, authorize two hashes, signHash (ECDSA, RSA PKCS#1 v1.5, RSA-PSS),
// each signature verified by openssl against the certificate credentials/info returned — and
// SCAL2's refusals over HTTP (another hash, a used SAD, another platform, a wrong code), a
// time-stamp shown by openssl ts, signDoc's CAdES checked by openssl cms, auth/revoke.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <filesystem>
#include <string>

#include "common/bytes.hpp"
#include "common/digest.hpp"
#include "tests/integration/contract_flow.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signetd.hpp"

using namespace signet;
using namespace signet::testing;
namespace fs = std::filesystem;

namespace {

const std::string kOtherToken = "other-platform-bearer-fedcba9876543210";

std::string sha256_hex(const std::string& text) {
    const auto digest = sha256_of(std::string_view(text));
    return to_hex({digest.data(), digest.size()});
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    return text;
}

// contract_flow's node with the scope csc for its platform, a second platform, an RSA profile,
// the SMS gateway and the csc section.
std::string csc_yaml() {
    std::string yaml = contract_flow_yaml();
    replace_all(yaml, "certificates:read, contracts]", "certificates:read, contracts, csc]");
    replace_all(yaml, "ca:\n  profiles:\n",
                "  - name: other-platform\n"
                "    scopes: [csc]\n"
                "    token_sha256: " + sha256_hex(kOtherToken) + "\n"
                "ca:\n  profiles:\n"
                "    csc-rsa:\n"
                "      issuer: issuing-ca\n"
                "      key_types: [rsa-2048]\n"
                "      validity_days: 365\n"
                "      key_usage: [digitalSignature, nonRepudiation]\n"
                "      subject_template: \"CN={name},serialNumber={id_masked},C={country}\"\n");
    yaml +=
        "otp:\n"
        "  min_send_interval_seconds: 0\n"
        "  sms_gateway:\n"
        "    url: http://127.0.0.1:@SMS_PORT@/send\n"
        "    body_template: '{\"to\": \"{{phone}}\", \"text\": \"{{message}}\"}'\n"
        "tsa:\n"
        "  allow_unsynchronized_clock: true\n"
        "csc:\n"
        "  name: Signet CSC test\n"
        "  logo: https://signet.example/logo.png\n"
        "  multisign: 10\n";
    return yaml;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(csc_api)

BOOST_AUTO_TEST_CASE(a_python_client_signs_with_scal2) {
    const std::uint16_t https_port = free_port();
    SignetdProcess node(csc_yaml(), contract_flow_https_listener(https_port));
    const fs::path sms_dir = node.dir() / "sms";
    fs::create_directories(sms_dir);
    ChildProcess sms(std::vector<std::string>{"/usr/bin/python3",
                                              source_file("tests/web/sms_gateway.py").string(),
                                              sms_dir.string(), (node.dir() / "sms-ready").string()});
    std::string yaml = read_file(node.config_file());
    replace_all(yaml, "@SMS_PORT@", trimmed(wait_for_file(node.dir() / "sms-ready")));
    write_file(node.config_file(), yaml);
    prepare_contract_flow(node);
    node.start();

    // The platform's user: a verified person with an EC credential (personal) and an RSA one.
    const PlatformClient platform(node, https_port);
    const Party party = platform.register_party("Zhang San");
    const ApiAnswer rsa = platform.post("/v1/certificates", {{"subject_id", party.subject_id},
                                                             {"profile", "csc-rsa"},
                                                             {"key_type", "rsa-2048"}});
    BOOST_REQUIRE_MESSAGE(rsa.ok(), rsa.describe());

    const fs::path work = node.dir() / "csc-client";
    fs::create_directories(work);
    const CommandResult run = run_command(
        {"/usr/bin/python3", source_file("tests/integration/csc_client.py").string(), "--base",
         "https://127.0.0.1:" + std::to_string(https_port) + "/csc/v2/", "--ca",
         (node.dir() / "tls.pem").string(), "--client", "platform", "--token",
         platform_bearer_token(), "--other-client", "other-platform", "--other-token",
         kOtherToken, "--sms-dir", sms_dir.string(), "--work", work.string()});
    BOOST_TEST_MESSAGE(run.output);
    BOOST_REQUIRE_MESSAGE(run.exit_code == 0, run.output << "\n--- signetd:\n" << node.output());
    // Two credentials, each signing two hashes per algorithm: ECDSA 2, RSA PKCS#1 2, RSA-PSS 2.
    BOOST_TEST(run.output.find("CSC CLIENT OK: 6 signatures verified") != std::string::npos);
    std::string serial = party.certificate_serial;
    std::ranges::transform(serial, serial.begin(), [](unsigned char ch) {
        return static_cast<char>(std::toupper(ch));
    });
    BOOST_TEST(run.output.find("signHash " + serial + " 1.2.840.10045.4.3.2: 2 signatures verified") !=
               std::string::npos);
    BOOST_TEST(run.output.find(": CAdES B-T verified by openssl cms") != std::string::npos);
    BOOST_TEST(run.output.find(": PAdES B-T on the PDF, pdfsig: valid, total document signed") !=
               std::string::npos);
    BOOST_TEST(run.output.find("SCAL2: a hash the SAD does not cover refused") != std::string::npos);
    BOOST_TEST(run.output.find("another platform: the credential and its SAD refused") !=
               std::string::npos);
    BOOST_TEST(run.output.find("SCAL2: the SAD signed once, its reuse refused") != std::string::npos);
    BOOST_TEST(run.output.find("signatures/timestamp: imprint and nonce shown by openssl ts") !=
               std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
