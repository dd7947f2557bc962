// signet.yaml's signing.notifications (issue 13 "Telling the next party"): webhooks per API
// client, e-mail over SMTP, signing links and the retry schedule, read into plain structs; each
// mistake reported at its FILE:LINE:COLUMN and no message repeating a URL or a secret.
#include <boost/test/unit_test.hpp>

#include "tests/policy/config_fixture.hpp"

using namespace signet;
using namespace signet::policy;
using namespace signet::policy::testing;

namespace {

std::string with_client() {
    return Fixture::base() + "api_clients:\n  - {name: frontend-1, scopes: [contracts], "
                             "token_sha256: '" + std::string(64, 'a') + "'}\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_notifications)

BOOST_AUTO_TEST_CASE(defaults_tell_nobody) {
    Fixture f;
    const Config c = f.load(Fixture::base());
    const auto& n = c.signing.notifications;
    BOOST_CHECK(n.webhooks.empty());
    BOOST_CHECK(!n.email);
    BOOST_CHECK_EQUAL(n.max_attempts, 12u);
    BOOST_CHECK_EQUAL(n.initial_backoff.count(), 5);
    BOOST_CHECK_EQUAL(n.max_backoff.count(), 3600);
    BOOST_CHECK_EQUAL(n.link_validity.count(), 7 * 24);
}

BOOST_AUTO_TEST_CASE(webhooks_email_links_and_retries_are_read) {
    Fixture f;
    write_file(f.dir / "hook-secret", "s3cret\n");
    write_file(f.dir / "smtp-ca.pem", "-----BEGIN CERTIFICATE-----\n");
    const Config c = f.load(with_client() +
                            "signing:\n"
                            "  notifications:\n"
                            "    webhooks:\n"
                            "      frontend-1: {url: 'https://front.example/hooks/signet', "
                            "secret: 'file:hook-secret', timeout_ms: 5000}\n"
                            "    email:\n"
                            "      url: smtp://mail.example:587\n"
                            "      from: signet@example.com\n"
                            "      from_name: Example Signing\n"
                            "      ca_file: smtp-ca.pem\n"
                            "      username: signet\n"
                            "      password: env:SIGNET_SMTP_PASSWORD\n"
                            "    link_base: https://sign.example.com/s/\n"
                            "    link_validity_hours: 72\n"
                            "    max_attempts: 8\n"
                            "    initial_backoff_seconds: 10\n"
                            "    max_backoff_seconds: 600\n"
                            "    poll_interval_ms: 500\n");
    const auto& n = c.signing.notifications;
    BOOST_REQUIRE_EQUAL(n.webhooks.size(), 1u);
    const auto& hook = n.webhooks.at("frontend-1");
    BOOST_CHECK_EQUAL(hook.url, "https://front.example/hooks/signet");
    BOOST_CHECK(hook.secret.kind == SecretSource::Kind::file);
    BOOST_CHECK(std::filesystem::path(hook.secret.location) == f.dir / "hook-secret");
    BOOST_CHECK_EQUAL(hook.timeout.count(), 5000);
    BOOST_REQUIRE(n.email);
    BOOST_CHECK_EQUAL(n.email->url, "smtp://mail.example:587");
    BOOST_CHECK_EQUAL(n.email->from, "signet@example.com");
    BOOST_CHECK_EQUAL(n.email->from_name, "Example Signing");
    BOOST_CHECK(*n.email->ca_file == f.dir / "smtp-ca.pem");
    BOOST_CHECK_EQUAL(n.email->username, "signet");
    BOOST_CHECK(n.email->password->kind == SecretSource::Kind::env);
    BOOST_CHECK_EQUAL(n.link_base, "https://sign.example.com/s/");
    BOOST_CHECK_EQUAL(n.link_validity.count(), 72);
    BOOST_CHECK_EQUAL(n.max_attempts, 8u);
    BOOST_CHECK_EQUAL(n.initial_backoff.count(), 10);
    BOOST_CHECK_EQUAL(n.max_backoff.count(), 600);
    BOOST_CHECK_EQUAL(n.poll_interval.count(), 500);
}

BOOST_AUTO_TEST_CASE(mistakes_are_reported_where_they_are_without_urls_or_secrets) {
    Fixture f;
    const std::string yaml = with_client() +
                             "signing:\n"
                             "  notifications:\n"
                             "    webhooks:\n"
                             "      frontend-9: {url: 'ftp://key-in-url', secret: 'plainsecret'}\n"
                             "      frontend-1: {url: 'https://front.example/h'}\n"
                             "    email:\n"
                             "      url: http://mail.example\n"
                             "      from: 'Signet <signet@example.com>'\n"
                             "      password: env:SMTP_PASSWORD\n"
                             "    max_attempts: 0\n"
                             "    initial_backoff_seconds: 60\n"
                             "    max_backoff_seconds: 30\n";
    const std::string message = f.error(yaml);
    BOOST_CHECK(message.find("key-in-url") == std::string::npos);
    BOOST_CHECK(message.find("plainsecret") == std::string::npos);
    check_line(message, place(f, yaml, "frontend-9", "frontend-9") +
                            "signing.notifications.webhooks.frontend-9: is not an API client "
                            "(api_clients)");
    check_line(message, place(f, yaml, "'ftp://", "'ftp://") +
                            "signing.notifications.webhooks.frontend-9.url: is not an http:// or "
                            "https:// URL (the value is not shown)");
    check_line(message, place(f, yaml, "frontend-1: {", "frontend-1") +
                            "signing.notifications.webhooks.frontend-1.secret: is required");
    check_line(message, place(f, yaml, "http://mail", "http://mail") +
                            "signing.notifications.email.url: is not an smtp://HOST[:PORT] or "
                            "smtps://HOST[:PORT] URL");
    check_line(message, place(f, yaml, "'Signet <", "'Signet <") +
                            "signing.notifications.email.from: is not an address of the form "
                            "local@domain in printable ASCII");
    check_line(message, place(f, yaml, "env:SMTP_PASSWORD", "env:SMTP_PASSWORD") +
                            "signing.notifications.email.password: is given without a username");
    check_line(message, place(f, yaml, "max_attempts: 0", "0") +
                            "signing.notifications.max_attempts: 0 is not a number of attempts "
                            "(1-50)");
    check_line(message, place(f, yaml, "max_backoff_seconds: 30", "30") +
                            "signing.notifications.max_backoff_seconds: must be at least "
                            "initial_backoff_seconds (60)");
    BOOST_CHECK(message.find("signing.notifications.link_base: is required") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
