// The operator console (web/, issue 15) in a real browser: signetd (SoftHSM, its embedded
// PostgreSQL, the key ceremony) serves /console over HTTPS; a platform front end
// (tests/integration/contract_flow.hpp) signs a contract through the API; Debian's chromium,
// driven by playwright-core (tests/web/console_page.mjs), logs an operator in with a bearer
// token, finds the contract, downloads its evidence package (which `signetctl evidence verify
// --root` must accept), revokes a certificate after the confirmation step, and a viewer without
// `certificates:revoke` is refused; the audit checkpoint's signature is checked in the page (and
// refused when altered in transit), and the CAs' CRL states are shown. Screenshots of every screen in both languages are kept under
// the build directory (tests/web/screenshots).
#include <libpq-fe.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/bytes.hpp"
#include "common/digest.hpp"
#include "store/embedded_postgres.hpp"
#include "tests/integration/contract_flow.hpp"
#include "tests/web/browser_driver.hpp"

using namespace signet;
using namespace signet::testing;
using nlohmann::json;

namespace {

const std::string kViewerToken = "console-viewer-bearer-0123456789abcdef";
const std::string kMarkupName = "<img src=x onerror=alert(1)>";

std::string sha256_hex(const std::string& text) {
    const auto digest = sha256_of(std::string_view(text));
    return to_hex({digest.data(), digest.size()});
}

// The flow's platform client, here the operator, may also revoke and read the audit log and
// /metrics; a second client, the viewer, may read but not revoke.
std::string console_yaml() {
    std::string yaml = contract_flow_yaml();
    const std::string scopes = "certificates:read, contracts]\n";
    const auto at = yaml.find(scopes);
    BOOST_REQUIRE(at != std::string::npos);
    yaml.replace(at, scopes.size(),
                 "certificates:read, contracts,\n             certificates:revoke, audit, "
                 "metrics]\n");
    const auto ca = yaml.find("ca:\n");
    BOOST_REQUIRE(ca != std::string::npos);
    yaml.insert(ca,
                "  - name: viewer\n"
                "    scopes: [contracts, certificates:read, subjects:read]\n"
                "    token_sha256: " +
                    sha256_hex(kViewerToken) + "\n");
    return "tsa:\n  allow_unsynchronized_clock: true\naudit:\n  checkpoint_interval: 2\n" + yaml;
}

// "TYPE ACTOR OBJECT" of the audit events of `types` (a LIKE pattern), in the order logged, read
// from the node's embedded PostgreSQL.
std::vector<std::string> audit_events(const SignetdProcess& node, const std::string& like) {
    const std::unique_ptr<PGconn, decltype(&PQfinish)> connection(
        PQconnectdb(store::EmbeddedPostgres::dsn_for(node.state_dir()).c_str()), &PQfinish);
    BOOST_REQUIRE(PQstatus(connection.get()) == CONNECTION_OK);
    const char* values[] = {like.c_str()};
    const std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexecParams(connection.get(),
                     "SELECT event_type || ' ' || actor || ' ' || object FROM audit_events "
                     "WHERE event_type LIKE $1 ORDER BY seq",
                     1, nullptr, values, nullptr, nullptr, 0),
        &PQclear);
    BOOST_REQUIRE_MESSAGE(PQresultStatus(result.get()) == PGRES_TUPLES_OK,
                          PQerrorMessage(connection.get()));
    std::vector<std::string> rows;
    for (int i = 0; i < PQntuples(result.get()); ++i)
        rows.emplace_back(PQgetvalue(result.get(), i, 0));
    return rows;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_operator_works_in_the_console_in_chromium) {
    const std::uint16_t https_port = free_port();
    SignetdProcess node(SignetdOptions{
        .extra_yaml = console_yaml(), .extra_listeners = contract_flow_https_listener(https_port)});
    prepare_contract_flow(node);
    const PlatformClient platform(node, https_port);
    const auto pdf = make_contract_pdf(node.dir());
    node.start();

    // A contract signed by two parties; a third party's certificate to revoke, a fourth's the
    // viewer may not revoke; a subject whose name is markup.
    const auto signatures = platform.sign_contract(pdf, 2);
    const std::string contract_id = signatures.front().contract_id;
    const Party revoked = platform.register_party("Console Revoked");
    const Party kept = platform.register_party("Console Kept");
    const ApiAnswer markup = platform.post(
        "/v1/subjects",
        {{"kind", "person"},
         {"name", kMarkupName},
         {"document", {{"kind", "passport"}, {"number", "DRC0450E"}, {"country", "CN"}}},
         {"mobile", "+8613800138000"}});
    BOOST_REQUIRE_MESSAGE(markup.ok(), markup.describe());
    ApiAnswer checkpoint = platform.get("/v1/audit/checkpoints/latest");
    for (int i = 0; i < 50 && checkpoint.status == 404; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        checkpoint = platform.get("/v1/audit/checkpoints/latest");
    }
    BOOST_REQUIRE_MESSAGE(checkpoint.ok(), checkpoint.describe());
    const std::string checkpoint_size =
        std::to_string(checkpoint.json()["size"].get<std::uint64_t>());

    const auto shots = built_file("tests/web/screenshots");
    std::filesystem::create_directories(shots);
    const std::string base = "https://127.0.0.1:" + std::to_string(https_port);
    json seen = run_browser_driver(
        "console_page.mjs", {base, platform_bearer_token(), kViewerToken, contract_id,
                             revoked.certificate_serial, kept.certificate_serial, kMarkupName,
                             checkpoint_size, shots.string(), node.dir().string()});

    // The page and its headers; the login: a wrong token refused, the cookie HttpOnly, Secure,
    // SameSite=Strict, Path=/, and the token gone from the form.
    BOOST_TEST(seen["page_status"] == 200);
    BOOST_TEST(contains(seen["page_headers"]["content-security-policy"], "script-src 'self'"));
    BOOST_TEST(seen["page_headers"]["x-frame-options"] == "DENY");
    BOOST_TEST(seen["initial_lang"] == "en");
    BOOST_TEST(seen["wrong_token_message"] == "These credentials are not recognised.");
    BOOST_TEST(contains(seen["operator_line"], "platform"));
    BOOST_TEST(seen["cookie"]["httpOnly"] == true);
    BOOST_TEST(seen["cookie"]["secure"] == true);
    BOOST_TEST(seen["cookie"]["sameSite"] == "Strict");
    BOOST_TEST(seen["cookie"]["path"] == "/");
    BOOST_TEST(seen["token_field_after_login"] == "");

    // The contract, found and opened: its parties by name, its revisions, its time-stamped events.
    BOOST_TEST(seen["contract_rows"] == 1);
    const json contract = platform.get("/v1/contracts/" + contract_id).json();
    BOOST_TEST(seen["contract"]["title"] == contract["title"]);
    BOOST_REQUIRE_EQUAL(seen["contract"]["parties"].size(), 2u);
    BOOST_TEST(contains(seen["contract"]["parties"][0], "Drill Party"));
    BOOST_TEST(seen["contract"]["revisions"] == contract["revisions"].size());
    BOOST_TEST(seen["contract"]["events"].size() == contract["events"].size());
    BOOST_TEST(contains(seen["contract"]["time_title"], " UTC"));

    // The evidence package the browser downloaded is one the offline verifier accepts.
    BOOST_TEST(seen["evidence_name"] == "contract-" + contract_id + "-evidence.zip");
    const auto verdict = run_command({built_file("ops/signetctl").string(), "evidence", "verify",
                                      seen["evidence_file"].get<std::string>(), "--root",
                                      (node.dir() / "ceremony" / "root-ca.pem").string()});
    BOOST_TEST(verdict.exit_code == 0, verdict.output);
    BOOST_TEST(read_file(seen["evidence_file"].get<std::string>()).starts_with("PK\x03\x04"));

    // CSRF: the session's cookie without its token, or from another origin, is refused with
    // problem+json naming why, and nothing is revoked by either.
    BOOST_TEST(seen["without_csrf"]["status"] == 403);
    BOOST_TEST(contains(seen["without_csrf"]["body"]["type"], "csrf-refused"));
    BOOST_TEST(contains(seen["without_csrf"]["body"]["detail"], "X-CSRF-Token"));
    BOOST_TEST(seen["cross_site"]["status"] == 403);
    BOOST_TEST(contains(seen["cross_site"]["body"]["detail"], "Origin"));

    // The revocation, after its confirmation step: the API reports the certificate revoked,
    // with the reason chosen.
    BOOST_TEST(contains(seen["confirmation_text"], revoked.certificate_serial));
    BOOST_TEST(seen["status_before_confirm"] == "Issued");
    BOOST_TEST(contains(seen["revoke_outcome"], "is revoked"));
    const json revoked_now = platform.get("/v1/certificates/" + revoked.certificate_serial).json();
    BOOST_TEST(revoked_now["status"] == "revoked");
    BOOST_TEST(revoked_now["revocation_reason"] == "keyCompromise");

    // The revocation is an audit event naming the operator's API client; so are the logins
    // (the wrong token's attempt is not one) and the logout.
    const auto revocations = audit_events(node, "certificate.revoked");
    BOOST_REQUIRE_EQUAL(revocations.size(), 1u);
    BOOST_TEST(revocations[0] ==
               "certificate.revoked client:platform certificate:" + revoked.certificate_serial);
    const auto sessions = audit_events(node, "console.%");
    const std::vector<std::string> expected{"console.login client:platform console_session",
                                            "console.logout client:platform console_session",
                                            "console.login client:viewer console_session",
                                            "console.login client:platform console_session"};
    BOOST_TEST(sessions == expected, boost::test_tools::per_element());

    // The viewer is refused, in Chinese, and the certificate stays as it was.
    BOOST_TEST(seen["zh_lang"] == "zh-CN");
    BOOST_TEST(seen["zh_tab"] == "合同");
    BOOST_TEST(contains(seen["viewer_refusal"], "certificates:revoke"));
    BOOST_TEST(contains(seen["viewer_refusal"], "403"));
    BOOST_TEST(seen["viewer_status_after"] == "已签发");
    BOOST_TEST(platform.get("/v1/certificates/" + kept.certificate_serial).json()["status"] ==
               "issued");
    BOOST_TEST(seen["zh_overflows"] == false);

    // Markup in a subject's name is text: shown as written, no element made of it.
    bool markup_shown = false;
    for (const auto& name : seen["subject_names"])
        markup_shown = markup_shown || name == kMarkupName;
    BOOST_TEST(markup_shown);
    BOOST_TEST(seen["img_elements"] == 0);
    BOOST_TEST(seen["dialogs"].empty());

    // The audit log's consistency checked in the browser; health drawn as charts.
    BOOST_TEST(contains(seen["audit_verdict"], "Consistent"), seen["audit_verdict"].dump());

    // The checkpoints' signatures checked in the browser (WebCrypto): the latest and the earlier
    // one verify, the signing certificate is the appliance's audit-checkpoint certificate, issued.
    BOOST_TEST(contains(seen["audit_signature"], "The signature verifies"),
               seen["audit_signature"].dump());
    BOOST_TEST(contains(seen["audit_earlier_signature"], "The signature verifies"),
               seen["audit_earlier_signature"].dump());
    BOOST_TEST(seen["audit_signer_status"] == "Issued");
    BOOST_TEST(seen["audit_differs"].is_null());
    BOOST_TEST(contains(seen["audit_text"], "signetctl audit verify --root"));
    // Altered in transit: a changed signature or signed text does not verify; a changed unsigned
    // field is named, and what is shown is what was signed.
    BOOST_TEST(contains(seen["altered_signature"]["signature"], "signature does not verify"),
               seen["altered_signature"].dump());
    BOOST_TEST(contains(seen["altered_body"]["signature"], "signature does not verify"),
               seen["altered_body"].dump());
    BOOST_TEST(contains(seen["altered_field"]["signature"], "The signature verifies"),
               seen["altered_field"].dump());
    BOOST_TEST(contains(seen["altered_field"]["differs"], "size"), seen["altered_field"].dump());
    BOOST_TEST(seen["altered_field"]["shown_size"] ==
                   std::to_string(seen["altered_field"]["served_size"].get<std::uint64_t>()),
               seen["altered_field"].dump());

    // The CAs from GET /v1/cas: the root and the issuing CA with the fingerprints the API gives,
    // both CRLs current (the revocation above published a new one), dates with UTC on hover; a
    // CRL past its nextUpdate is marked and announced, one missing a revocation is marked.
    const json cas = platform.get("/v1/cas").json();
    BOOST_TEST(seen["cas"]["names"] == json::parse(R"(["root-ca","issuing-ca"])"),
               seen["cas"].dump());
    BOOST_TEST(seen["cas"]["roles"] == json::parse(R"(["Root","Issuing"])"), seen["cas"].dump());
    BOOST_REQUIRE_EQUAL(seen["cas"]["fingerprints"].size(), 2u);
    BOOST_TEST(seen["cas"]["fingerprints"][1] == cas["cas"][1]["fingerprint_sha256"]);
    BOOST_TEST(seen["cas"]["crl_states"] == json::parse(R"(["Current","Current"])"),
               seen["cas"].dump());
    BOOST_TEST(contains(seen["cas"]["time_title"], " UTC"));
    BOOST_TEST(seen["cas"]["crl_links"] ==
               json::parse(R"(["/crl/root-ca.crl","/crl/issuing-ca.crl"])"));
    BOOST_TEST(contains(seen["cas_overdue"]["state"], "OVERDUE"), seen["cas_overdue"].dump());
    BOOST_TEST(seen["cas_overdue"]["marked"] == true);
    BOOST_TEST(contains(seen["cas_overdue"]["alert"], "issuing-ca"), seen["cas_overdue"].dump());
    BOOST_TEST(contains(seen["cas_overdue"]["behind"], "BEHIND"), seen["cas_overdue"].dump());
    BOOST_TEST(contains(seen["zh_audit_signature"], "签名验证通过"), seen["zh_audit_signature"].dump());
    BOOST_TEST(seen["zh_crl_states"] == json::parse(R"(["有效","有效"])"),
               seen["zh_crl_states"].dump());
    BOOST_TEST(seen["health_charts"].get<int>() > 0);
    BOOST_TEST(seen["after_logout_status"] == 401);
    BOOST_TEST(seen["switched_lang"] == "en");
    BOOST_TEST(seen["switched_tab"] == "Contracts");

    for (const char* screen :
         {"login", "contracts", "certificates", "subjects", "cas", "audit", "health"})
        for (const char* lang : {"en", "zh-CN"}) {
            const auto file = shots / ("console-" + std::string(screen) + "-" + lang + ".png");
            BOOST_TEST(std::filesystem::exists(file), file);
        }

    // Nothing went wrong in the pages, and the policy was never violated; the refusals the run
    // provoked (no session yet, the viewer's revocation) were the only failed requests.
    BOOST_TEST(seen["console_errors"].empty(), seen["console_errors"].dump());
    BOOST_TEST(seen["page_errors"].empty(), seen["page_errors"].dump());
    BOOST_TEST(seen["csp_violations"].empty(), seen["csp_violations"].dump());
    BOOST_TEST(!seen["expected_refusals"].empty());
}
