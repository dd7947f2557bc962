#pragma once

// The appliance the CA's integration tests share (one per test process): signetctl runs the key
// ceremony on a real SoftHSM token and the embedded PostgreSQL, signetd serves /ca, /crl and
// /v1/certificates over real HTTP(S); and the helpers the tests use on it.
#include <openssl/sha.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "tests/support/signetd.hpp"
#include "tests/support/softhsm.hpp"

namespace signet::testing::ca_appliance {

using nlohmann::json;

inline const std::string kBearer = "integration-test-bearer-token-0123456789";

inline std::string sha256_hex(const std::string& text) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    return signet::to_hex({digest, sizeof digest});
}

inline std::string binary(const char* name) {
    const char* dir = std::getenv("SIGNET_BINARY_DIR");
    BOOST_REQUIRE_MESSAGE(dir != nullptr, "SIGNET_BINARY_DIR is not set (run through ctest)");
    return std::string(dir) + "/" + name;
}

inline std::string profiles_yaml(std::uint16_t port) {
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    return "ca:\n"
           "  crl: {validity_hours: 24, refresh_hours: 12}\n"
           "  profiles:\n"
           "    personal:\n"
           "      issuer: issuing-ca\n"
           "      key_types: [ec-p256, rsa-2048]\n"
           "      validity_days: 365\n"
           "      key_usage: [digitalSignature, nonRepudiation]\n"
           // emailProtection too, as many signing certificates carry it for PDF readers: it is
           // also the EKU through which NSS's vfychain can judge a signing certificate.
           "      extended_key_usage: [documentSigning, emailProtection]\n"
           "      certificate_policies: [1.3.6.1.4.1.99999.2.1]\n"
           "      subject_template: \"CN={name},serialNumber={id_masked},C={country}\"\n"
           "      aia: {ocsp_url: " +
           base + "/ocsp, ca_issuers_url: " + base +
           "/ca/issuing-ca.crt}\n"
           "      crl_distribution_point: " +
           base +
           "/crl/issuing-ca.crl\n"
           "      required_assurance: 2\n"
           "    e-seal:\n"
           "      issuer: issuing-ca\n"
           "      key_types: [ec-p384]\n"
           "      validity_days: 730\n"
           "      key_usage: [digitalSignature, contentCommitment]\n"
           "      extended_key_usage: [documentSigning]\n"
           "      subject_template: \"CN={name},organizationIdentifier={id_masked},O={name},"
           "C={country}\"\n"
           "      crl_distribution_point: " +
           base + "/crl/issuing-ca.crl\n";
}

// One appliance for the whole suite: the ceremony is slow-ish and the tests build on each other
// only through what the API shows.
class Appliance {
  public:
    static Appliance& instance() {
        static Appliance appliance;
        return appliance;
    }

    SignetdProcess& node() { return *node_; }
    const std::filesystem::path& dir() const { return node_->dir(); }
    std::uint16_t https_port() const { return https_port_; }

    CommandResult signetctl(std::vector<std::string> args) {
        return run_command(signetctl_argv(std::move(args)));
    }
    // With `input` on its standard input (a document number: never on the command line).
    CommandResult signetctl(std::vector<std::string> args, const std::string& input) {
        return run_command(signetctl_argv(std::move(args)), input + "\n");
    }

    // curl over HTTPS with the bearer token (the frontend's, unless another is given); returns
    // {status, body}.
    std::pair<int, std::string> api(const std::string& method, const std::string& target,
                                    const std::string& body = "",
                                    const std::string& token = kBearer) {
        std::vector<std::string> argv{"curl",     "-sS",
                                      "--cacert", (dir() / "tls.pem").string(),
                                      "-H",       "Authorization: Bearer " + token,
                                      "-X",       method,
                                      "-o",       (dir() / "curl.body").string(),
                                      "-w",       "%{http_code}"};
        if (!body.empty()) {
            argv.insert(argv.end(),
                        {"-H", "Content-Type: application/json", "--data-binary", body});
        }
        argv.push_back("https://127.0.0.1:" + std::to_string(https_port_) + target);
        const auto r = run_command(argv);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "curl failed: " << r.output);
        return {std::stoi(r.output), read_file(dir() / "curl.body")};
    }

    // Writes GET `target` (plain HTTP) to `file`; returns the status.
    int download(const std::string& target, const std::filesystem::path& file) {
        const auto r = http_request(node_->http_port(), "GET", target);
        std::ofstream(file, std::ios::binary) << r.body;
        return r.status;
    }

    // `signetctl subject add ARGS...` with the document number (or credit code) on standard
    // input; the new subject's id.
    std::int64_t add_subject(std::vector<std::string> args, const std::string& number) {
        args.insert(args.begin(), {"subject", "add"});
        const auto r = signetctl(args, number);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
        BOOST_REQUIRE_MESSAGE(r.output.starts_with("id:"), r.output);
        return std::stoll(r.output.substr(3));
    }
    // A person with the resident identity number `number`, verified by an officer (signetctl
    // subject verify) to `level`.
    std::int64_t add_verified_person(const std::string& name, const std::string& number,
                                     int level) {
        const auto id = add_subject({"--kind", "person", "--name", name, "--document-kind",
                                     "cn_resident_id", "--mobile", "+8613800138000"},
                                    number);
        const auto verified =
            signetctl({"subject", "verify", std::to_string(id), "--level", std::to_string(level),
                       "--reason", "documents seen in person"},
                      number);
        BOOST_REQUIRE_MESSAGE(verified.exit_code == 0, verified.output);
        return id;
    }

    // Valid GB 11643 resident identity numbers (distinct: one active subject per document).
    static constexpr const char* kResidentIds[] = {
        "11010519491231002X", "110105198001010075", "110105198001020142", "11010519800103021X",
        "110105198001040282", "11010519800105035X", "110105198001060427", "11010519800107049X"};

    std::string ceremony_output;
    std::int64_t person = 0;       // assurance 3
    std::int64_t weak_person = 0;  // assurance 1
    std::int64_t organization = 0;

  private:
    std::vector<std::string> signetctl_argv(std::vector<std::string> args) const {
        args.insert(args.begin(), binary("ops/signetctl"));
        args.push_back("--config");
        args.push_back(node_->config_file().string());
        return args;
    }

    Appliance() : https_port_(free_port()) {
        node_ = std::make_unique<SignetdProcess>(
            config_yaml(), "  https:\n    enabled: true\n    address: 127.0.0.1\n    port: " +
                               std::to_string(https_port_) +
                               "\n    tls: {certificate: tls.pem, key: tls.key}\n");
        write_tls_files();
        auto kek = run_command({binary("ops/signetctl"), "hsm", "kek", "--label", "user-kek",
                                "--token", node_->token_label(), "--pin",
                                "file:" + SoftHsm::instance().pin_file().string()});
        BOOST_REQUIRE_MESSAGE(kek.exit_code == 0, kek.output);
        std::string ceremony = read_file(source_dir() / "ops/ceremony.example.yaml");
        replace_all(ceremony, "http://127.0.0.1:8080/",
                    "http://127.0.0.1:" + std::to_string(node_->http_port()) + "/");
        write_file(dir() / "ceremony.yaml", ceremony);
        const auto run = signetctl({"ceremony", (dir() / "ceremony.yaml").string()});
        BOOST_REQUIRE_MESSAGE(run.exit_code == 0, run.output);
        ceremony_output = run.output;
        for (const char* label : {"signet-identity", "signet-otp"}) {
            const auto made = run_command({binary("ops/signetctl"), "hsm", "hmac-key", "--label",
                                           label, "--token", node_->token_label(), "--pin",
                                           "file:" + SoftHsm::instance().pin_file().string()});
            BOOST_REQUIRE_MESSAGE(made.exit_code == 0, made.output);
        }
        person = add_verified_person("Zhang, Wei", kResidentIds[0], 3);
        weak_person = add_verified_person("Li Na", kResidentIds[1], 1);
        organization = add_subject({"--kind", "organization", "--name", "Example Contracts Ltd",
                                    "--legal-representative", std::to_string(person)},
                                   "914403001922038216");
        const auto verified = signetctl({"subject", "verify", std::to_string(organization),
                                         "--level", "3", "--reason", "business licence seen"},
                                        "914403001922038216");
        BOOST_REQUIRE_MESSAGE(verified.exit_code == 0, verified.output);
        node_->start();
    }

    static std::filesystem::path source_dir() {
        const char* dir = std::getenv("SIGNET_SOURCE_DIR");
        BOOST_REQUIRE(dir != nullptr);
        return dir;
    }

    static void replace_all(std::string& text, const std::string& from, const std::string& to) {
        for (auto at = text.find(from); at != std::string::npos;
             at = text.find(from, at + to.size()))
            text.replace(at, from.size(), to);
    }

    std::string config_yaml() const {
        return "api_clients:\n"
               "  - name: frontend\n"
               "    scopes: [certificates:issue, certificates:read, certificates:revoke]\n"
               "    token_sha256: " +
               sha256_hex(kBearer) +
               "\n"
               "  - name: reader\n"
               "    scopes: [certificates:read]\n"
               "    token_sha256: " +
               sha256_hex("reader-token-0123456789") +
               "\n"
               "  - name: auditor\n"
               "    scopes: [audit]\n"
               "    token_sha256: " +
               sha256_hex("auditor-token-0123456789") + "\n" + profiles_yaml(0);
    }

    void write_tls_files() {
        // The HTTPS listener's own certificate, made by openssl (not by the CA under test).
        const auto r =
            run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                         (dir() / "tls.key").string(), "-out", (dir() / "tls.pem").string()});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    }

    std::uint16_t https_port_;
    std::unique_ptr<SignetdProcess> node_;
};

inline std::string make_csr(const std::filesystem::path& dir, const std::string& name,
                            const std::vector<std::string>& newkey) {
    std::vector<std::string> argv{"openssl", "req",
                                  "-new",    "-nodes",
                                  "-subj",   "/CN=ignored",
                                  "-keyout", (dir / (name + ".key")).string(),
                                  "-out",    (dir / (name + ".csr")).string()};
    argv.insert(argv.end(), newkey.begin(), newkey.end());
    const auto r = run_command(argv);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    return read_file(dir / (name + ".csr"));
}

// Fetches the CA certificates and the issuing CA's CRL as PEM files for openssl verify.
inline void fetch_chain_and_crl(Appliance& a) {
    for (const char* ca : {"root-ca", "issuing-ca"}) {
        BOOST_REQUIRE_EQUAL(
            a.download(std::string("/ca/") + ca + ".crt", a.dir() / (std::string(ca) + ".der")),
            200);
        const auto r = run_command({"openssl", "x509", "-inform", "DER", "-in",
                                    (a.dir() / (std::string(ca) + ".der")).string(), "-out",
                                    (a.dir() / (std::string(ca) + ".pem")).string()});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    }
    for (const char* ca : {"root-ca", "issuing-ca"}) {
        BOOST_REQUIRE_EQUAL(a.download(std::string("/crl/") + ca + ".crl",
                                       a.dir() / (std::string(ca) + ".crl.der")),
                            200);
        const auto r = run_command({"openssl", "crl", "-inform", "DER", "-in",
                                    (a.dir() / (std::string(ca) + ".crl.der")).string(), "-out",
                                    (a.dir() / (std::string(ca) + ".crl.pem")).string()});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    }
}

inline CommandResult openssl_verify_crl_check(Appliance& a, const std::filesystem::path& leaf) {
    return run_command({"openssl", "verify", "-crl_check_all", "-CAfile",
                        (a.dir() / "root-ca.pem").string(), "-untrusted",
                        (a.dir() / "issuing-ca.pem").string(), "-CRLfile",
                        (a.dir() / "issuing-ca.crl.pem").string(), "-CRLfile",
                        (a.dir() / "root-ca.crl.pem").string(), leaf.string()});
}

// An NSS database under the appliance's directory that trusts only the root, as a relying
// party's would.
inline std::filesystem::path nss_trusting_the_root(Appliance& a, const std::string& name) {
    const auto db = a.dir() / name;
    std::filesystem::create_directories(db);
    BOOST_REQUIRE_EQUAL(
        run_command({"certutil", "-N", "--empty-password", "-d", "sql:" + db.string()}).exit_code,
        0);
    BOOST_REQUIRE_EQUAL(run_command({"certutil", "-A", "-d", "sql:" + db.string(), "-n", "root",
                                     "-t", "C,C,C", "-a", "-i", (a.dir() / "root-ca.pem").string()})
                            .exit_code,
                        0);
    return db;
}

// NSS's vfychain on `leaf` for `usage` (-u), the issuing CA given as a further certificate;
// -pp: the libpkix engine. "Chain is good!" in its output when it verifies.
inline CommandResult vfychain(Appliance& a, const std::filesystem::path& db,
                              const std::string& usage, const std::filesystem::path& leaf) {
    return run_command({"vfychain", "-d", "sql:" + db.string(), "-pp", "-u", usage, "-a",
                        leaf.string(), "-a", (a.dir() / "issuing-ca.pem").string()});
}

inline json issue(Appliance& a, const json& request, int expected_status = 201) {
    const auto [status, body] = a.api("POST", "/v1/certificates", request.dump());
    BOOST_REQUIRE_MESSAGE(status == expected_status, "status " << status << ": " << body);
    return json::parse(body);
}

inline std::size_t certificate_count(Appliance& a, std::int64_t subject) {
    const auto [status, body] =
        a.api("GET", "/v1/certificates?subject_id=" + std::to_string(subject));
    BOOST_REQUIRE_EQUAL(status, 200);
    return json::parse(body)["certificates"].size();
}

}  // namespace signet::testing::ca_appliance
