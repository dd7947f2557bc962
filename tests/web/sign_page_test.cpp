// The signer's page (web/, /sign/{token}) in a real browser: signetd (SoftHSM, its embedded
// PostgreSQL, the key ceremony) over HTTPS e-mails each due signer a link through a loopback
// SMTP server with STARTTLS (tests/notify/smtp_server.py) and sends the codes to a loopback SMS
// gateway (sms_gateway.py). Debian's chromium, driven by playwright-core (sign_page.mjs), opens
// each link from its e-mail and signs with the code from its text message: two persons, then an
// organization's seal applied by its agent. The final PDF passes pdfsig with only the
// ceremony's root trusted; it and its evidence package (and a changed copy of each) are then
// dropped on the node's own /verify page. An expired link, a reused link, a cancelled contract,
// a wrong code and a lockout each show their state; a title and a file name that are markup stay
// text; the node's logs never hold a token. The node and its helper servers: sign_page_node.hpp.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "evidence/zip.hpp"
#include "tests/sign/pdf_kit.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signetd.hpp"
#include "tests/web/browser_driver.hpp"
#include "tests/web/sign_page_node.hpp"

using namespace signet;
using namespace signet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kMarkupTitle = "<img src=x onerror=alert(1)> Lease 2026-118";
const std::string kMarkupFile = "<img src=x onerror=alert(2)>.pdf";

// The evidence package `zip` with one byte of its contract's PDF changed — the header's binary
// comment, as the PDF's own check above — and the archive written again around it, so that the
// package still reads and its verifier has to find the change.
std::string with_pdf_byte_changed(const std::string& zip) {
    std::vector<evidence::ZipEntry> entries = evidence::read_zip(as_bytes(zip));
    std::string out;
    evidence::ZipWriter writer(
        [&](ByteView piece) { out.append(reinterpret_cast<const char*>(piece.data()), piece.size()); },
        std::chrono::system_clock::now());
    bool changed = false;
    for (auto& entry : entries) {
        if (entry.path == "document/contract.pdf") {
            const std::string pdf(entry.content.begin(), entry.content.end());
            const std::size_t comment = pdf.find("\n%") + 2;
            BOOST_REQUIRE(comment > 2 && comment < 32);
            entry.content[comment] ^= 0x01;
            changed = true;
        }
        writer.add(entry.path, entry.content);
    }
    writer.finish();
    BOOST_REQUIRE(changed);
    return out;
}

json browse(const SignPageNode& web, const json& config) {
    const fs::path file = web.node.dir() / "driver.json";
    write_file(file, config.dump());
    return run_browser_driver("sign_page.mjs", {file.string()});
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_persons_and_a_seal_sign_through_the_signers_page) {
    SignPageNode web;
    const PlatformClient& client = *web.client;
    const Party alice = client.register_party("Alice Zhang", nullptr, "alice@example.test");
    const Party bob = client.register_party("Bob Li", nullptr, "bob@example.test");
    const Party agent = client.register_party("Carol Wang", nullptr, "carol@example.test");
    const Party dave = client.register_party("Dave Chen", nullptr, "dave@example.test");
    const Party erin = client.register_party("Erin Zhou", nullptr, "erin@example.test");
    const std::int64_t organization = sealing_organization(client, alice, agent);
    const fs::path pdf = make_contract_pdf(web.node.dir());

    // A contract whose link expires before it is opened.
    const std::string lapsed =
        client.submit(pdf, {{"title", "Lapsed lease"},
                            {"format", "pdf"},
                            {"signers", {{{"kind", "person"}, {"subject_id", dave.subject_id}}}}});
    const std::string expired_link = web.link_mailed_to("dave@example.test");
    web.expire_links_of(lapsed);
    // And one the platform cancels after the link was sent.
    const std::string withdrawn =
        client.submit(pdf, {{"title", "Withdrawn lease"},
                            {"format", "pdf"},
                            {"signers", {{{"kind", "person"}, {"subject_id", dave.subject_id}}}}});
    const std::string cancelled_link = web.link_mailed_to("dave@example.test", 2);
    BOOST_REQUIRE(client.post("/v1/contracts/" + withdrawn + "/cancel", json::object()).ok());

    // One whose signer types wrong codes until locked out.
    client.submit(pdf, {{"title", "Guessed lease"},
                        {"format", "pdf"},
                        {"signers", {{{"kind", "person"}, {"subject_id", erin.subject_id}}}}});

    // The contract the three parties sign, its title and file name markup.
    const std::string id = client.submit(
        pdf,
        {{"title", kMarkupTitle},
         {"format", "pdf"},
         {"metadata", {{"file_name", kMarkupFile}}},
         {"signers",
          {{{"kind", "person"}, {"subject_id", alice.subject_id}},
           {{"kind", "person"}, {"subject_id", bob.subject_id}},
           {{"kind", "seal"}, {"subject_id", organization}, {"agent_id", agent.subject_id}}}}});

    const auto shots = built_file("tests/web/screenshots");
    fs::create_directories(shots);
    json seen =
        browse(web, {{"mail_dir", web.mail_dir.string()},
                     {"sms_dir", web.sms_dir.string()},
                     {"read_mail", source_file("tests/notify/read_mail.py").string()},
                     {"shots", shots.string()},
                     {"expired_link", expired_link},
                     {"cancelled_link", cancelled_link},
                     {"signers",
                      {{{"email", "erin@example.test"}, {"locale", "en-US"}, {"lock_out", true}},
                       {{"email", "alice@example.test"},
                        {"locale", "en-US"},
                        {"reuse_after", true},
                        {"shot", "sign-en.png"}},
                       {{"email", "bob@example.test"},
                        {"locale", "zh-CN"},
                        {"phone", true},
                        {"wrong_code_first", true},
                        {"shot", "sign-zh-CN-phone.png"}},
                       {{"email", "carol@example.test"},
                        {"locale", "en-US"},
                        {"result_shot", "sign-en-done.png"}}}}});
    BOOST_REQUIRE_MESSAGE(seen["failure"].is_null(), seen["failure"].dump());
    BOOST_REQUIRE_EQUAL(seen["signers"].size(), 4u);
    // Wrong codes: the attempts left, then locked out until a time shown in the viewer's zone
    // (otp.max_failures: 2 here).
    json& erin_seen = seen["signers"][0];
    BOOST_REQUIRE(!erin_seen["lock_messages"].empty());
    BOOST_TEST(contains(erin_seen["lock_messages"][0], "That code is wrong. Attempts left:"));
    BOOST_TEST(contains(erin_seen["lock_messages"].back(), "signing is locked until"));
    BOOST_TEST(contains(erin_seen["locked_time_title"], " UTC"));
    const std::size_t lock_refusals = erin_seen["lock_messages"].size();
    seen["signers"].erase(0);

    // The expired link says so.
    BOOST_TEST(seen["expired"]["key"] == "state.expired");
    BOOST_TEST(contains(seen["expired"]["text"], "expired"));
    // The cancelled contract's link opens, and says that nothing can be signed.
    BOOST_TEST(seen["cancelled"]["key"] == "state.cancelled");
    BOOST_TEST(contains(seen["cancelled"]["text"], "cancelled"));

    json& first = seen["signers"][0];
    // The page's headers: the token in its address is kept out of caches and referrers.
    BOOST_TEST(first["page_status"] == 200);
    BOOST_TEST(first["page_headers"]["cache-control"] == "no-store");
    BOOST_TEST(first["page_headers"]["referrer-policy"] == "no-referrer");
    BOOST_TEST(contains(first["page_headers"]["content-security-policy"], "script-src 'self'"));
    // The title and the file name are shown as the characters they are: no element made of them.
    json& before = first["before"];
    BOOST_TEST(before["title"] == kMarkupTitle);
    BOOST_TEST(before["download_name"] == kMarkupFile);
    BOOST_TEST(contains(before["download"], kMarkupFile));
    BOOST_TEST(before["img_elements"] == 0);
    BOOST_TEST(seen["dialogs"].empty(), seen["dialogs"].dump());
    // The parties in order, the first due; the PDF's page drawn; the fingerprint the SMS names.
    BOOST_REQUIRE_EQUAL(before["parties"].size(), 3u);
    BOOST_TEST(contains(before["parties"][0]["text"], "Alice Zhang"));
    BOOST_TEST(before["parties"][0]["state"] == "due");
    BOOST_TEST(contains(before["parties"][2]["text"], "Example Trading Ltd"));
    BOOST_TEST(contains(before["parties"][2]["text"], "Carol Wang"));
    BOOST_TEST(before["pages"] == 1);
    BOOST_TEST(before["page_label"] == "Page 1 of 1");
    BOOST_TEST(before["fingerprint"].get<std::string>().size() == 19u);
    BOOST_TEST(contains(first["sms"], before["fingerprint"].get<std::string>()));
    BOOST_TEST(contains(first["result"], "You signed the contract."));
    BOOST_TEST(first["after"]["parties"][0]["state"] == "signed");
    BOOST_TEST(first["focused"] == "result");
    // The link signed once: opened again, it says it was used.
    BOOST_TEST(first["reused"]["key"] == "state.used");

    // Bob, in Chinese on a phone: the first signature shown, a wrong code refused with the
    // attempts left, then his code signs. The revision changed, so did the fingerprint.
    json& second = seen["signers"][1];
    BOOST_TEST(second["before"]["lang"] == "zh-CN");
    BOOST_TEST(second["before"]["heading"] == "签署合同");
    BOOST_TEST(second["before"]["parties"][0]["state"] == "signed");
    BOOST_TEST(second["before"]["parties"][1]["state"] == "due");
    BOOST_TEST(second["before"]["overflows"] == false);
    BOOST_TEST(second["before"]["fingerprint"] != before["fingerprint"]);
    BOOST_TEST(contains(second["sms"], second["before"]["fingerprint"].get<std::string>()));
    BOOST_TEST(contains(second["wrong_code_message"], "验证码错误"));
    // One failure of Bob's before his subject locks (otp.max_failures: 2 here).
    BOOST_TEST(contains(second["wrong_code_message"], "1"));
    BOOST_TEST(contains(second["result"], "您已签署本合同"));

    // The seal, by its agent: the contract is complete.
    json& third = seen["signers"][2];
    BOOST_TEST(contains(third["result"], "Every party has signed"));
    for (const auto& party : third["after"]["parties"])
        BOOST_TEST(party["state"] == "signed");

    // Nothing went wrong in the pages, and the policy was never violated.
    BOOST_TEST(seen["console_errors"].empty(), seen["console_errors"].dump());
    // The only failed requests are the refusals the test provoked: the expired and the used
    // link (410 each), Bob's wrong code and Erin's (403 each).
    std::vector<std::string> refused;
    for (const auto& text : seen["resource_errors"])
        refused.push_back(
            text.get<std::string>().substr(text.get<std::string>().find("status of")));
    std::ranges::sort(refused);
    std::vector<std::string> expected(1 + lock_refusals, "status of 403 (Forbidden)");
    expected.insert(expected.end(), 2, "status of 410 (Gone)");
    BOOST_TEST(refused == expected, seen["resource_errors"].dump());
    BOOST_TEST(seen["page_errors"].empty(), seen["page_errors"].dump());
    BOOST_TEST(seen["csp_violations"].empty(), seen["csp_violations"].dump());
    BOOST_TEST(fs::exists(shots / "sign-en.png"));
    BOOST_TEST(fs::exists(shots / "sign-zh-CN-phone.png"));

    // The final PDF: three signatures (and the document time-stamp) valid for pdfsig, their
    // chains trusted by the ceremony's root alone.
    const auto contract = client.get("/v1/contracts/" + id).json();
    BOOST_TEST(contract["state"] == "completed");
    const fs::path final_pdf = web.node.dir() / "final.pdf";
    BOOST_REQUIRE(client.download("/v1/contracts/" + id + "/document", final_pdf).ok());
    TempDir judges("signet-sign-page-judges");
    const fs::path nss = judges / "nss";
    fs::create_directories(nss);
    BOOST_REQUIRE(run_command({"certutil", "-N", "-d", "sql:" + nss.string(), "--empty-password"})
                      .exit_code == 0);
    const auto root = run_command({"openssl", "x509", "-in",
                                   (web.node.dir() / "ceremony" / "root-ca.pem").string(),
                                   "-outform", "DER", "-out", (judges / "root.der").string()});
    BOOST_REQUIRE_MESSAGE(root.exit_code == 0, root.output);
    const auto trust = run_command({"certutil", "-A", "-d", "sql:" + nss.string(), "-n", "root",
                                    "-t", "C,C,C", "-i", (judges / "root.der").string()});
    BOOST_REQUIRE_MESSAGE(trust.exit_code == 0, trust.output);
    const std::string bytes = read_file(final_pdf);
    const auto report = pdfsig(judges, nss, Bytes(bytes.begin(), bytes.end()), "final.pdf");
    BOOST_REQUIRE_MESSAGE(report.signatures.size() >= 3u, report.result.output);
    for (std::size_t i = 0; i < 3; ++i) {
        BOOST_TEST_CONTEXT("signature " << i + 1 << ": " << report.signatures[i].text) {
            BOOST_TEST(report.signatures[i].valid);
            BOOST_TEST(report.signatures[i].trusted);
        }
    }

    // The same contract on the node's own verification page (tests/web/verify_page.mjs): valid
    // and trusted, its chains leading to this node's root; a copy with one byte of the header's
    // binary comment changed (inside every signature's first byte range, PDF 32000-1 §7.5.2)
    // is broken, naming what failed.
    const fs::path broken_pdf = web.node.dir() / "final-changed.pdf";
    std::string broken = bytes;
    const std::size_t comment = broken.find("\n%") + 2;
    BOOST_REQUIRE(comment > 2 && comment < 32);
    broken[comment] = static_cast<char>(broken[comment] ^ 0x01);
    write_file(broken_pdf, broken);
    const fs::path verify_shots = shots / "verify-own-ca";
    fs::create_directories(verify_shots);
    json verify_seen = run_browser_driver(
        "verify_page.mjs", {"https://127.0.0.1:" + std::to_string(web.https_port),
                            final_pdf.string(), broken_pdf.string(), final_pdf.string(),
                            verify_shots.string()});
    BOOST_TEST(contains(verify_seen["good"]["overall"], "valid"));
    BOOST_TEST(!contains(verify_seen["good"]["overall"], "invalid"));
    BOOST_REQUIRE_GE(verify_seen["good"]["signatures"].size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        json& card = verify_seen["good"]["signatures"][i];
        BOOST_TEST_CONTEXT("signature " << i + 1 << ": " << card.dump()) {
            BOOST_TEST(card["verdict"] == "valid");
            BOOST_TEST(contains(card["text"], "Trusted: it leads to this appliance"));
        }
    }
    BOOST_TEST(contains(verify_seen["broken"]["overall"], "invalid"));
    BOOST_REQUIRE(!verify_seen["broken"]["signatures"].empty());
    BOOST_TEST(verify_seen["broken"]["signatures"][0]["verdict"] == "broken");
    BOOST_TEST(verify_seen["console_errors"].empty(), verify_seen["console_errors"].dump());
    BOOST_TEST(verify_seen["csp_violations"].empty(), verify_seen["csp_violations"].dump());

    // The contract's evidence package on the same page (tests/web/verify_package.mjs), after
    // signetctl judged it offline with the ceremony's root: dropped, it is valid, every group
    // of checks passed; a copy with one byte of the contract's PDF changed (the archive made
    // again around it, so that it still reads) is not valid, the file named first.
    const fs::path package = web.node.dir() / "evidence.zip";
    const auto offline = client.verify_evidence(id, package);
    BOOST_REQUIRE_MESSAGE(offline.exit_code == 0, offline.output);
    const fs::path changed_package = web.node.dir() / "evidence-changed.zip";
    write_file(changed_package, with_pdf_byte_changed(read_file(package)));
    json package_seen = run_browser_driver(
        "verify_package.mjs", {"https://127.0.0.1:" + std::to_string(web.https_port),
                               package.string(), changed_package.string(), verify_shots.string()});
    BOOST_TEST(contains(package_seen["hint"], "evidence package"));
    BOOST_TEST(contains(package_seen["zh_hint"], "证据包"));
    json& good_package = package_seen["good"];
    BOOST_TEST(good_package["overall"] == "verdict valid");
    BOOST_TEST(contains(good_package["overall_text"], "The evidence package is valid"));
    BOOST_TEST(good_package["contract"] == id);
    BOOST_TEST(good_package["file_name"] == "contract-evidence.zip");
    BOOST_TEST(good_package["failures"].empty(), good_package["failures"].dump());
    BOOST_TEST(good_package["signature_cards"] == 0);
    std::vector<std::string> groups;
    for (const auto& group : good_package["groups"]) {
        groups.push_back(group["group"]);
        BOOST_TEST(group["verdict"] == "valid", group.dump());
        BOOST_TEST(group["passed"].get<int>() > 0, group.dump());
    }
    BOOST_TEST(groups == (std::vector<std::string>{"manifest", "documents", "checkpoint", "audit",
                                                   "contract_events"}),
               good_package["groups"].dump());
    json& changed_seen = package_seen["changed"];
    BOOST_TEST(changed_seen["overall"] == "verdict invalid");
    BOOST_TEST(contains(changed_seen["overall_text"], "does not verify"));
    BOOST_TEST(changed_seen["failures_first"] == true);
    BOOST_REQUIRE(!changed_seen["failures"].empty());
    bool named = false;
    for (const auto& failure : changed_seen["failures"])
        named |= failure["subject"] == "document/contract.pdf";
    BOOST_TEST(named, changed_seen["failures"].dump());
    for (const auto& group : changed_seen["groups"])
        if (group["group"] == "documents") {
            BOOST_TEST(group["verdict"] == "invalid");
            BOOST_TEST(contains(group["heading"], "Document signatures"));
        }
    BOOST_TEST(contains(package_seen["zh_changed"]["overall_text"], "证据包未通过验证"));
    BOOST_TEST(package_seen["zh_changed"]["failures"] == changed_seen["failures"]);
    BOOST_TEST(package_seen["zh_overflows"] == false);
    BOOST_TEST(package_seen["console_errors"].empty(), package_seen["console_errors"].dump());
    BOOST_TEST(package_seen["page_errors"].empty(), package_seen["page_errors"].dump());
    BOOST_TEST(package_seen["csp_violations"].empty(), package_seen["csp_violations"].dump());
    BOOST_TEST(package_seen["dialogs"].empty(), package_seen["dialogs"].dump());
    for (const auto* shot : {"verify-package-en.png", "verify-package-changed-en.png",
                             "verify-package-changed-zh-CN-phone.png"})
        BOOST_TEST(fs::exists(verify_shots / shot), shot);

    // No token in any of the node's logs (signetd's output, the access log, PostgreSQL's): the
    // access log names the route, never the path.
    std::vector<std::string> tokens;
    for (const auto& entry : fs::directory_iterator(web.mail_dir))
        if (entry.path().extension() == ".eml") {
            const auto read =
                run_command({"/usr/bin/python3", source_file("tests/notify/read_mail.py").string(),
                             entry.path().string()});
            const std::string body = json::parse(read.output)["body"];
            const auto at = body.find("/sign/");
            BOOST_REQUIRE(at != std::string::npos);
            tokens.push_back(body.substr(at + 6, 43));
        }
    BOOST_TEST(tokens.size() == 6u);
    std::string logs = web.node.output();
    for (const auto& entry : fs::recursive_directory_iterator(web.node.dir()))
        if (entry.is_regular_file() && entry.path().extension() == ".log")
            logs += read_file(entry.path());
    for (const auto& token : tokens)
        BOOST_TEST(logs.find(token) == std::string::npos, "a token in the logs");
    BOOST_TEST(logs.find("/sign/{token}") != std::string::npos, "the access log names the route");
    BOOST_TEST(logs.find("/v1/signing/{token}/sign") != std::string::npos);
}
