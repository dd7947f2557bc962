#pragma once

// The OCSP end-to-end suite's cluster (one per test process): two signetd processes on one
// external PostgreSQL database and one SoftHSM token, as two nodes behind a balancer. signetctl's
// key ceremony makes the CAs and the issuing CA's OCSP responder certificate; the leaves' AIA
// names node a's /ocsp. Node a also serves the JSON API over HTTPS (for revocations through a
// node); node b serves plain HTTP only. Every answer is checked by clients nobody here wrote:
// `openssl ocsp`, curl, NSS's vfychain.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/ca_appliance.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signetd.hpp"
#include "tests/support/softhsm.hpp"

namespace signet::testing::ocsp_cluster {

// A certificate the suite issued, as files.
struct Leaf {
    std::string serial;  // hex
    std::filesystem::path pem;
};

class Cluster {
  public:
    static Cluster& instance() {
        static Cluster cluster;
        return cluster;
    }

    SignetdProcess& a() { return *a_; }
    SignetdProcess& b() { return *b_; }
    const std::filesystem::path& dir() const { return a_->dir(); }
    std::filesystem::path pki(const std::string& name) const { return dir() / "ceremony" / name; }
    std::filesystem::path root() const { return pki("root-ca.pem"); }
    std::filesystem::path issuing() const { return pki("issuing-ca.pem"); }
    std::string url(SignetdProcess& node) const {
        return "http://127.0.0.1:" + std::to_string(node.http_port()) + "/ocsp";
    }

    CommandResult signetctl(std::vector<std::string> args, const std::string* input = nullptr) {
        args.insert(args.begin(), built_file("ops/signetctl").string());
        args.push_back("--config");
        args.push_back(a_->config_file().string());
        return input != nullptr ? run_command(args, *input + "\n") : run_command(args);
    }

    // A certificate for the person, from a fresh P-256 key, by signetctl (a third process:
    // neither node has seen it issued).
    Leaf issue(const std::string& name) {
        ca_appliance::make_csr(dir(), name, {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"});
        const auto pem = dir() / (name + ".pem");
        const auto r = signetctl({"cert", "issue", "--subject", std::to_string(person_), "--profile",
                                  "personal", "--csr", (dir() / (name + ".csr")).string(), "--out",
                                  pem.string()});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
        const auto serial = run_command({"openssl", "x509", "-noout", "-serial", "-in", pem.string()});
        BOOST_REQUIRE_EQUAL(serial.exit_code, 0);
        std::string hex = serial.output.substr(serial.output.find('=') + 1);
        while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r'))
            hex.pop_back();
        for (auto& c : hex)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return {hex, pem};
    }

    // Revocation through node a's JSON API (HTTPS, bearer token).
    int revoke_through_a(const Leaf& leaf, const std::string& reason) {
        const auto r = run_command(
            {"curl", "-sS", "--cacert", (dir() / "tls.pem").string(), "-H",
             "Authorization: Bearer " + ca_appliance::kBearer, "-H",
             "Content-Type: application/json", "--data-binary",
             "{\"reason\":\"" + reason + "\"}", "-o", (dir() / "revoke.body").string(), "-w",
             "%{http_code}",
             "https://127.0.0.1:" + std::to_string(https_port_) + "/v1/certificates/" +
                 leaf.serial + "/revoke"});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
        return std::stoi(r.output);
    }

  private:
    Cluster() : https_port_(free_port()) {
        dsn_ = TestCluster::instance().fresh_database("ocsp_cluster");
        token_ = SoftHsm::instance().new_token("ocsp-cluster");
        SignetdOptions options{
            .extra_yaml = api_clients_yaml() + ca_appliance::profiles_yaml(0),
            .token_label = token_.token_label,
            .pin_file = SoftHsm::instance().pin_file(),
            .softhsm2_conf = SoftHsm::instance().dir() / "softhsm2.conf",
            .database_dsn = dsn_,
        };
        SignetdOptions with_https = options;
        with_https.extra_listeners = "  https:\n    enabled: true\n    address: 127.0.0.1\n"
                                     "    port: " +
                                     std::to_string(https_port_) +
                                     "\n    tls: {certificate: tls.pem, key: tls.key}\n";
        a_ = std::make_unique<SignetdProcess>(with_https);
        b_ = std::make_unique<SignetdProcess>(options);
        // The leaves' AIA names node a's /ocsp (NSS fetches it from there).
        for (SignetdProcess* node : {a_.get(), b_.get()}) {
            std::string yaml = read_file(node->config_file());
            replace_all(yaml, "http://127.0.0.1:0/",
                                                 "http://127.0.0.1:" +
                                                     std::to_string(a_->http_port()) + "/");
            write_file(node->config_file(), yaml);
        }
        const auto tls = run_command(
            {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
             "subjectAltName=IP:127.0.0.1", "-keyout", (dir() / "tls.key").string(), "-out",
             (dir() / "tls.pem").string()});
        BOOST_REQUIRE_MESSAGE(tls.exit_code == 0, tls.output);

        std::string ceremony = read_file(source_file("ops/ceremony.example.yaml"));
        replace_all(
            ceremony, "http://127.0.0.1:8080/",
            "http://127.0.0.1:" + std::to_string(a_->http_port()) + "/");
        write_file(dir() / "ceremony.yaml", ceremony);
        const auto run = signetctl({"ceremony", (dir() / "ceremony.yaml").string()});
        BOOST_REQUIRE_MESSAGE(run.exit_code == 0, run.output);
        // A person verified by an officer; the registry hashes the number under the HSM key.
        const auto key = run_command({built_file("ops/signetctl").string(), "hsm", "hmac-key",
                                      "--label", "signet-identity", "--token",
                                      token_.token_label, "--pin",
                                      "file:" + SoftHsm::instance().pin_file().string()});
        BOOST_REQUIRE_MESSAGE(key.exit_code == 0, key.output);
        const std::string number = "11010519491231002X";
        const auto subject = signetctl({"subject", "add", "--kind", "person", "--name", "Wang Fang",
                                        "--document-kind", "cn_resident_id", "--mobile",
                                        "+8613800138000"},
                                       &number);
        BOOST_REQUIRE_MESSAGE(subject.exit_code == 0 && subject.output.starts_with("id:"),
                              subject.output);
        person_ = std::stoll(subject.output.substr(3));
        const auto verified = signetctl({"subject", "verify", std::to_string(person_), "--level",
                                         "3", "--reason", "documents seen in person"},
                                        &number);
        BOOST_REQUIRE_MESSAGE(verified.exit_code == 0, verified.output);
        a_->start();
        b_->start();
    }

    static void replace_all(std::string& text, const std::string& from, const std::string& to) {
        for (auto at = text.find(from); at != std::string::npos;
             at = text.find(from, at + to.size()))
            text.replace(at, from.size(), to);
    }

    static std::string api_clients_yaml() {
        return "api_clients:\n"
               "  - name: frontend\n"
               "    scopes: [certificates:issue, certificates:read, certificates:revoke]\n"
               "    token_sha256: " +
               ca_appliance::sha256_hex(ca_appliance::kBearer) + "\n";
    }

    std::uint16_t https_port_;
    std::string dsn_;
    hsm::TokenConfig token_;
    std::unique_ptr<SignetdProcess> a_;
    std::unique_ptr<SignetdProcess> b_;
    std::int64_t person_ = 0;
};

}  // namespace signet::testing::ocsp_cluster
