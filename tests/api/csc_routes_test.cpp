// The CSC API's routes (api/csc_routes.*) over real HTTPS on loopback, against a fake
// csc::RemoteSigning that records what it was called with: each decoder's refusals in the
// specification's words (CSC API v2.0.0.2 §8.4.4, §11), the OIDs mapped to the HSM's digest and
// padding, RSASSA-PSS parameters checked, the three ways a platform authenticates (HTTP Basic,
// its client certificate, OAuth client credentials), the 401 forms, no-store on tokens and
// SADs, and the service's failures mapped to their status.
#include "api/csc_routes.hpp"

#include "api/csc_requests.hpp"
#include "tests/api/server_kit.hpp"

namespace {

using csc::CscError;
using csc::CscFailure;
using nlohmann::json;

// The API clients' bearer tokens (what HTTP Basic and client_secret carry). The platform's holds
// characters a form must percent-encode.
constexpr std::string_view kPlatformToken = "platform+token/=&x";
constexpr std::string_view kOtherToken = "token-of-a-client-without-csc";
constexpr std::string_view kAccessToken = "access-token-of-the-platform";
constexpr std::string_view kExpiredToken = "expired-access-token";
// An access token of a client whose scope csc was since removed from signet.yaml.
constexpr std::string_view kFormerToken = "access-token-of-a-former-platform";

const std::string kSha256Hash = to_base64(Bytes(32, 0xAB));  // any 32 bytes
const std::string kSha384Hash = to_base64(Bytes(48, 0xCD));
const std::string kSha512Hash = to_base64(Bytes(64, 0xEF));

Clock::time_point at(std::string_view utc) {
    return parse_utc(utc);
}

csc::Credential credential(std::string id, bool ec) {
    csc::Credential c;
    c.id = std::move(id);
    c.subject_id = ec ? 7 : 8;
    c.profile = "personal";
    c.key.algorithms = sign_algorithms_of(ec ? KeyType::ec_p256 : KeyType::rsa_2048);
    c.key.bits = ec ? 256 : 2048;
    if (ec)
        c.key.curve = "1.2.840.10045.3.1.7";
    c.certificate.status = "valid";
    c.certificate.chain = {Bytes{0x30, 0x01, 0x01}, Bytes{0x30, 0x01, 0x02}, Bytes{0x30, 0x01, 0x03}};
    c.certificate.issuer_dn = "CN=Signet Test CA";
    c.certificate.subject_dn = "CN=Zhang San";
    c.certificate.serial_hex = c.id;
    c.certificate.valid_from = at("2026-01-02T03:04:05Z");
    c.certificate.valid_to = at("2027-01-02T03:04:05Z");
    c.auth.sms = true;
    c.auth.totp = !ec;
    c.multisign = 100;
    return c;
}

// Records every call; answers from a fixed set of two credentials. `fail`, when set, is thrown
// by the next service call (after the call is recorded).
struct FakeRemoteSigning : csc::RemoteSigning {
    std::mutex mutex;
    std::vector<std::string> calls;
    std::optional<csc::Caller> caller;
    bool with_refresh = false;
    std::string token_seen;
    std::optional<csc::AuthorizeRequest> authorized;
    std::optional<csc::ExtendRequest> extended;
    std::optional<csc::SignHashRequest> signed_request;
    std::optional<std::string> challenge_object;
    std::optional<Bytes> timestamp_nonce;
    std::optional<Digest> timestamp_digest;
    std::function<void()> fail;

    void record(const std::string& call, const csc::Caller* who = nullptr) {
        std::lock_guard lock(mutex);
        calls.push_back(call);
        if (who != nullptr)
            caller = *who;
        if (fail) {
            auto thrower = std::move(fail);
            fail = nullptr;
            thrower();
        }
    }
    std::string last_call() {
        std::lock_guard lock(mutex);
        return calls.empty() ? "" : calls.back();
    }

    csc::IssuedToken issue_token(const csc::Caller& who, bool refresh) override {
        record("issue_token", &who);
        with_refresh = refresh;
        csc::IssuedToken token{std::string(kAccessToken), std::nullopt, 3600};
        if (refresh)
            token.refresh_token = "refresh-token";
        return token;
    }
    csc::IssuedToken refresh(std::string_view token, const std::string&) override {
        record("refresh");
        token_seen = token;
        if (token == "former-refresh-token")
            return {std::string(kFormerToken), std::nullopt, 3600};
        if (token != "refresh-token")
            throw CscError(CscFailure::invalid_grant, "Invalid refresh_token");
        return {std::string(kAccessToken), std::nullopt, 3600};
    }
    std::string authenticate(std::string_view token) override {
        if (token == kAccessToken)
            return "platform";
        if (token == kExpiredToken)
            throw CscError(CscFailure::expired_token, "The access token expired");
        if (token == kFormerToken)
            return "former-platform";
        throw CscError(CscFailure::invalid_token, "The access token is not valid");
    }
    void revoke(const csc::Caller& who, std::string_view token) override {
        record("revoke", &who);
        token_seen = token;
    }
    std::vector<csc::Credential> list(const csc::Caller& who, bool only_valid) override {
        record(only_valid ? "list only_valid" : "list", &who);
        return {credential("EC01", true), credential("RSA01", false)};
    }
    csc::Credential info(const csc::Caller& who, std::string_view id) override {
        record("info", &who);
        if (id == "EC01")
            return credential("EC01", true);
        if (id == "RSA01")
            return credential("RSA01", false);
        throw CscError(CscFailure::invalid_request, "Invalid parameter credentialID");
    }
    void send_challenge(const csc::Caller& who, std::string_view, std::string_view object) override {
        record("send_challenge", &who);
        challenge_object = std::string(object);
    }
    csc::Activation authorize(const csc::Caller& who, const csc::AuthorizeRequest& r) override {
        record("authorize", &who);
        authorized = r;
        return {"the-sad", 300};
    }
    csc::Activation extend(const csc::Caller& who, const csc::ExtendRequest& r) override {
        record("extend", &who);
        extended = r;
        return {"the-next-sad", 300};
    }
    std::vector<Bytes> sign_hash(const csc::Caller& who, const csc::SignHashRequest& r) override {
        record("sign_hash", &who);
        signed_request = r;
        std::vector<Bytes> out;
        for (std::size_t i = 0; i < r.hashes.size(); ++i)
            out.push_back(Bytes{static_cast<std::uint8_t>(0xA0 + i)});
        return out;
    }
    std::optional<csc::SignDocumentRequest> document_request;
    csc::SignedDocuments sign_documents(const csc::Caller& who,
                                        const csc::SignDocumentRequest& r) override {
        record("sign_documents", &who);
        document_request = r;
        csc::SignedDocuments out;
        out.signature_objects.assign(r.document_digests.size(), Bytes{0x30, 0x00});
        for (const auto& document : r.documents) {
            const bool enveloped = document.format == csc::DocumentFormat::pades ||
                                   document.envelope == csc::DocumentEnvelope::attached;
            (enveloped ? out.with_signature : out.signature_objects)
                .push_back(Bytes{0x25, static_cast<std::uint8_t>(document.bytes.size())});
        }
        return out;
    }
    Bytes timestamp(const csc::Caller& who, Digest digest, ByteView, std::optional<Bytes> nonce) override {
        record("timestamp", &who);
        timestamp_digest = digest;
        timestamp_nonce = std::move(nonce);
        return Bytes{0x30, 0x03, 0x02, 0x01, 0x00};
    }
};

std::shared_ptr<const ClientDirectory> csc_clients() {
    const TestPki& pki = TestPki::instance();
    std::vector<StaticClientDirectory::Entry> entries;
    entries.push_back({{"platform", {"csc"}}, pki.signer.fingerprint, sha256_of(kPlatformToken)});
    entries.push_back({{"other", {"contracts"}}, pki.reader.fingerprint, sha256_of(kOtherToken)});
    return std::make_shared<StaticClientDirectory>(std::move(entries));
}

policy::CscSettings settings() {
    policy::CscSettings s;
    s.name = "Signet Test";
    s.logo = "https://signet.example/logo.png";
    s.description = "remote signing";
    return s;
}

std::string basic(std::string_view name, std::string_view secret) {
    const std::string pair = std::string(name) + ":" + std::string(secret);
    return "Basic " + to_base64(as_bytes(pair));
}

struct CscFixture {
    CscFixture()
        : service(std::make_shared<FakeRemoteSigning>()),
          clients(csc_clients()),
          server(test_options(), make_router(), ServerContext{clients, nullptr, quiet_log(), nullptr, {}}) {}

    Router make_router() {
        Router router;
        add_csc_routes(router, CscServices{*service, *clients, settings(), quiet_log().get(),
                                           {"platform"}});
        return router;
    }

    HttpResponse send(http::verb method, const std::string& path, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      const ClientIdentity* identity = nullptr) {
        TlsClientOptions options;
        options.identity = identity;
        TlsClient client(server.https_port(), options);
        BOOST_REQUIRE(!client.handshake());
        auto request = make_request(method, "/csc/v2/" + path, std::move(body));
        for (const auto& [name, value] : headers)
            request.set(name, value);
        return client.request(request);
    }
    // A JSON method with the platform's access token.
    HttpResponse call(const std::string& method, const json& body,
                      std::string_view token = kAccessToken) {
        return send(http::verb::post, method, body.dump(),
                    {{"Content-Type", "application/json"},
                     {"Authorization", "Bearer " + std::string(token)}});
    }
    HttpResponse form(const std::string& method, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
        headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        return send(http::verb::post, method, std::move(body), std::move(headers));
    }

    std::shared_ptr<FakeRemoteSigning> service;
    std::shared_ptr<const ClientDirectory> clients;
    RunningServer server;
};

json body_of(const HttpResponse& response) {
    try {
        return json::parse(response.body());
    } catch (const std::exception&) {
        BOOST_ERROR("not JSON: " << response.body());
        return json::object();
    }
}

// A CSC error answer (§10.2): the status, {"error", "error_description"}.
void expect_error(const HttpResponse& response, unsigned status, std::string_view error,
                  std::string_view description) {
    BOOST_TEST_CONTEXT("response " << response.result_int() << " " << response.body()) {
        BOOST_CHECK_EQUAL(response.result_int(), status);
        BOOST_CHECK_EQUAL(std::string(response[http::field::content_type]), "application/json");
        const json body = body_of(response);
        BOOST_CHECK_EQUAL(body.value("error", ""), error);
        BOOST_CHECK_MESSAGE(body.value("error_description", "").find(description) != std::string::npos,
                            "error_description lacks: " << description);
    }
}

json sign_body(std::string credential, std::string sign_algo, std::vector<std::string> hashes) {
    return {{"credentialID", std::move(credential)}, {"SAD", "the-sad"}, {"hashes", hashes},
            {"signAlgo", std::move(sign_algo)}};
}

// RSASSA-PSS-params (RFC 8017 A.2.3) for SHA-256: hash SHA-256 (NULL parameters), MGF1 with
// SHA-256, saltLength `salt`, trailerField absent (1).
std::string pss_params(std::uint8_t salt, std::uint8_t mgf_hash_last_arc = 0x01) {
    const Bytes der = {0x30, 0x34,
                       0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
                       0x04, 0x02, 0x01, 0x05, 0x00,
                       0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                       0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                       0x03, 0x04, 0x02, mgf_hash_last_arc, 0x05, 0x00,
                       0xa2, 0x03, 0x02, 0x01, salt};
    return to_base64(der);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(csc_routes)

BOOST_AUTO_TEST_CASE(info_without_authentication) {
    CscFixture f;
    for (const http::verb method : {http::verb::post, http::verb::get}) {
        const HttpResponse r = f.send(method, "info", method == http::verb::post ? "{}" : "",
                                      {{"Content-Type", "application/json"}});
        BOOST_REQUIRE_EQUAL(r.result_int(), 200u);
        const json info = body_of(r);
        BOOST_CHECK_EQUAL(info["name"], "Signet Test");
        BOOST_CHECK_EQUAL(info["logo"], "https://signet.example/logo.png");
        BOOST_CHECK_EQUAL(info["region"], "CN");
        BOOST_CHECK_EQUAL(info["lang"], "en-US");
        BOOST_CHECK_EQUAL(info["authType"], json({"basic", "TLS", "oauth2client"}));
        BOOST_CHECK_EQUAL(info["oauth2"], "https://127.0.0.1/csc/v2/");
        BOOST_CHECK(std::ranges::find(info["methods"], "signatures/signHash") != info["methods"].end());
        BOOST_CHECK(std::ranges::find(info["signAlgorithms"]["algos"], "1.2.840.113549.1.1.10") !=
                    info["signAlgorithms"]["algos"].end());
        // What signDoc makes (§11.1: envelope_properties per format, in the formats' order).
        BOOST_CHECK_EQUAL(info["signature_formats"],
                          json({{"formats", {"C", "P"}},
                                {"envelope_properties",
                                 json::array({json::array({"Detached", "Attached"}),
                                              json::array({"Revision"})})}}));
    }
    expect_error(f.send(http::verb::post, "info", R"({"colour": 1})",
                        {{"Content-Type", "application/json"}}),
                 400, "invalid_request", "colour");
    expect_error(f.send(http::verb::post, "info", R"({"lang": 5})",
                        {{"Content-Type", "application/json"}}),
                 400, "invalid_request", "Missing (or invalid type) string parameter lang");
    // HTTPS only: on plain HTTP the route does not exist.
    PlainClient plain(f.server.http_port());
    BOOST_CHECK_EQUAL(plain.get("/csc/v2/info").result_int(), 404u);
}

BOOST_AUTO_TEST_CASE(login_with_basic_certificate_or_refresh_token) {
    CscFixture f;
    const HttpResponse ok = f.send(http::verb::post, "auth/login", R"({"rememberMe": true})",
                                   {{"Content-Type", "application/json"},
                                    {"Authorization", basic("platform", kPlatformToken)}});
    BOOST_REQUIRE_EQUAL(ok.result_int(), 200u);
    BOOST_CHECK_EQUAL(std::string(ok[http::field::cache_control]), "no-store");
    BOOST_CHECK_EQUAL(body_of(ok)["access_token"], kAccessToken);
    BOOST_CHECK_EQUAL(body_of(ok)["refresh_token"], "refresh-token");
    BOOST_CHECK_EQUAL(body_of(ok)["expires_in"], 3600);
    BOOST_CHECK_EQUAL(f.service->caller->client, "platform");
    BOOST_CHECK_EQUAL(f.service->caller->address, "127.0.0.1");
    BOOST_CHECK(f.service->with_refresh);

    // The client certificate (mutual TLS), no body at all.
    const TestPki& pki = TestPki::instance();
    const HttpResponse tls = f.send(http::verb::post, "auth/login", "", {}, &pki.signer);
    BOOST_REQUIRE_EQUAL(tls.result_int(), 200u);
    BOOST_CHECK(!f.service->with_refresh);
    BOOST_CHECK(!body_of(tls).contains("refresh_token"));
    expect_error(f.send(http::verb::post, "auth/login", "", {}, &pki.reader), 403, "access_denied",
                 "lacks the scope 'csc'");

    // A refresh token instead of credentials.
    const HttpResponse refreshed = f.send(http::verb::post, "auth/login",
                                          R"({"refresh_token": "refresh-token"})",
                                          {{"Content-Type", "application/json"}});
    BOOST_CHECK_EQUAL(refreshed.result_int(), 200u);
    BOOST_CHECK_EQUAL(f.service->last_call(), "refresh");
    // A refresh token of a client that lost the scope: refused, and revoked.
    expect_error(f.send(http::verb::post, "auth/login", R"({"refresh_token": "former-refresh-token"})",
                        {{"Content-Type", "application/json"}}),
                 403, "access_denied", "no longer has the scope 'csc'");
    BOOST_CHECK_EQUAL(f.service->last_call(), "revoke");
    BOOST_CHECK_EQUAL(f.service->token_seen, "former-refresh-token");
    expect_error(f.send(http::verb::post, "auth/login", R"({"refresh_token": "stale"})",
                        {{"Content-Type", "application/json"}}),
                 400, "invalid_grant", "Invalid refresh_token");

    // Wrong secret, another client's secret, a client without the scope, none at all.
    const std::size_t before = f.service->calls.size();
    for (const std::string& wrong : {basic("platform", "guess"), basic("platform", kOtherToken)}) {
        const HttpResponse r = f.send(http::verb::post, "auth/login", "", {{"Authorization", wrong}});
        expect_error(r, 401, "invalid_client", "Invalid client_id or client_secret");
        BOOST_CHECK_EQUAL(std::string(r[http::field::www_authenticate]).rfind("Basic ", 0), 0u);
    }
    expect_error(f.send(http::verb::post, "auth/login", "",
                        {{"Authorization", basic("other", kOtherToken)}}),
                 403, "access_denied", "lacks the scope 'csc'");
    expect_error(f.send(http::verb::post, "auth/login", ""), 401, "invalid_client",
                 "Client authentication required");
    BOOST_CHECK_EQUAL(f.service->calls.size(), before);
    // §11.2's malformed forms.
    const HttpResponse malformed =
        f.send(http::verb::post, "auth/login", "", {{"Authorization", "Basic %%%"}});
    expect_error(malformed, 401, "invalid_request", "Malformed authentication parameter");
    BOOST_CHECK(!std::string(malformed[http::field::www_authenticate]).empty());
    expect_error(f.send(http::verb::post, "auth/login", "",
                        {{"Authorization", "Basic " + to_base64(as_bytes(std::string("nocolon")))}}),
                 401, "invalid_request", "Malformed username-password");
    expect_error(f.send(http::verb::post, "auth/login", R"({"rememberMe": "yes"})",
                        {{"Content-Type", "application/json"},
                         {"Authorization", basic("platform", kPlatformToken)}}),
                 400, "invalid_request", "Missing (or invalid type) boolean parameter rememberMe");
}

BOOST_AUTO_TEST_CASE(oauth2_client_credentials) {
    CscFixture f;
    // client_secret percent-encoded in the form (RFC 6749 Appendix B).
    const HttpResponse ok = f.form("oauth2/token",
                                   "grant_type=client_credentials&client_id=platform&"
                                   "client_secret=platform%2Btoken%2F%3D%26x&scope=service");
    BOOST_REQUIRE_EQUAL(ok.result_int(), 200u);
    BOOST_CHECK_EQUAL(std::string(ok[http::field::cache_control]), "no-store");
    BOOST_CHECK_EQUAL(std::string(ok[http::field::pragma]), "no-cache");
    BOOST_CHECK_EQUAL(body_of(ok)["token_type"], "Bearer");
    BOOST_CHECK_EQUAL(body_of(ok)["access_token"], kAccessToken);
    BOOST_CHECK(!body_of(ok).contains("refresh_token"));
    BOOST_CHECK_EQUAL(f.service->caller->client, "platform");
    // HTTP Basic, the name and secret form-encoded first (RFC 6749 §2.3.1).
    BOOST_CHECK_EQUAL(f.form("oauth2/token", "grant_type=client_credentials",
                             {{"Authorization", basic("platform", "platform%2Btoken%2F%3D%26x")}})
                          .result_int(),
                      200u);
    // client_id alone with the client's certificate.
    const TestPki& pki = TestPki::instance();
    BOOST_CHECK_EQUAL(f.send(http::verb::post, "oauth2/token",
                             "grant_type=client_credentials&client_id=platform",
                             {{"Content-Type", "application/x-www-form-urlencoded"}}, &pki.signer)
                          .result_int(),
                      200u);

    const std::size_t before = f.service->calls.size();
    expect_error(f.form("oauth2/token", "client_id=platform&client_secret=x"), 400,
                 "invalid_request", "Missing parameter grant_type");
    expect_error(f.form("oauth2/token", "grant_type=authorization_code&code=abc&client_id=platform"),
                 400, "unsupported_grant_type", "client_credentials grant only");
    expect_error(f.form("oauth2/token", "grant_type=magic&client_id=platform"), 400,
                 "invalid_request", "Invalid parameter grant_type");
    expect_error(f.form("oauth2/token", "grant_type=client_credentials&client_secret=x"), 400,
                 "invalid_request", "Missing parameter client_id");
    expect_error(f.form("oauth2/token",
                        "grant_type=client_credentials&grant_type=client_credentials&client_id=p"),
                 400, "invalid_request", "Parameter 'grant_type' repeated");
    expect_error(f.form("oauth2/token", "grant_type=client_credentials&client_id=platform&"
                                        "client_secret=a%zz"),
                 400, "invalid_request", "Malformed form parameter");
    expect_error(f.form("oauth2/token", "grant_type=client_credentials&client_secret=x",
                        {{"Authorization", basic("platform", "platform%2Btoken%2F%3D%26x")}}),
                 400, "invalid_request", "body and in the Authorization header");
    const HttpResponse wrong =
        f.form("oauth2/token", "grant_type=client_credentials&client_id=platform&client_secret=no");
    expect_error(wrong, 401, "invalid_client", "Invalid client_id or client_secret");
    BOOST_CHECK_EQUAL(std::string(wrong[http::field::www_authenticate]).rfind("Basic ", 0), 0u);
    expect_error(f.form("oauth2/token", "grant_type=client_credentials&client_id=platform"), 401,
                 "invalid_client", "Client authorization required");
    expect_error(f.send(http::verb::post, "oauth2/token",
                        R"({"grant_type": "client_credentials"})",
                        {{"Content-Type", "application/json"}}),
                 400, "invalid_request", "application/x-www-form-urlencoded");
    BOOST_CHECK_EQUAL(f.service->calls.size(), before);

    // oauth2/revoke (RFC 7009) and auth/revoke.
    const HttpResponse revoked =
        f.form("oauth2/revoke", "token=abc&token_type_hint=access_token&client_id=platform&"
                                "client_secret=platform%2Btoken%2F%3D%26x");
    BOOST_CHECK_EQUAL(revoked.result_int(), 204u);
    BOOST_CHECK_EQUAL(f.service->token_seen, "abc");
    expect_error(f.form("oauth2/revoke", "token=abc&token_type_hint=id_token&client_id=platform&"
                                         "client_secret=platform%2Btoken%2F%3D%26x"),
                 400, "invalid_request", "Invalid parameter token_type_hint");
    BOOST_CHECK_EQUAL(f.call("auth/revoke", {{"token", "def"}, {"clientData", "x"}}).result_int(),
                      204u);
    BOOST_CHECK_EQUAL(f.service->token_seen, "def");
    expect_error(f.call("auth/revoke", json::object()), 400, "invalid_request",
                 "Missing (or invalid type) string parameter token");
}

BOOST_AUTO_TEST_CASE(bearer_token_refusals) {
    CscFixture f;
    const auto check_401 = [](const HttpResponse& r, std::string_view error) {
        expect_error(r, 401, error, "");
        BOOST_CHECK_EQUAL(std::string(r[http::field::www_authenticate]),
                          "Bearer realm=\"signet\", error=\"invalid_token\"");
    };
    check_401(f.send(http::verb::post, "credentials/list", "{}",
                     {{"Content-Type", "application/json"}}),
              "invalid_token");
    check_401(f.call("credentials/list", json::object(), "unknown"), "invalid_token");
    check_401(f.call("credentials/list", json::object(), kExpiredToken), "expired_token");
    // A token whose client no longer has the scope.
    expect_error(f.call("credentials/list", json::object(), kFormerToken), 403, "access_denied",
                 "no longer has the scope 'csc'");
    // An API client's own bearer token is not a CSC access token.
    check_401(f.call("credentials/list", json::object(), kPlatformToken), "invalid_token");
    expect_error(f.send(http::verb::post, "credentials/list", "{}",
                        {{"Content-Type", "application/json"},
                         {"Authorization", basic("platform", kPlatformToken)}}),
                 400, "invalid_request", "Malformed authorization header");
    BOOST_CHECK(f.service->calls.empty());
}

BOOST_AUTO_TEST_CASE(credentials_list_and_info) {
    CscFixture f;
    const HttpResponse plain = f.call("credentials/list", json::object());
    BOOST_REQUIRE_EQUAL(plain.result_int(), 200u);
    BOOST_CHECK_EQUAL(body_of(plain), json({{"credentialIDs", {"EC01", "RSA01"}}}));

    const json full = body_of(f.call("credentials/list", {{"credentialInfo", true},
                                                          {"certificates", "chain"},
                                                          {"certInfo", true},
                                                          {"onlyValid", true},
                                                          {"userID", "8"},
                                                          {"lang", "zh-CN"}}));
    BOOST_CHECK_EQUAL(f.service->last_call(), "list only_valid");
    BOOST_CHECK_EQUAL(full["credentialIDs"], json({"RSA01"}));
    BOOST_CHECK_EQUAL(full["onlyValid"], true);
    const json& rsa = full["credentialInfos"].at(0);
    BOOST_CHECK_EQUAL(rsa["credentialID"], "RSA01");
    BOOST_CHECK_EQUAL(rsa["cert"]["certificates"].size(), 3u);
    BOOST_CHECK_EQUAL(rsa["cert"]["validFrom"], "20260102030405Z");
    BOOST_CHECK_EQUAL(rsa["cert"]["validTo"], "20270102030405Z");
    BOOST_CHECK_EQUAL(rsa["auth"]["expression"], "OTP OR TOTP");

    const json ec = body_of(f.call("credentials/info", {{"credentialID", "EC01"}}));
    BOOST_CHECK_EQUAL(ec["key"]["status"], "enabled");
    BOOST_CHECK_EQUAL(ec["key"]["len"], 256);
    BOOST_CHECK_EQUAL(ec["key"]["curve"], "1.2.840.10045.3.1.7");
    BOOST_CHECK_EQUAL(ec["key"]["algo"], json(sign_algorithms_of(KeyType::ec_p256)));
    BOOST_CHECK_EQUAL(ec["cert"]["certificates"].size(), 1u);  // "single" by default
    BOOST_CHECK(!ec["cert"].contains("issuerDN"));
    BOOST_CHECK_EQUAL(ec["auth"]["mode"], "explicit");
    BOOST_CHECK_EQUAL(ec["auth"]["objects"],
                      json::parse(R"([{"type":"ChallengeResponse","id":"OTP","format":"N",
                                       "label":"SMS code","description":"The code sent by SMS to the signer's mobile after credentials/getChallenge"}])"));
    BOOST_CHECK_EQUAL(ec["SCAL"], "2");
    BOOST_CHECK_EQUAL(ec["multisign"], 100);
    const json none = body_of(f.call("credentials/info", {{"credentialID", "EC01"},
                                                          {"certificates", "none"},
                                                          {"certInfo", true}}));
    BOOST_CHECK(!none["cert"].contains("certificates"));
    BOOST_CHECK_EQUAL(none["cert"]["subjectDN"], "CN=Zhang San");

    expect_error(f.call("credentials/info", json::object()), 400, "invalid_request",
                 "Missing (or invalid type) string parameter credentialID");
    expect_error(f.call("credentials/info", {{"credentialID", 5}}), 400, "invalid_request",
                 "Missing (or invalid type) string parameter credentialID");
    expect_error(f.call("credentials/info", {{"credentialID", "NOPE"}}), 400, "invalid_request",
                 "Invalid parameter credentialID");
    expect_error(f.call("credentials/info", {{"credentialID", "EC01"}, {"certificates", "all"}}),
                 400, "invalid_request", "Invalid parameter certificates");
    expect_error(f.call("credentials/info", {{"credentialID", "EC01"}, {"colour", "blue"}}), 400,
                 "invalid_request", "colour");
    expect_error(f.call("credentials/list", {{"userID", "abc"}}), 400, "invalid_request",
                 "Invalid parameter userID");
    expect_error(f.call("credentials/list", {{"credentialInfo", 1}}), 400, "invalid_request",
                 "Missing (or invalid type) boolean parameter credentialInfo");
}

BOOST_AUTO_TEST_CASE(get_challenge_and_authorize) {
    CscFixture f;
    const HttpResponse challenge =
        f.call("credentials/getChallenge", {{"credentialID", "EC01"}, {"authObjectID", "OTP"}});
    BOOST_CHECK_EQUAL(challenge.result_int(), 204u);
    BOOST_CHECK_EQUAL(f.service->challenge_object.value_or(""), "OTP");
    expect_error(f.call("credentials/getChallenge", {{"credentialID", "EC01"}}), 400,
                 "invalid_request", "Missing (or invalid type) string parameter authObjectID");

    const json good{{"credentialID", "EC01"},
                    {"numSignatures", 2},
                    {"hashes", {kSha256Hash, kSha256Hash}},
                    {"hashAlgorithmOID", "2.16.840.1.101.3.4.2.1"},
                    {"authData", {{{"id", "OTP"}, {"value", "123456"}}}},
                    {"description", "two contracts"},
                    {"clientData", "x"}};
    const HttpResponse ok = f.call("credentials/authorize", good);
    BOOST_REQUIRE_EQUAL(ok.result_int(), 200u);
    BOOST_CHECK_EQUAL(body_of(ok), json({{"SAD", "the-sad"}, {"expiresIn", 300}}));
    BOOST_CHECK_EQUAL(std::string(ok[http::field::cache_control]), "no-store");
    const csc::AuthorizeRequest& seen = *f.service->authorized;
    BOOST_CHECK_EQUAL(seen.credential_id, "EC01");
    BOOST_CHECK_EQUAL(seen.num_signatures, 2);
    BOOST_CHECK(seen.hash_algorithm == Digest::sha256);
    BOOST_REQUIRE_EQUAL(seen.hashes.size(), 2u);
    BOOST_CHECK(seen.hashes[0] == Bytes(32, 0xAB));
    BOOST_CHECK_EQUAL(seen.auth_object, "OTP");
    BOOST_CHECK_EQUAL(seen.code, "123456");
    BOOST_CHECK_EQUAL(seen.description, "two contracts");

    const std::size_t before = f.service->calls.size();
    const auto refuse = [&](const std::string& member, const json& value, std::string_view error,
                            std::string_view description) {
        json body = good;
        if (value.is_null())
            body.erase(member);
        else
            body[member] = value;
        BOOST_TEST_CONTEXT(member << " = " << value.dump()) {
            expect_error(f.call("credentials/authorize", body), 400, error, description);
        }
    };
    refuse("numSignatures", "2", "invalid_request",
           "Missing (or invalid type) integer parameter numSignatures");
    refuse("numSignatures", 2.5, "invalid_request",
           "Missing (or invalid type) integer parameter numSignatures");
    refuse("numSignatures", 0, "invalid_request", "Invalid value for parameter numSignatures");
    refuse("numSignatures", 101, "invalid_request", "Numbers of signatures is too high");
    refuse("numSignatures", 1, "invalid_request", "Invalid parameter hashes");  // 2 hashes
    refuse("hashes", nullptr, "invalid_request", "Missing (or invalid type) array parameter hashes");
    refuse("hashes", json::array(), "invalid_request", "Empty hash array");
    refuse("hashes", {"not base64!"}, "invalid_request", "Invalid Base64 hash string parameter");
    refuse("hashes", {kSha384Hash}, "invalid_request", "Invalid digest value length");
    refuse("hashAlgorithmOID", "1.3.14.3.2.26", "invalid_request",
           "Invalid parameter hashAlgorithmOID");  // SHA-1
    refuse("hashAlgorithmOID", nullptr, "invalid_request",
           "Missing (or invalid type) string parameter hashAlgorithmOID");
    refuse("authData", nullptr, "invalid_request",
           "Missing (or invalid type) array parameter authData");
    refuse("authData", {{{"id", "PIN"}, {"value", "1234"}}}, "invalid_authentication_data",
           "The authentication data is invalid");
    refuse("authData", {{{"id", "OTP"}}}, "invalid_authentication_data",
           "The authentication data is invalid");
    refuse("description", std::string(501, 'd'), "invalid_request", "Invalid parameter description");
    refuse("SAD", "x", "invalid_request", "SAD");
    BOOST_CHECK_EQUAL(f.service->calls.size(), before);

    // The body holds the code: a syntax error does not quote it back.
    const HttpResponse broken =
        f.send(http::verb::post, "credentials/authorize",
               R"({"authData": [{"id": "OTP", "value": "987654"}], "numSignatures": 1,)",
               {{"Content-Type", "application/json"},
                {"Authorization", "Bearer " + std::string(kAccessToken)}});
    expect_error(broken, 400, "invalid_request", "not JSON");
    BOOST_CHECK(broken.body().find("987654") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(sign_hash_maps_the_algorithms) {
    CscFixture f;
    struct Case {
        std::string credential;
        json body_extra;
        std::string hash;
        Digest digest;
        hsm::Padding padding;
    };
    const std::vector<Case> cases = {
        {"EC01", {{"signAlgo", "1.2.840.10045.4.3.2"}}, kSha256Hash, Digest::sha256, hsm::Padding::ecdsa},
        {"EC01", {{"signAlgo", "1.2.840.10045.4.3.3"}}, kSha384Hash, Digest::sha384, hsm::Padding::ecdsa},
        {"EC01", {{"signAlgo", "1.2.840.10045.2.1"}, {"hashAlgorithmOID", "2.16.840.1.101.3.4.2.3"}},
         kSha512Hash, Digest::sha512, hsm::Padding::ecdsa},
        {"RSA01", {{"signAlgo", "1.2.840.113549.1.1.1"}, {"hashAlgorithmOID", "2.16.840.1.101.3.4.2.1"}},
         kSha256Hash, Digest::sha256, hsm::Padding::pkcs1},
        {"RSA01", {{"signAlgo", "1.2.840.113549.1.1.12"}}, kSha384Hash, Digest::sha384, hsm::Padding::pkcs1},
        {"RSA01", {{"signAlgo", "1.2.840.113549.1.1.13"}, {"hashAlgorithmOID", "2.16.840.1.101.3.4.2.3"}},
         kSha512Hash, Digest::sha512, hsm::Padding::pkcs1},
        {"RSA01", {{"signAlgo", "1.2.840.113549.1.1.10"}, {"signAlgoParams", pss_params(0x20)}},
         kSha256Hash, Digest::sha256, hsm::Padding::pss},
    };
    for (const Case& c : cases) {
        json body = sign_body(c.credential, "", {c.hash, c.hash});
        body.update(c.body_extra);
        BOOST_TEST_CONTEXT(body.dump()) {
            const HttpResponse r = f.call("signatures/signHash", body);
            BOOST_REQUIRE_EQUAL(r.result_int(), 200u);
            BOOST_CHECK_EQUAL(body_of(r)["signatures"],
                              json({to_base64(Bytes{0xA0}), to_base64(Bytes{0xA1})}));
            const csc::SignHashRequest& seen = *f.service->signed_request;
            BOOST_CHECK_EQUAL(seen.credential_id, c.credential);
            BOOST_CHECK_EQUAL(seen.sad, "the-sad");
            BOOST_CHECK(seen.hash_algorithm == c.digest);
            BOOST_CHECK(seen.padding == c.padding);
            BOOST_CHECK_EQUAL(seen.hashes.size(), 2u);
        }
    }

    const std::size_t before = f.service->calls.size();
    const auto refuse = [&](std::string credential, json extra, std::string hash,
                            std::string_view description) {
        json body = sign_body(std::move(credential), "", {std::move(hash)});
        body.update(extra);
        BOOST_TEST_CONTEXT(body.dump()) {
            expect_error(f.call("signatures/signHash", body), 400, "invalid_request", description);
        }
    };
    refuse("EC01", {{"signAlgo", "1.2.840.10045.2.1"}}, kSha256Hash,
           "Missing (or invalid type) string parameter hashAlgorithmOID");
    refuse("EC01", {{"signAlgo", "1.2.840.10045.4.3.2"}, {"hashAlgorithmOID", "2.16.840.1.101.3.4.2.3"}},
           kSha256Hash, "String parameter hashAlgorithmOID contradicts with signAlgo parameter");
    refuse("EC01", {{"signAlgo", "1.2.840.10045.4.3.2"}}, kSha384Hash, "Invalid digest value length");
    refuse("EC01", {{"signAlgo", "1.2.840.113549.1.1.11"}}, kSha256Hash, "Invalid parameter signAlgo");
    refuse("RSA01", {{"signAlgo", "1.2.840.10045.4.3.2"}}, kSha256Hash, "Invalid parameter signAlgo");
    refuse("RSA01", {{"signAlgo", "1.2.3.4"}}, kSha256Hash, "Invalid parameter signAlgo");
    refuse("RSA01", {{"signAlgo", 7}}, kSha256Hash, "Missing (or invalid type) string parameter signAlgo");
    refuse("RSA01", {{"signAlgo", "1.2.840.113549.1.1.10"}}, kSha256Hash,
           "Missing (or invalid type) string parameter signAlgoParams");
    refuse("RSA01", {{"signAlgo", "1.2.840.113549.1.1.10"}, {"signAlgoParams", pss_params(0x14)}},
           kSha256Hash, "Invalid parameter signAlgoParams");  // salt 20, not 32
    refuse("RSA01", {{"signAlgo", "1.2.840.113549.1.1.10"}, {"signAlgoParams", pss_params(0x20, 0x03)}},
           kSha256Hash, "Invalid parameter signAlgoParams");  // MGF1 with SHA-512
    refuse("RSA01", {{"signAlgo", "1.2.840.113549.1.1.10"}, {"signAlgoParams", "MAA="}}, kSha256Hash,
           "Invalid parameter signAlgoParams");
    refuse("RSA01", {{"signAlgo", "1.2.840.113549.1.1.10"}, {"signAlgoParams", pss_params(0x20)},
                     {"hashAlgorithmOID", "2.16.840.1.101.3.4.2.2"}},
           kSha256Hash, "String parameter hashAlgorithmOID contradicts with signAlgo parameter");
    refuse("RSA01", {{"signAlgo", "1.2.840.113549.1.1.11"}, {"signAlgoParams", pss_params(0x20)}},
           kSha256Hash, "Invalid parameter signAlgoParams");
    refuse("EC01", {{"signAlgo", "1.2.840.10045.4.3.2"}, {"operationMode", "A"}}, kSha256Hash,
           "Invalid parameter operationMode");
    refuse("EC01", {{"signAlgo", "1.2.840.10045.4.3.2"}, {"validity_period", 1000}}, kSha256Hash,
           "Invalid parameter validity_period");
    refuse("EC01", {{"signAlgo", "1.2.840.10045.4.3.2"}, {"SAD", nullptr}}, kSha256Hash,
           "Missing (or invalid type) string parameter SAD");
    // Only the key check reached the service (credentials/info); nothing was signed.
    for (std::size_t i = before; i < f.service->calls.size(); ++i)
        BOOST_CHECK_EQUAL(f.service->calls[i], "info");

    const HttpResponse sync = f.call("signatures/signHash",
                                     [&] {
                                         json b = sign_body("EC01", "1.2.840.10045.4.3.2", {kSha256Hash});
                                         b["operationMode"] = "S";
                                         return b;
                                     }());
    BOOST_CHECK_EQUAL(sync.result_int(), 200u);
}

BOOST_AUTO_TEST_CASE(extend_and_timestamp) {
    CscFixture f;
    const HttpResponse extended = f.call("credentials/extendTransaction",
                                         {{"credentialID", "EC01"},
                                          {"SAD", "the-sad"},
                                          {"hashes", {kSha384Hash}},
                                          {"hashAlgorithmOID", "2.16.840.1.101.3.4.2.2"}});
    BOOST_REQUIRE_EQUAL(extended.result_int(), 200u);
    BOOST_CHECK_EQUAL(body_of(extended)["SAD"], "the-next-sad");
    BOOST_CHECK(f.service->extended->hash_algorithm == Digest::sha384);
    BOOST_CHECK(f.service->extended->hashes.at(0) == Bytes(48, 0xCD));
    BOOST_CHECK_EQUAL(f.call("credentials/extendTransaction",
                             {{"credentialID", "EC01"}, {"SAD", "the-sad"}})
                          .result_int(),
                      200u);
    BOOST_CHECK(f.service->extended->hashes.empty());
    expect_error(f.call("credentials/extendTransaction",
                        {{"credentialID", "EC01"}, {"SAD", "the-sad"}, {"hashes", {kSha256Hash}}}),
                 400, "invalid_request", "Missing (or invalid type) string parameter hashAlgorithmOID");

    const HttpResponse stamped = f.call(
        "signatures/timestamp",
        {{"hash", kSha256Hash}, {"hashAlgo", "2.16.840.1.101.3.4.2.1"}, {"nonce", "abc"}});
    BOOST_REQUIRE_EQUAL(stamped.result_int(), 200u);
    BOOST_CHECK_EQUAL(body_of(stamped)["timestamp"], to_base64(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}));
    BOOST_CHECK(f.service->timestamp_digest == Digest::sha256);
    BOOST_CHECK(f.service->timestamp_nonce == (Bytes{0x0a, 0xbc}));
    expect_error(f.call("signatures/timestamp", {{"hash", ""}, {"hashAlgo", "2.16.840.1.101.3.4.2.1"}}),
                 400, "invalid_request", "Empty hash parameter");
    expect_error(f.call("signatures/timestamp", {{"hash", kSha256Hash}, {"hashAlgo", "1.2.3"}}), 400,
                 "invalid_request", "Invalid parameter hashAlgo");
    expect_error(f.call("signatures/timestamp",
                        {{"hash", kSha256Hash}, {"hashAlgo", "2.16.840.1.101.3.4.2.1"}, {"nonce", "xyz"}}),
                 400, "invalid_request", "Invalid parameter nonce");
    expect_error(f.call("signatures/timestamp", {{"hashAlgo", "2.16.840.1.101.3.4.2.1"}}), 400,
                 "invalid_request", "Missing (or invalid type) string parameter hash");
}

BOOST_AUTO_TEST_CASE(sign_doc_takes_cades_over_document_digests) {
    CscFixture f;
    const json entry{{"hashes", {kSha256Hash}},
                     {"hashAlgorithmOID", "2.16.840.1.101.3.4.2.1"},
                     {"signature_format", "C"},
                     {"conformance_level", "Ades-B-T"},
                     {"signed_envelope_property", "Detached"},
                     {"signAlgo", "1.2.840.10045.4.3.2"}};
    const json good{{"credentialID", "EC01"}, {"SAD", "the-sad"}, {"documentDigests", {entry}}};
    const HttpResponse ok = f.call("signatures/signDoc", good);
    BOOST_REQUIRE_EQUAL(ok.result_int(), 200u);
    BOOST_CHECK_EQUAL(body_of(ok), json({{"SignatureObject", {to_base64(Bytes{0x30, 0x00})}}}));
    const csc::SignDocumentRequest& seen = *f.service->document_request;
    BOOST_CHECK_EQUAL(seen.credential_id, "EC01");
    BOOST_CHECK(seen.hash_algorithm == Digest::sha256);
    BOOST_CHECK(seen.padding == hsm::Padding::ecdsa);
    BOOST_REQUIRE_EQUAL(seen.document_digests.size(), 1u);
    // §11.11's own sample sends "hashes" as one string.
    json single = good;
    single["documentDigests"][0]["hashes"] = kSha256Hash;
    BOOST_CHECK_EQUAL(f.call("signatures/signDoc", single).result_int(), 200u);

    const std::size_t before = f.service->calls.size();
    const auto refuse = [&](json body, std::string_view description) {
        BOOST_TEST_CONTEXT(body.dump()) {
            expect_error(f.call("signatures/signDoc", body), 400, "invalid_request", description);
        }
    };
    const auto with_entry = [&](const std::string& member, const json& value) {
        json body = good;
        if (value.is_null())
            body["documentDigests"][0].erase(member);
        else
            body["documentDigests"][0][member] = value;
        return body;
    };
    refuse(with_entry("signature_format", "P"), "Invalid parameter signature_format");
    refuse(with_entry("signature_format", nullptr),
           "Missing (or invalid type) string parameter signature_format");
    refuse(with_entry("conformance_level", "Ades-B-LTA"), "Invalid parameter conformance_level");
    refuse(with_entry("signed_envelope_property", "Attached"),
           "Invalid parameter signed_envelope_property");
    refuse(with_entry("signed_props", {{{"attribute_name", "signer-location"}}}),
           "Invalid parameter signed_props");
    refuse(with_entry("hashes", {"%%%"}), "Invalid Base64 hash string parameter");
    refuse(json{{"credentialID", "EC01"}, {"SAD", "the-sad"}}, "Empty documentDigests and documents objects");
    refuse(json{{"credentialID", "EC01"}, {"SAD", "the-sad"}, {"documentDigests", {entry}},
                {"documents", {{{"document", "JVBERg=="}}}}},
           "Both documentDigests and documents parameters passed");
    refuse(json{{"credentialID", "EC01"}, {"SAD", "the-sad"}, {"documents", "x"}},
           "Invalid array parameter documents");
    refuse(json{{"credentialID", "EC01"}, {"SAD", "the-sad"}, {"documentDigests", "x"}},
           "Invalid object parameter documentDigests");
    json mixed = good;
    json other = entry;
    other["signAlgo"] = "1.2.840.10045.4.3.3";
    other["hashes"] = {kSha384Hash};
    other.erase("hashAlgorithmOID");
    mixed["documentDigests"].push_back(other);
    refuse(mixed, "every entry takes the same signAlgo");
    refuse(json{{"signatureQualifier", "eu_eidas_qes"}, {"SAD", "the-sad"}, {"documentDigests", {entry}}},
           "Invalid parameter signatureQualifier");
    BOOST_CHECK_EQUAL(f.service->calls.size(), before);
}

BOOST_AUTO_TEST_CASE(service_failures_map_to_their_status) {
    CscFixture f;
    const json authorize{{"credentialID", "EC01"},
                         {"numSignatures", 1},
                         {"hashes", {kSha256Hash}},
                         {"hashAlgorithmOID", "2.16.840.1.101.3.4.2.1"},
                         {"authData", {{{"id", "OTP"}, {"value", "000000"}}}}};
    f.service->fail = [] { throw CscError(CscFailure::invalid_otp, "The OTP is invalid"); };
    expect_error(f.call("credentials/authorize", authorize), 400, "invalid_otp", "The OTP is invalid");
    f.service->fail = [] { throw CscError(CscFailure::access_denied, "not this platform's"); };
    expect_error(f.call("credentials/authorize", authorize), 403, "access_denied",
                 "not this platform's");
    f.service->fail = [] { throw Error(Errc::unavailable, "the HSM cannot serve now"); };
    const HttpResponse unavailable = f.call("credentials/authorize", authorize);
    expect_error(unavailable, 503, "temporarily_unavailable", "the HSM cannot serve now");
    BOOST_CHECK_EQUAL(std::string(unavailable[http::field::retry_after]), "5");
    f.service->fail = [] { throw Error(Errc::hsm, "C_Sign failed: internal-detail-42"); };
    const HttpResponse internal = f.call("credentials/authorize", authorize);
    expect_error(internal, 500, "server_error", "unexpected condition");
    BOOST_CHECK(internal.body().find("internal-detail-42") == std::string::npos);
    f.service->fail = [] { throw std::runtime_error("bug-detail-43"); };
    const HttpResponse bug = f.call("credentials/authorize", authorize);
    expect_error(bug, 500, "server_error", "unexpected condition");
    BOOST_CHECK(bug.body().find("bug-detail-43") == std::string::npos);
    BOOST_CHECK_EQUAL(f.call("credentials/authorize", authorize).result_int(), 200u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(sign_doc_takes_documents_as_pades_and_cades) {
    CscFixture f;
    const std::string pdf = to_base64(Bytes{'%', 'P', 'D', 'F', '-', '1', '.', '7'});
    const std::string bytes = to_base64(Bytes{1, 2, 3});
    const json pades{{"document", pdf}, {"signature_format", "P"},
                     {"conformance_level", "Ades-B-T"}, {"signAlgo", "1.2.840.10045.4.3.2"}};
    const json attached{{"document", bytes}, {"signature_format", "C"},
                        {"signAlgo", "1.2.840.10045.4.3.2"}};
    json detached = attached;
    detached["signed_envelope_property"] = "Detached";
    const json good{{"credentialID", "EC01"}, {"SAD", "the-sad"}, {"documents", {pades, attached}}};
    const HttpResponse ok = f.call("signatures/signDoc", good);
    BOOST_REQUIRE_EQUAL(ok.result_int(), 200u);
    // The PDF and the attached CMS come back with their signatures, in the order given.
    BOOST_CHECK_EQUAL(body_of(ok), json({{"DocumentWithSignature",
                                          {to_base64(Bytes{0x25, 8}), to_base64(Bytes{0x25, 3})}}}));
    const csc::SignDocumentRequest& seen = *f.service->document_request;
    BOOST_CHECK(seen.document_digests.empty());
    BOOST_REQUIRE_EQUAL(seen.documents.size(), 2u);
    BOOST_CHECK(seen.documents[0].format == csc::DocumentFormat::pades);
    BOOST_CHECK(seen.documents[0].envelope == csc::DocumentEnvelope::revision);
    BOOST_CHECK(seen.documents[0].bytes == (Bytes{'%', 'P', 'D', 'F', '-', '1', '.', '7'}));
    BOOST_CHECK(seen.documents[1].format == csc::DocumentFormat::cades);
    BOOST_CHECK(seen.documents[1].envelope == csc::DocumentEnvelope::attached);
    BOOST_CHECK(seen.hash_algorithm == Digest::sha256);
    BOOST_CHECK(seen.padding == hsm::Padding::ecdsa);
    // A detached document alone: its signature comes back alone.
    const HttpResponse alone = f.call(
        "signatures/signDoc", json{{"credentialID", "EC01"}, {"SAD", "the-sad"}, {"documents", {detached}}});
    BOOST_REQUIRE_EQUAL(alone.result_int(), 200u);
    BOOST_CHECK_EQUAL(body_of(alone), json({{"SignatureObject", {to_base64(Bytes{0x25, 3})}}}));
    BOOST_CHECK(f.service->document_request->documents[0].envelope ==
                csc::DocumentEnvelope::detached);

    const std::size_t before = f.service->calls.size();
    const auto refuse = [&](const json& entry, std::string_view description) {
        const json body{{"credentialID", "EC01"}, {"SAD", "the-sad"}, {"documents", {entry}}};
        BOOST_TEST_CONTEXT(body.dump()) {
            expect_error(f.call("signatures/signDoc", body), 400, "invalid_request", description);
        }
    };
    const auto with = [](json entry, const std::string& member, const json& value) {
        if (value.is_null())
            entry.erase(member);
        else
            entry[member] = value;
        return entry;
    };
    refuse(with(pades, "signed_envelope_property", "Certification"),
           "Invalid parameter signed_envelope_property");
    refuse(with(attached, "signed_envelope_property", "Parallel"),
           "Invalid parameter signed_envelope_property");
    refuse(with(pades, "signature_format", "X"), "Invalid parameter signature_format");
    refuse(with(pades, "signature_format", nullptr),
           "Missing (or invalid type) string parameter signature_format");
    refuse(with(pades, "document", "%%%"), "Invalid Base64 documents string parameter");
    refuse(with(pades, "document", nullptr), "Missing (or invalid type) string parameter document");
    refuse(with(pades, "document", ""), "Invalid parameter document");
    refuse(with(pades, "hashes", {kSha256Hash}), "unknown member");
    refuse(with(pades, "conformance_level", "Ades-B-LTA"), "Invalid parameter conformance_level");
    // No hashAlgorithmOID per document: a signAlgo that does not imply the hash is refused.
    refuse(with(pades, "signAlgo", "1.2.840.10045.2.1"), "Invalid parameter signAlgo");
    // Detached and enveloped answers come in two arrays: one call does one kind.
    expect_error(f.call("signatures/signDoc", json{{"credentialID", "EC01"},
                                                   {"SAD", "the-sad"},
                                                   {"documents", {pades, detached}}}),
                 400, "invalid_request", "Invalid parameter signed_envelope_property");
    json mixed = good;
    mixed["documents"][1]["signAlgo"] = "1.2.840.10045.4.3.3";
    expect_error(f.call("signatures/signDoc", mixed), 400, "invalid_request",
                 "Invalid object parameter documents: every entry takes the same signAlgo");
    BOOST_CHECK_EQUAL(f.service->calls.size(), before);
}
