// HTTPS: protocol versions, client certificates and bearer tokens with scopes, a key in the HSM.
#include "tests/api/server_kit.hpp"

BOOST_AUTO_TEST_SUITE(api_tls)

BOOST_FIXTURE_TEST_CASE(tls_1_2_and_1_3_accepted_1_1_refused, ServerFixture) {
    {
        TlsClient client(server.https_port(),
                         {TLS1_1_VERSION, TLS1_1_VERSION, nullptr, /*allow_legacy=*/true});
        const auto ec = client.handshake();
        BOOST_CHECK(ec);
        BOOST_TEST_MESSAGE("TLS 1.1 handshake: " << ec.message());
        // The refusal is the server's: it answers the ClientHello with protocol_version.
        BOOST_CHECK(ec.message().find("protocol version") != std::string::npos);
    }
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        BOOST_TEST_CONTEXT("version " << std::hex << version) {
            TlsClient client(server.https_port(), {version, version, nullptr, false});
            BOOST_REQUIRE(!client.handshake());
            BOOST_CHECK_EQUAL(client.version(), version);
            const HttpResponse response = client.request(make_request(http::verb::get, "/echo"));
            BOOST_CHECK_EQUAL(response.body(), "path=/echo;query=;listener=https");
        }
    }
}

BOOST_FIXTURE_TEST_CASE(v1_needs_credentials_and_the_scope, ServerFixture) {
    const TestPki& pki = TestPki::instance();
    const auto sign_request = [] {
        return make_request(http::verb::post, "/v1/contracts", "{\"contract\":1}");
    };
    {
        // No certificate, no token: 401.
        TlsClient client(server.https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        const HttpResponse response = client.request(sign_request());
        expect_problem(response, 401, "unauthenticated");
        BOOST_CHECK(!response[http::field::www_authenticate].empty());
    }
    {
        // A known client without the scope: 403; with the scope it needs, its route works.
        TlsClient client(server.https_port(), {TLS1_2_VERSION, TLS1_3_VERSION, &pki.reader, false});
        BOOST_REQUIRE(!client.handshake());
        expect_problem(client.request(sign_request()), 403, "permission-denied");
        BOOST_CHECK_EQUAL(client.request(make_request(http::verb::get, "/v1/contracts")).body(),
                          "{\"reader\":\"reader\"}");
    }
    {
        // The right scope: 200.
        TlsClient client(server.https_port(), {TLS1_2_VERSION, TLS1_3_VERSION, &pki.signer, false});
        BOOST_REQUIRE(!client.handshake());
        const HttpResponse response = client.request(sign_request());
        BOOST_CHECK_EQUAL(response.result_int(), 200u);
        BOOST_CHECK_EQUAL(response.body(), "{\"signed_for\":\"signer\"}");
    }
    {
        // A certificate from the client CA that maps to no API client: 401.
        TlsClient client(server.https_port(),
                         {TLS1_2_VERSION, TLS1_3_VERSION, &pki.stranger, false});
        BOOST_REQUIRE(!client.handshake());
        expect_problem(client.request(sign_request()), 401, "unauthenticated");
    }
    {
        // A certificate from another CA: the handshake (or, in TLS 1.3, the first read) fails.
        TlsClient client(server.https_port(),
                         {TLS1_2_VERSION, TLS1_3_VERSION, &pki.foreign, false});
        BOOST_CHECK(!client.try_request(sign_request()));
    }
    {
        // A bearer token works without a certificate; a wrong one is 401.
        TlsClient client(server.https_port(), {});
        BOOST_REQUIRE(!client.handshake());
        auto request = sign_request();
        request.set(http::field::authorization, "Bearer " + std::string(kSignerToken));
        BOOST_CHECK_EQUAL(client.request(request).body(), "{\"signed_for\":\"signer\"}");
        request.set(http::field::authorization, "bearer not-the-token");
        expect_problem(client.request(request), 401, "unauthenticated");
        // An explicit (wrong) token is not rescued by a certificate: see the next block.
    }
    {
        TlsClient client(server.https_port(), {TLS1_2_VERSION, TLS1_3_VERSION, &pki.signer, false});
        BOOST_REQUIRE(!client.handshake());
        auto request = sign_request();
        request.set(http::field::authorization, "Bearer wrong");
        expect_problem(client.request(request), 401, "unauthenticated");
    }
}

BOOST_AUTO_TEST_CASE(a_required_client_certificate_is_enforced_in_the_handshake) {
    ServerOptions options = test_options();
    options.tls.require_client_certificate = true;
    ServerFixture fixture(std::move(options));
    const TestPki& pki = TestPki::instance();
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        TlsClient anonymous(fixture.server.https_port(), {version, version, nullptr, false});
        BOOST_CHECK(!anonymous.try_request(make_request(http::verb::get, "/fast")));
        TlsClient known(fixture.server.https_port(), {version, version, &pki.signer, false});
        const auto response = known.try_request(make_request(http::verb::get, "/fast"));
        BOOST_REQUIRE(response);
        BOOST_CHECK_EQUAL(response->body(), "fast");
    }
}

BOOST_AUTO_TEST_CASE(the_tls_key_can_live_in_the_hsm) {
    // The production setup: the server key is a SoftHSM token key reached through the bridge.
    auto token = signet::testing::SoftHsm::instance().open_new_token("api-tls");
    for (const KeyType type : {KeyType::ec_p256, KeyType::rsa_2048}) {
        BOOST_TEST_CONTEXT(to_string(type)) {
            const std::string label = "tls-" + std::string(to_string(type));
            EvpPkeyPtr key = hsm::bridge_key(token->generate_key(type, label));
            ServerOptions options = test_options();
            options.tls.certificate_chain =
                TestPki::instance().issue_server_chain(key.get(), label);
            options.tls.private_key = std::move(key);
            ServerFixture fixture(std::move(options));
            for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
                TlsClient client(fixture.server.https_port(), {version, version, nullptr, false});
                const auto response = client.try_request(make_request(http::verb::get, "/fast"));
                BOOST_REQUIRE(response);
                BOOST_CHECK_EQUAL(response->body(), "fast");
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(tls_configuration_errors_are_reported) {
    ServerOptions options = test_options();
    options.tls.client_ca.reset();
    options.tls.require_client_certificate = true;
    BOOST_CHECK_THROW(Server(std::move(options), Router(), quiet_context()), Error);
    ServerOptions wrong_key = test_options();
    wrong_key.tls.private_key = make_ec_key();  // not the certificate's key
    try {
        Server server(std::move(wrong_key), Router(), quiet_context());
        BOOST_ERROR("a key not matching the certificate was accepted");
    } catch (const Error& e) {
        BOOST_CHECK_EQUAL(to_string(e.code()), to_string(Errc::crypto));
    }
}

BOOST_AUTO_TEST_SUITE_END()
