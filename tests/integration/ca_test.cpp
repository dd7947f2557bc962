// The CA end to end on the shared appliance (ca_appliance.hpp), and tools nobody here wrote
// (openssl verify -crl_check, NSS vfychain, curl) judge what comes out.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/bytes.hpp"
#include "tests/integration/ca_appliance.hpp"

using namespace signet::testing;
using namespace signet::testing::ca_appliance;

BOOST_AUTO_TEST_SUITE(ca)

BOOST_AUTO_TEST_CASE(the_ceremony_prints_fingerprints_and_refuses_to_run_twice) {
    auto& a = Appliance::instance();
    for (const char* what : {"root ", "issuing ", "ocsp ", "tsa ", "audit-checkpoint ",
                             "tls-server ", "evidence-seal "})
        BOOST_CHECK_MESSAGE(a.ceremony_output.find(what) != std::string::npos, what);
    BOOST_CHECK_EQUAL(std::count(a.ceremony_output.begin(), a.ceremony_output.end(), '\n') > 0,
                      true);
    std::size_t fingerprints = 0;
    for (auto at = a.ceremony_output.find("SHA-256: "); at != std::string::npos;
         at = a.ceremony_output.find("SHA-256: ", at + 1))
        ++fingerprints;
    BOOST_CHECK_EQUAL(fingerprints, 7u);  // with audit-checkpoint and evidence-seal
    // The fingerprint printed is the one openssl computes from the PEM written.
    const auto x509 = run_command({"openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
                                   (a.dir() / "ceremony/root-ca.pem").string()});
    std::string fp = x509.output.substr(x509.output.find('=') + 1);
    fp = fp.substr(0, fp.find('\n'));
    std::transform(fp.begin(), fp.end(), fp.begin(), ::tolower);
    BOOST_CHECK_MESSAGE(a.ceremony_output.find(fp) != std::string::npos, fp);

    // Nothing is overwritten: a second run is refused before anything is made.
    const auto again = a.signetctl({"ceremony", (a.dir() / "ceremony.yaml").string()});
    BOOST_CHECK_EQUAL(again.exit_code, 5);
    BOOST_CHECK_MESSAGE(
        again.output.find("already holds a key labelled 'root-ca'") != std::string::npos,
        again.output);
}

BOOST_AUTO_TEST_CASE(ceremony_certificates_have_their_roles) {
    auto& a = Appliance::instance();
    fetch_chain_and_crl(a);
    const auto tsa = run_command({"openssl", "x509", "-noout", "-ext", "extendedKeyUsage,keyUsage",
                                  "-in", (a.dir() / "ceremony/tsa.pem").string()});
    BOOST_CHECK_MESSAGE(tsa.output.find("Extended Key Usage: critical") != std::string::npos &&
                            tsa.output.find("Time Stamping") != std::string::npos,
                        tsa.output);
    const auto ocsp = run_command({"openssl", "x509", "-noout", "-text", "-in",
                                   (a.dir() / "ceremony/ocsp-issuing-ca.pem").string()});
    BOOST_CHECK(ocsp.output.find("OCSP Signing") != std::string::npos);
    BOOST_CHECK(ocsp.output.find("OCSP No Check") != std::string::npos);
    BOOST_CHECK(ocsp.output.find("Authority Information Access") == std::string::npos);
    BOOST_CHECK(ocsp.output.find("CRL Distribution Points") == std::string::npos);
    for (const char* leaf : {"ceremony/tsa.pem", "ceremony/ocsp-issuing-ca.pem"}) {
        const auto v = openssl_verify_crl_check(a, a.dir() / leaf);
        BOOST_CHECK_MESSAGE(v.exit_code == 0, leaf << ": " << v.output);
    }
}

// The HTTPS listener's certificate from the ceremony, judged by openssl and NSS trusting only the
// root: a TLS server certificate (-purpose sslserver, NSS usage 1) for exactly its hosts.
BOOST_AUTO_TEST_CASE(the_tls_server_certificate_verifies_as_an_ssl_server_with_openssl_and_nss) {
    auto& a = Appliance::instance();
    fetch_chain_and_crl(a);
    const auto pem = a.dir() / "ceremony/tls-server.pem";
    const auto text =
        run_command({"openssl", "x509", "-noout", "-ext",
                     "subjectAltName,extendedKeyUsage,keyUsage", "-in", pem.string()});
    for (const char* what :
         {"X509v3 Subject Alternative Name: \n", "DNS:localhost", "IP Address:127.0.0.1",
          "X509v3 Extended Key Usage: \n", "TLS Web Server Authentication",
          "X509v3 Key Usage: critical", "Digital Signature"})
        BOOST_CHECK_MESSAGE(text.output.find(what) != std::string::npos,
                            what << ": " << text.output);
    // Only the certificate first in the file is verified; the issuing CA follows it.
    const auto v =
        run_command({"openssl", "verify", "-purpose", "sslserver", "-x509_strict", "-crl_check_all",
                     "-CRLfile", (a.dir() / "issuing-ca.crl.pem").string(), "-CRLfile",
                     (a.dir() / "root-ca.crl.pem").string(), "-verify_hostname", "localhost",
                     "-verify_ip", "127.0.0.1", "-CAfile", (a.dir() / "root-ca.pem").string(),
                     "-untrusted", (a.dir() / "issuing-ca.pem").string(), pem.string()});
    BOOST_CHECK_MESSAGE(v.exit_code == 0, v.output);
    const auto other =
        run_command({"openssl", "verify", "-purpose", "sslserver", "-verify_hostname",
                     "signet.example", "-CAfile", (a.dir() / "root-ca.pem").string(), "-untrusted",
                     (a.dir() / "issuing-ca.pem").string(), pem.string()});
    BOOST_CHECK_MESSAGE(other.exit_code != 0, "verified for another host: " << other.output);

    const auto db = nss_trusting_the_root(a, "nssdb-tls");
    const auto leaf = a.dir() / "tls-server-leaf.pem";
    const auto split = run_command({"openssl", "x509", "-in", pem.string(), "-out", leaf.string()});
    BOOST_REQUIRE_MESSAGE(split.exit_code == 0, split.output);
    // -u 1: certUsageSSLServer; -u 0 (SSL client) must fail, the EKU being serverAuth alone.
    const auto server = vfychain(a, db, "1", leaf);
    BOOST_CHECK_MESSAGE(server.output.find("Chain is good!") != std::string::npos, server.output);
    const auto client = vfychain(a, db, "0", leaf);
    BOOST_CHECK_MESSAGE(client.output.find("Chain is good!") == std::string::npos &&
                            client.output.find("-8101") != std::string::npos,  // usage not approved
                        client.output);
}

BOOST_AUTO_TEST_CASE(issuing_from_a_csr_verifies_with_openssl_and_nss) {
    auto& a = Appliance::instance();
    const std::string csr =
        make_csr(a.dir(), "alice", {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"});
    const json issued = issue(a, {{"subject_id", a.person}, {"profile", "personal"}, {"csr", csr}});
    BOOST_CHECK_EQUAL(issued["status"], "issued");
    BOOST_CHECK_EQUAL(issued["key_source"], "csr");
    BOOST_CHECK_EQUAL(issued["subject_dn"], "CN=Zhang\\, Wei,serialNumber=1101XXXXXXXXXX002X,C=CN");
    BOOST_CHECK_EQUAL(issued["serial"].get<std::string>().size(), 40u);
    write_file(a.dir() / "alice.pem", issued["certificate_pem"].get<std::string>());

    fetch_chain_and_crl(a);
    const auto v = openssl_verify_crl_check(a, a.dir() / "alice.pem");
    BOOST_CHECK_MESSAGE(v.exit_code == 0, v.output);

    // Exactly the personal profile's extensions, as openssl prints them.
    const auto text = run_command(
        {"openssl", "x509", "-noout", "-text", "-in", (a.dir() / "alice.pem").string()});
    std::vector<std::string> extensions;
    std::istringstream lines(text.output);
    for (std::string line; std::getline(lines, line);) {
        const auto at = line.find("X509v3 ");
        if (at != std::string::npos && line.find(':') != std::string::npos &&
            line.find("X509v3 extensions") == std::string::npos)
            extensions.push_back(line.substr(at));
    }
    std::ranges::sort(extensions);
    const std::vector<std::string> expected{
        "X509v3 Authority Key Identifier: ", "X509v3 Basic Constraints: critical",
        "X509v3 CRL Distribution Points: ",  "X509v3 Certificate Policies: ",
        "X509v3 Extended Key Usage: ",       "X509v3 Key Usage: critical",
        "X509v3 Subject Key Identifier: "};
    std::vector<std::string> trimmed;
    for (auto e : extensions) {
        while (!e.empty() && e.back() == ' ')
            e.pop_back();
        trimmed.push_back(e);
    }
    std::vector<std::string> wanted;
    for (auto e : expected) {
        while (!e.empty() && e.back() == ' ')
            e.pop_back();
        wanted.push_back(e);
    }
    BOOST_CHECK_MESSAGE(trimmed == wanted, text.output);
    BOOST_CHECK(text.output.find("Authority Information Access") != std::string::npos);
    BOOST_CHECK(text.output.find("1.3.6.1.5.5.7.3.36") != std::string::npos ||
                text.output.find("Document Signing") != std::string::npos);

    // NSS: a database trusting only the root; the issuing CA as a further certificate.
    const auto db = nss_trusting_the_root(a, "nssdb");
    // NSS knows no documentSigning usage; the profile's emailProtection makes the leaf an
    // email signer (-u 4). The issuing CA is checked as a CA (-u 11) and the OCSP responder
    // certificate as one (-u 10). -pp: the libpkix engine.
    for (const auto& [usage, leaf] : std::vector<std::pair<std::string, std::filesystem::path>>{
             {"4", a.dir() / "alice.pem"},
             {"10", a.dir() / "ceremony/ocsp-issuing-ca.pem"},
             {"11", a.dir() / "issuing-ca.pem"}}) {
        const auto nss = vfychain(a, db, usage, leaf);
        BOOST_CHECK_MESSAGE(nss.output.find("Chain is good!") != std::string::npos,
                            leaf << " -u " << usage << ": " << nss.output);
    }
}

BOOST_AUTO_TEST_CASE(issuing_with_an_hsm_generated_key) {
    auto& a = Appliance::instance();
    const json issued =
        issue(a, {{"subject_id", a.organization}, {"profile", "e-seal"}, {"key_type", "ec-p384"}});
    BOOST_CHECK_EQUAL(issued["key_source"], "hsm-wrapped");
    BOOST_CHECK_EQUAL(issued["key_type"], "ec-p384");
    BOOST_CHECK_EQUAL(issued["subject_dn"],
                      "CN=Example Contracts Ltd,organizationIdentifier=9144XXXXXXXXXX8216,"
                      "O=Example Contracts Ltd,C=CN");
    write_file(a.dir() / "seal.pem", issued["certificate_pem"].get<std::string>());
    fetch_chain_and_crl(a);
    const auto v = openssl_verify_crl_check(a, a.dir() / "seal.pem");
    BOOST_CHECK_MESSAGE(v.exit_code == 0, v.output);
    // The response never carries key material.
    BOOST_CHECK(issued.find("wrapped_key") == issued.end());
}

BOOST_AUTO_TEST_CASE(a_revoked_certificate_is_in_the_next_crl_and_fails_verification) {
    auto& a = Appliance::instance();
    const std::string csr = make_csr(a.dir(), "bob", {"-newkey", "rsa:2048"});
    const json issued = issue(a, {{"subject_id", a.person}, {"profile", "personal"}, {"csr", csr}});
    const std::string serial = issued["serial"];
    write_file(a.dir() / "bob.pem", issued["certificate_pem"].get<std::string>());

    const auto [status, body] = a.api(
        "POST", "/v1/certificates/" + serial + "/revoke",
        json{{"reason", "keyCompromise"}, {"invalidity_date", "2026-01-02T03:04:05Z"}}.dump());
    BOOST_REQUIRE_MESSAGE(status == 200, body);
    BOOST_CHECK_EQUAL(json::parse(body)["status"], "revoked");

    fetch_chain_and_crl(a);
    const auto text = run_command(
        {"openssl", "crl", "-noout", "-text", "-in", (a.dir() / "issuing-ca.crl.pem").string()});
    std::string upper = serial;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    BOOST_CHECK_MESSAGE(text.output.find(upper) != std::string::npos, text.output);
    BOOST_CHECK(text.output.find("Key Compromise") != std::string::npos);
    BOOST_CHECK(text.output.find("Invalidity Date") != std::string::npos);
    BOOST_CHECK(text.output.find("X509v3 CRL Number") != std::string::npos);
    BOOST_CHECK(text.output.find("X509v3 Authority Key Identifier") != std::string::npos);
    const auto v = openssl_verify_crl_check(a, a.dir() / "bob.pem");
    BOOST_CHECK_NE(v.exit_code, 0);
    BOOST_CHECK_MESSAGE(v.output.find("certificate revoked") != std::string::npos, v.output);

    // Revoking twice is a conflict, and changes nothing.
    const auto [again, again_body] =
        a.api("POST", "/v1/certificates/" + serial + "/revoke", R"({"reason":"superseded"})");
    BOOST_CHECK_EQUAL(again, 409);
    BOOST_CHECK(again_body.find("already revoked") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_crl_route_serves_pkix_crl_with_cache_headers) {
    auto& a = Appliance::instance();
    const auto r = http_request(a.node().http_port(), "GET", "/crl/issuing-ca.crl");
    BOOST_CHECK_EQUAL(r.status, 200);
    BOOST_CHECK_EQUAL(r.headers.at("content-type"), "application/pkix-crl");
    BOOST_CHECK(r.headers.at("cache-control").starts_with("public, max-age="));
    BOOST_CHECK(r.headers.contains("expires"));
    BOOST_CHECK(r.headers.contains("last-modified"));
    const auto c = http_request(a.node().http_port(), "GET", "/ca/issuing-ca.crt");
    BOOST_CHECK_EQUAL(c.headers.at("content-type"), "application/pkix-cert");
    BOOST_CHECK_EQUAL(http_request(a.node().http_port(), "GET", "/crl/nobody.crl").status, 404);
    BOOST_CHECK_EQUAL(http_request(a.node().http_port(), "GET", "/ca/nobody.crt").status, 404);
}

BOOST_AUTO_TEST_CASE(bad_csrs_are_refused_with_a_specific_error_and_change_nothing) {
    auto& a = Appliance::instance();
    const std::size_t before = certificate_count(a, a.person);
    auto refused = [&](const json& request, const std::string& expected) {
        const auto [status, body] = a.api("POST", "/v1/certificates", request.dump());
        BOOST_CHECK_MESSAGE(status == 400, "status " << status << ": " << body);
        BOOST_CHECK_MESSAGE(body.find("invalid-argument") != std::string::npos, body);
        BOOST_CHECK_MESSAGE(body.find(expected) != std::string::npos,
                            "expected '" << expected << "' in " << body);
    };
    const json base{{"subject_id", a.person}, {"profile", "personal"}};
    auto with_csr = [&](const std::string& csr) {
        json r = base;
        r["csr"] = csr;
        return r;
    };
    refused(with_csr(make_csr(a.dir(), "weak", {"-newkey", "rsa:1024"})), "1024");
    refused(with_csr(make_csr(a.dir(), "k1",
                              {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"})),
            "secp256k1");
    refused(with_csr(make_csr(a.dir(), "p384",
                              {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"})),
            "not allowed");
    std::string tampered = make_csr(a.dir(), "tampered", {"-newkey", "rsa:2048"});
    const auto der = run_command({"openssl", "req", "-in", (a.dir() / "tampered.csr").string(),
                                  "-outform", "DER", "-out", (a.dir() / "tampered.der").string()});
    BOOST_REQUIRE_EQUAL(der.exit_code, 0);
    std::string bytes = read_file(a.dir() / "tampered.der");
    bytes[bytes.size() - 5] ^= 0x01;  // inside the signature
    refused(with_csr(signet::to_base64(signet::as_bytes(bytes))), "proof of possession");
    refused(with_csr("bm90IGEgQ1NS"), "neither DER nor PEM");
    refused(with_csr("not base64 at all"), "neither PEM nor base64");
    refused(json{{"subject_id", a.person}, {"profile", "personal"}, {"key_type", "rsa-4096"}},
            "not allowed");
    refused(json{{"subject_id", a.person}}, "required");
    refused(json{{"subject_id", a.person}, {"profile", "personal"}, {"colour", "blue"}},
            "unknown member 'colour'");
    BOOST_CHECK_EQUAL(certificate_count(a, a.person), before);
}

BOOST_AUTO_TEST_CASE(policy_refusals) {
    auto& a = Appliance::instance();
    const auto [status, body] =
        a.api("POST", "/v1/certificates",
              json{{"subject_id", a.weak_person}, {"profile", "personal"}, {"key_type", "ec-p256"}}
                  .dump());
    BOOST_CHECK_EQUAL(status, 409);
    BOOST_CHECK_MESSAGE(body.find("requires 2") != std::string::npos, body);
    BOOST_CHECK_EQUAL(certificate_count(a, a.weak_person), 0u);
    BOOST_CHECK_EQUAL(
        a.api("POST", "/v1/certificates", R"({"subject_id":999999,"profile":"personal"})").first,
        404);
    BOOST_CHECK_EQUAL(
        a.api("POST", "/v1/certificates", R"({"subject_id":1,"profile":"nope"})").first, 404);
    BOOST_CHECK_EQUAL(a.api("GET", "/v1/certificates/zz").first, 400);
    BOOST_CHECK_EQUAL(a.api("GET", "/v1/certificates/0123").first, 404);
}

BOOST_AUTO_TEST_CASE(scopes_are_enforced) {
    auto& a = Appliance::instance();
    const auto r = run_command(
        {"curl", "-sS", "--cacert", (a.dir() / "tls.pem").string(), "-H",
         "Authorization: Bearer reader-token-0123456789", "-H", "Content-Type: application/json",
         "--data-binary", R"({"subject_id":1,"profile":"personal"})", "-o", "/dev/null", "-w",
         "%{http_code}",
         "https://127.0.0.1:" + std::to_string(a.https_port()) + "/v1/certificates"});
    BOOST_CHECK_EQUAL(r.output, "403");
}

// GET /v1/cas: the ceremony's CAs with their certificates' facts and their newest CRLs; a
// revocation shows as a new CRL with one more entry, a refresh as a further number.
json ca_named(const json& list, const std::string& name) {
    for (const auto& ca : list["cas"])
        if (ca["name"] == name)
            return ca;
    BOOST_FAIL("no CA named " << name << " in " << list.dump());
    return {};
}

json list_cas(Appliance& a) {
    const auto [status, body] = a.api("GET", "/v1/cas");
    BOOST_REQUIRE_MESSAGE(status == 200, body);
    return json::parse(body);
}

BOOST_AUTO_TEST_CASE(the_cas_route_shows_each_ca_and_its_crl_state) {
    auto& a = Appliance::instance();
    const json before = list_cas(a);
    BOOST_REQUIRE_EQUAL(before["cas"].size(), 2u);
    BOOST_CHECK_EQUAL(before["cas"][0]["name"], "root-ca");  // the root first
    const json root = ca_named(before, "root-ca");
    BOOST_CHECK_EQUAL(root["role"], "root");
    BOOST_CHECK(root["parent"].is_null());
    BOOST_CHECK_EQUAL(root["key_type"], "ec-p384");
    BOOST_CHECK_EQUAL(root["subject_dn"], "CN=Signet Development Root CA,O=Signet,C=CN");
    BOOST_CHECK_EQUAL(root["certificate_url"], "/ca/root-ca.crt");
    BOOST_CHECK_EQUAL(root["crl_url"], "/crl/root-ca.crl");
    const json issuing = ca_named(before, "issuing-ca");
    BOOST_CHECK_EQUAL(issuing["role"], "issuing");
    BOOST_CHECK_EQUAL(issuing["parent"], "root-ca");
    BOOST_CHECK_EQUAL(issuing["key_type"], "ec-p256");
    BOOST_CHECK_EQUAL(issuing["subject_dn"], "CN=Signet Development Issuing CA,O=Signet,C=CN");

    // The fingerprint and the validity are those of the certificate served at certificate_url,
    // as openssl reads it.
    BOOST_REQUIRE_EQUAL(a.download("/ca/issuing-ca.crt", a.dir() / "cas-issuing.der"), 200);
    const auto x509 = run_command({"openssl", "x509", "-inform", "DER", "-noout", "-fingerprint",
                                   "-sha256", "-dates", "-dateopt", "iso_8601", "-in",
                                   (a.dir() / "cas-issuing.der").string()});
    BOOST_REQUIRE_MESSAGE(x509.exit_code == 0, x509.output);
    std::string fingerprint = issuing["fingerprint_sha256"];
    std::transform(fingerprint.begin(), fingerprint.end(), fingerprint.begin(), ::toupper);
    BOOST_CHECK_MESSAGE(x509.output.find(fingerprint) != std::string::npos,
                        fingerprint << " in " << x509.output);
    // "notAfter=2036-12-05 20:00:00Z" against "2036-12-05T20:00:00.000000Z".
    std::string not_after = issuing["not_after"].get<std::string>().substr(0, 19);
    not_after[10] = ' ';
    BOOST_CHECK_MESSAGE(x509.output.find("notAfter=" + not_after) != std::string::npos,
                        not_after << " in " << x509.output);

    // The issuing CA's CRL: published, current, listing what the next one would list.
    const json crl = issuing["crl"];
    BOOST_REQUIRE(crl.is_object());
    BOOST_CHECK_EQUAL(crl["overdue"], false);
    BOOST_CHECK_LT(crl["this_update"].get<std::string>(), crl["next_update"].get<std::string>());
    BOOST_CHECK_EQUAL(issuing["next_crl_entries"], crl["entries"]);

    // A revocation: a new CRL (the next number) with one entry more.
    const std::string csr =
        make_csr(a.dir(), "cas-route", {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"});
    const json issued = issue(a, {{"subject_id", a.person}, {"profile", "personal"}, {"csr", csr}});
    const auto [revoked, revoked_body] =
        a.api("POST", "/v1/certificates/" + issued["serial"].get<std::string>() + "/revoke",
              R"({"reason":"superseded"})");
    BOOST_REQUIRE_MESSAGE(revoked == 200, revoked_body);
    const json after = ca_named(list_cas(a), "issuing-ca");
    BOOST_CHECK_GT(after["crl"]["number"].get<std::int64_t>(), crl["number"].get<std::int64_t>());
    BOOST_CHECK_EQUAL(after["crl"]["entries"].get<int>(), crl["entries"].get<int>() + 1);
    BOOST_CHECK_EQUAL(after["next_crl_entries"], after["crl"]["entries"]);
    // The CRL served is the one the route describes: its number as openssl reads it.
    BOOST_REQUIRE_EQUAL(a.download("/crl/issuing-ca.crl", a.dir() / "cas-issuing.crl"), 200);
    const auto number = run_command({"openssl", "crl", "-inform", "DER", "-noout", "-crlnumber",
                                      "-in", (a.dir() / "cas-issuing.crl").string()});
    // "crlNumber=0x1A": i2a_ASN1_INTEGER's hex.
    const auto at = number.output.find("crlNumber=0x");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, number.output);
    BOOST_CHECK_EQUAL(std::stoll(number.output.substr(at + 12), nullptr, 16),
                      after["crl"]["number"].get<std::int64_t>());

    // A refresh (signetctl crl): the next number, the same entries.
    const auto refresh = a.signetctl({"crl", "--ca", "issuing-ca", "--out",
                                      (a.dir() / "cas-refresh.crl").string()});
    BOOST_REQUIRE_MESSAGE(refresh.exit_code == 0, refresh.output);
    const json refreshed = ca_named(list_cas(a), "issuing-ca");
    BOOST_CHECK_EQUAL(refreshed["crl"]["number"].get<std::int64_t>(),
                      after["crl"]["number"].get<std::int64_t>() + 1);
    BOOST_CHECK_EQUAL(refreshed["crl"]["entries"], after["crl"]["entries"]);
    BOOST_CHECK_EQUAL(refreshed["next_crl_entries"], after["crl"]["entries"]);
}

BOOST_AUTO_TEST_CASE(the_cas_route_refuses_a_client_without_certificates_read) {
    auto& a = Appliance::instance();
    const auto [status, body] = a.api("GET", "/v1/cas", "", "auditor-token-0123456789");
    BOOST_CHECK_EQUAL(status, 403);
    BOOST_CHECK_MESSAGE(body.find("certificates:read") != std::string::npos, body);
    BOOST_CHECK_EQUAL(a.api("GET", "/v1/cas", "", "reader-token-0123456789").first, 200);
}

BOOST_AUTO_TEST_CASE(signetctl_lists_shows_revokes_and_publishes) {
    auto& a = Appliance::instance();
    const json issued =
        issue(a, {{"subject_id", a.person}, {"profile", "personal"}, {"key_type", "ec-p256"}});
    const std::string serial = issued["serial"];
    const auto list = a.signetctl({"cert", "list", "--subject", std::to_string(a.person)});
    BOOST_CHECK_MESSAGE(list.exit_code == 0 && list.output.find(serial) != std::string::npos,
                        list.output);
    const auto show = a.signetctl({"cert", "show", serial});
    BOOST_CHECK_MESSAGE(show.output.find("status:       issued") != std::string::npos, show.output);
    const auto pem = a.signetctl({"cert", "show", serial, "--format", "pem"});
    BOOST_CHECK_MESSAGE(pem.output.starts_with("-----BEGIN CERTIFICATE-----"), pem.output);
    const auto revoke = a.signetctl({"cert", "revoke", serial, "--reason", "superseded"});
    BOOST_CHECK_MESSAGE(revoke.exit_code == 0, revoke.output);
    const auto again = a.signetctl({"cert", "revoke", serial, "--reason", "superseded"});
    BOOST_CHECK_EQUAL(again.exit_code, 7);  // failed precondition
    BOOST_CHECK_MESSAGE(again.output.find("already revoked") != std::string::npos, again.output);
    const auto bad_reason = a.signetctl({"cert", "revoke", serial, "--reason", "boredom"});
    BOOST_CHECK_EQUAL(bad_reason.exit_code, 2);  // usage
    const auto crl =
        a.signetctl({"crl", "--ca", "issuing-ca", "--out", (a.dir() / "cli.crl").string()});
    BOOST_CHECK_MESSAGE(crl.exit_code == 0, crl.output);
    const auto text = run_command({"openssl", "crl", "-inform", "DER", "-noout", "-text", "-in",
                                   (a.dir() / "cli.crl").string()});
    std::string upper = serial;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    BOOST_CHECK(text.output.find(upper) != std::string::npos);
    BOOST_CHECK(text.output.find("Superseded") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
