// Time-stamps as relying parties meet them, from a real signetd with its development key
// ceremony and the default TSA policy: verifiers that trust only the root CA must accept the
// tokens. `openssl ts -verify -CAfile root-ca.pem` with no -untrusted, and Java's jarsigner: a
// jar signed with `-tsa http://127.0.0.1:PORT/tsa`, then `jarsigner -verify -strict` with a
// truststore holding the roots only (the TSA's root, and the test code-signing root of the jar's
// signer). Both need the issuing CA in the token (tsa.include_chain, the default): Java's PKIX
// path building fails without it.
#include <boost/test/unit_test.hpp>

#include "tests/support/process.hpp"
#include "tests/support/signetd.hpp"

using namespace signet::testing;

namespace {

// Runs a command that must succeed, showing its output when it does not.
void must(const std::vector<std::string>& argv) {
    const CommandResult result = run_command(argv);
    BOOST_REQUIRE_MESSAGE(result.exit_code == 0, argv[0] << " failed:\n" << result.output);
}

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

// A node that has run the development key ceremony; its TSA settings are the defaults but for
// the clock (test machines often run without NTP; the clock has tests of its own).
struct CeremonyNode {
    CeremonyNode() : node("tsa:\n  allow_unsynchronized_clock: true\n") {
        write_file(node.dir() / "ceremony.yaml",
                   read_file(source_file("ops/ceremony.example.yaml")));
        must({built_file("ops/signetctl"), "ceremony", (node.dir() / "ceremony.yaml").string(),
              "--config", node.config_file().string()});
        node.start();
    }
    ~CeremonyNode() { node.stop(); }

    std::filesystem::path root_pem() const { return node.dir() / "ceremony" / "root-ca.pem"; }
    std::string tsa_url() const {
        return "http://127.0.0.1:" + std::to_string(node.http_port()) + "/tsa";
    }

    SignetdProcess node;
    TempDir work{"signet-tsa-verifiers"};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tsa_verifiers)

BOOST_FIXTURE_TEST_CASE(openssl_verifies_with_the_root_alone, CeremonyNode) {
    const auto data = work / "contract.pdf";
    write_file(data, "%PDF-1.7 a contract\n");
    for (const bool cert : {true, false}) {
        const auto query = work / (cert ? "cert.tsq" : "plain.tsq");
        const auto reply = work / (cert ? "cert.tsr" : "plain.tsr");
        std::vector<std::string> make{"openssl",     "ts",      "-query", "-data",
                                      data.string(), "-sha256", "-out",   query.string()};
        if (cert)
            make.push_back("-cert");
        must(make);
        const HttpResponse response = http_request(node.http_port(), "POST", "/tsa",
                                                   read_file(query), "application/timestamp-query");
        BOOST_REQUIRE_EQUAL(response.status, 200);
        write_file(reply, response.body);
        const CommandResult verified =
            run_command({"openssl", "ts", "-verify", "-queryfile", query.string(), "-in",
                         reply.string(), "-CAfile", root_pem().string()});
        if (cert) {
            // certReq: the token carries the TSA certificate and the issuing CA; the root is all
            // the verifier needs.
            BOOST_CHECK_MESSAGE(
                verified.exit_code == 0 && contains(verified.output, "Verification: OK"),
                verified.output);
        } else {
            // Without certReq there are no certificates in the token (RFC 3161 section 2.4.1):
            // the verifier must bring them.
            BOOST_CHECK_NE(verified.exit_code, 0);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(jarsigner_verifies_a_time_stamped_jar_against_the_roots, CeremonyNode) {
    const std::string password = "changeit";
    auto path = [&](const char* name) { return (work / name).string(); };
    // The jar's signer: a code-signing certificate under a test root of its own (jarsigner
    // -strict refuses a self-signed signer, so it needs a root as well).
    write_file(work / "signer.ext",
               "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
               "extendedKeyUsage=codeSigning\n");
    must({"openssl",
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:P-256",
          "-nodes",
          "-keyout",
          path("code-root.key"),
          "-out",
          path("code-root.pem"),
          "-subj",
          "/CN=Signet Test Code Signing Root",
          "-days",
          "30",
          "-addext",
          "basicConstraints=critical,CA:TRUE",
          "-addext",
          "keyUsage=critical,keyCertSign"});
    must({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
          "-nodes", "-keyout", path("signer.key"), "-out", path("signer.csr"), "-subj",
          "/CN=Signet Test Code Signer"});
    must({"openssl", "x509", "-req", "-in", path("signer.csr"), "-CA", path("code-root.pem"),
          "-CAkey", path("code-root.key"), "-CAcreateserial", "-days", "30", "-extfile",
          path("signer.ext"), "-out", path("signer.pem")});
    must({"openssl", "pkcs12", "-export", "-inkey", path("signer.key"), "-in", path("signer.pem"),
          "-certfile", path("code-root.pem"), "-name", "signer", "-out", path("signer.p12"),
          "-passout", "pass:" + password});
    // The truststore: the two roots, nothing else (no issuing CA of the TSA).
    for (const auto& [alias, file] : {std::pair<std::string, std::string>{"tsa-root", root_pem()},
                                      {"code-root", path("code-root.pem")}}) {
        must({"keytool", "-importcert", "-noprompt", "-alias", alias, "-file", file, "-keystore",
              path("trust.p12"), "-storetype", "PKCS12", "-storepass", password});
    }
    write_file(work / "hello.txt", "a file to sign\n");
    must({"jar", "cf", path("app.jar"), "-C", work.path().string(), "hello.txt"});

    must({"jarsigner", "-keystore", path("signer.p12"), "-storetype", "PKCS12", "-storepass",
          password, "-tsa", tsa_url(), "-signedjar", path("signed.jar"), path("app.jar"),
          "signer"});
    const CommandResult verified =
        run_command({"jarsigner", "-verify", "-strict", "-verbose", "-keystore", path("trust.p12"),
                     "-storetype", "PKCS12", "-storepass", password, path("signed.jar")});
    BOOST_TEST_MESSAGE(verified.output);
    BOOST_CHECK_MESSAGE(verified.exit_code == 0, "jarsigner -verify -strict: exit "
                                                     << verified.exit_code << "\n"
                                                     << verified.output);
    BOOST_CHECK(contains(verified.output, "jar verified."));
    BOOST_CHECK(contains(verified.output, "Timestamped by"));
    BOOST_CHECK(!contains(verified.output, "PKIX path building failed"));
    BOOST_CHECK(!contains(verified.output, "timestamp is invalid"));
}

BOOST_AUTO_TEST_SUITE_END()
