// signetd with signing.notifications (issue 13 "Telling the next party"): the node starts with
// webhooks and e-mail configured (their secrets read from their sources), serves, and stops
// promptly with its deliverer; a webhook secret whose source is missing stops it at start,
// naming the source and never a value.
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "tests/support/process.hpp"
#include "tests/support/signetd.hpp"

using namespace signet::testing;

namespace {

std::string notifications_yaml(const std::string& secret_source) {
    return "api_clients:\n  - name: platform\n    scopes: [contracts]\n    token_sha256: " +
           std::string(64, 'b') +
           "\n"
           "signing:\n"
           "  notifications:\n"
           "    webhooks:\n"
           "      platform: {url: 'http://127.0.0.1:9/hook', secret: '" +
           secret_source +
           "'}\n"
           "    email: {url: 'smtp://127.0.0.1:9', from: signet@example.test}\n"
           "    link_base: https://sign.example.test/s/\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signetd_notifications)

BOOST_AUTO_TEST_CASE(starts_and_stops_with_notifications_and_refuses_a_missing_secret) {
    TempDir secrets;
    write_file(secrets / "hook", "hook-secret-value\n");
    {
        SignetdProcess node(notifications_yaml("file:" + (secrets / "hook").string()));
        node.start();
        BOOST_CHECK_EQUAL(http_request(node.http_port(), "GET", "/livez").status, 200);
        // No credential needed, and an unknown token is 404 (served over HTTPS only: here the
        // plain listener answers that the route is not on it).
        BOOST_CHECK_EQUAL(http_request(node.http_port(), "GET",
                                       "/v1/signing/" + std::string(43, 'A'))
                              .status,
                          404);
        BOOST_CHECK_EQUAL(node.stop(), 0);
    }
    SignetdProcess node(notifications_yaml("env:SIGNET_TEST_UNSET_WEBHOOK_SECRET"));
    ::unsetenv("SIGNET_TEST_UNSET_WEBHOOK_SECRET");
    const auto r = run_command({std::string(std::getenv("SIGNET_BINARY_DIR")) + "/api/signetd",
                                "--config", node.config_file().string()});
    BOOST_TEST_MESSAGE(r.output);
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK(r.output.find("SIGNET_TEST_UNSET_WEBHOOK_SECRET") != std::string::npos);
    BOOST_CHECK(r.output.find("hook-secret-value") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
