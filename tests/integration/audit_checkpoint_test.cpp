// signetd's tamper-evident log end to end (issue 14, docs/evidence.md "The tamper-evident log"):
// one node on a real SoftHSM token and its embedded PostgreSQL, the example ceremony's
// audit-checkpoint key, checkpoints every second. What the routes serve is checked by openssl
// (signature, certificate chain, time-stamp token) and by RFC 9162's verifiers; the shutdown
// checkpoint covers node.stopped; a file witness gets one line per new checkpoint and a URL
// witness that is down is offered the checkpoint again once it is up; signetctl audit verify is
// clean on what signetd left and names an event changed behind the trigger.
//
// The test cases run in order on one node (each builds on what the previous left).
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "audit/log.hpp"
#include "audit/merkle.hpp"
#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/digest.hpp"
#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "tests/integration/tsa_client.hpp"
#include "tests/support/signetd.hpp"
#include "tests/support/softhsm.hpp"

extern char** environ;

using namespace signet::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kBearer = "audit-integration-bearer-0123456789abcdef";
const std::string kFileWitness = "witness: {file: witness.jsonl}";

// A child process (the witness receiver), ended with SIGTERM when the object goes.
class Child {
  public:
    explicit Child(const std::vector<std::string>& argv) {
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        BOOST_REQUIRE_EQUAL(posix_spawn(&pid_, args[0], nullptr, nullptr, args.data(), environ), 0);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }

  private:
    pid_t pid_ = -1;
};

// Polls `done` until it holds; fails naming `what` after a generous bound (not a timing
// assertion: a working node gets there in a few seconds).
void wait_until(const std::function<bool()>& done, const std::string& what) {
    const auto until = std::chrono::steady_clock::now() + 120s;
    while (!done()) {
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < until, "waited in vain: " << what);
        std::this_thread::sleep_for(200ms);
    }
}

signet::audit::Hash hash_of(const std::string& base64) {
    const auto bytes = signet::from_base64(base64);
    BOOST_REQUIRE_EQUAL(bytes.size(), 32u);
    signet::audit::Hash h{};
    std::copy(bytes.begin(), bytes.end(), h.begin());
    return h;
}

std::vector<signet::audit::Hash> path_of(const json& path) {
    std::vector<signet::audit::Hash> hashes;
    for (const auto& h : path)
        hashes.push_back(hash_of(h.get<std::string>()));
    return hashes;
}

class Node {
  public:
    static Node& instance() {
        static Node node;
        return node;
    }

    SignetdProcess& process() { return *node_; }
    const std::filesystem::path& dir() const { return node_->dir(); }
    std::uint16_t witness_port() const { return witness_port_; }

    // curl over HTTPS with the auditor's bearer token; {status, body}.
    std::pair<int, std::string> get(const std::string& target) {
        const auto r = run_command({"curl", "-sS", "--cacert", (dir() / "tls.pem").string(), "-H",
                                    "Authorization: Bearer " + kBearer, "-o",
                                    (dir() / "curl.body").string(), "-w", "%{http_code}",
                                    "https://127.0.0.1:" + std::to_string(https_port_) + target});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "curl failed: " << r.output);
        return {std::stoi(r.output), read_file(dir() / "curl.body")};
    }
    json get_json(const std::string& target) {
        const auto [status, body] = get(target);
        BOOST_REQUIRE_MESSAGE(status == 200, target << ": " << status << " " << body);
        return json::parse(body);
    }
    // The latest checkpoint's size, 0 before the first.
    std::uint64_t latest_size() {
        const auto [status, body] = get("/v1/audit/checkpoints/latest");
        return status == 200 ? json::parse(body)["size"].get<std::uint64_t>() : 0;
    }

    CommandResult signetctl(std::vector<std::string> words) {
        words.insert(words.begin(), built_file("ops/signetctl").string());
        words.insert(words.end(), {"--config", node_->config_file().string()});
        return run_command(words);
    }

    // Events recorded through the log's own interface while signetd runs, as a service would.
    void record_events(int count) {
        signet::store::Database db(
            {.dsn = signet::store::EmbeddedPostgres::dsn_for(node_->state_dir()), .pool_size = 1});
        signet::SystemClock clock;
        signet::audit::PostgresAuditLog log(db, clock);
        for (int i = 0; i < count; ++i)
            log.record({.type = "test.event",
                        .actor = "operator:test",
                        .object = "test:" + std::to_string(i),
                        .details = {{"n", i}}});
    }
    void issue_time_stamps(int count) {
        for (int i = 0; i < count; ++i) {
            const auto reply = http_request(node_->http_port(), "POST", "/tsa", tsa_query(),
                                            "application/timestamp-query");
            BOOST_REQUIRE_EQUAL(reply.status, 200);
        }
    }

    // Switches the witness in signet.yaml (the node must be stopped).
    void set_witness(const std::string& witness) {
        std::string yaml = read_file(node_->config_file());
        const auto at = yaml.find(kFileWitness);
        BOOST_REQUIRE(at != std::string::npos);
        yaml.replace(at, kFileWitness.size(), witness);
        write_file(node_->config_file(), yaml);
    }

  private:
    Node() : https_port_(free_port()), witness_port_(free_port()) {
        const std::string yaml =
            "api_clients:\n"
            "  - name: auditor\n"
            "    scopes: [audit]\n"
            "    token_sha256: " +
            sha256_hex(kBearer) +
            "\n"
            // Test machines often run without NTP; the clock's
            // checks have tests of their own.
            "tsa:\n"
            "  allow_unsynchronized_clock: true\n"
            "audit:\n"
            "  log_name: signet.test/audit\n"
            "  checkpoint_interval: 1\n"
            "  " +
            kFileWitness + "\n";
        node_ = std::make_unique<SignetdProcess>(
            yaml, "  https:\n    enabled: true\n    address: 127.0.0.1\n    port: " +
                      std::to_string(https_port_) +
                      "\n    tls: {certificate: tls.pem, key: tls.key}\n");
        const auto tls =
            run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                         (dir() / "tls.key").string(), "-out", (dir() / "tls.pem").string()});
        BOOST_REQUIRE_MESSAGE(tls.exit_code == 0, tls.output);
        std::string ceremony = read_file(source_file("ops/ceremony.example.yaml"));
        const std::string example = "http://127.0.0.1:8080/";
        const std::string here = "http://127.0.0.1:" + std::to_string(node_->http_port()) + "/";
        for (auto at = ceremony.find(example); at != std::string::npos;
             at = ceremony.find(example, at + here.size()))
            ceremony.replace(at, example.size(), here);
        write_file(dir() / "ceremony.yaml", ceremony);
        const auto run = signetctl({"ceremony", (dir() / "ceremony.yaml").string()});
        BOOST_REQUIRE_MESSAGE(run.exit_code == 0, run.output);
        node_->start();
    }

    static std::string sha256_hex(const std::string& text) {
        const auto digest = signet::sha256_of(std::string_view(text));
        return signet::to_hex({digest.data(), digest.size()});
    }

    std::uint16_t https_port_;
    std::uint16_t witness_port_;
    std::unique_ptr<SignetdProcess> node_;
};

// The witness file's checkpoints, one JSON document a line.
std::vector<json> witness_lines(const std::filesystem::path& file) {
    std::vector<json> lines;
    if (!std::filesystem::exists(file))
        return lines;
    std::istringstream in(read_file(file));
    for (std::string line; std::getline(in, line);)
        lines.push_back(json::parse(line));
    return lines;
}

// The first checkpoint whose size it saw, and one made after more events, for the later cases.
json first_checkpoint;
json second_checkpoint;

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_checkpoints_in_signetd)

BOOST_AUTO_TEST_CASE(checkpoints_are_made_while_events_are_added_and_verify_with_openssl) {
    auto& node = Node::instance();
    wait_until([&] { return node.latest_size() > 0; }, "a first checkpoint");
    first_checkpoint = node.get_json("/v1/audit/checkpoints/latest");
    node.record_events(5);
    node.issue_time_stamps(3);
    const auto first_size = first_checkpoint["size"].get<std::uint64_t>();
    wait_until([&] { return node.latest_size() > first_size + 5; }, "a checkpoint of new events");
    second_checkpoint = node.get_json("/v1/audit/checkpoints/latest");
    const auto second_size = second_checkpoint["size"].get<std::uint64_t>();
    BOOST_CHECK_EQUAL(second_checkpoint["origin"], "signet.test/audit");
    BOOST_CHECK(node.get_json("/v1/audit/checkpoints/" + std::to_string(first_size)) ==
                first_checkpoint);

    // The signature and the time-stamp token, checked by openssl apart from Signet.
    const auto d = node.dir();
    write_file(d / "body", second_checkpoint["body"].get<std::string>());
    for (const char* part : {"signature", "certificate", "time_stamp_token"}) {
        const auto bytes = signet::from_base64(second_checkpoint[part].get<std::string>());
        write_file(d / part, std::string(bytes.begin(), bytes.end()));
    }
    for (const char* ca : {"root-ca", "issuing-ca"}) {
        const auto r =
            http_request(node.process().http_port(), "GET", std::string("/ca/") + ca + ".crt");
        BOOST_REQUIRE_EQUAL(r.status, 200);
        write_file(d / (std::string(ca) + ".der"), r.body);
        BOOST_REQUIRE_EQUAL(run_command({"openssl", "x509", "-inform", "DER", "-in",
                                         (d / (std::string(ca) + ".der")).string(), "-out",
                                         (d / (std::string(ca) + ".pem")).string()})
                                .exit_code,
                            0);
    }
    BOOST_REQUIRE_EQUAL(
        run_command({"openssl", "x509", "-inform", "DER", "-in", (d / "certificate").string(),
                     "-out", (d / "checkpoint.pem").string()})
            .exit_code,
        0);
    const auto chain =
        run_command({"openssl", "verify", "-CAfile", (d / "root-ca.pem").string(), "-untrusted",
                     (d / "issuing-ca.pem").string(), (d / "checkpoint.pem").string()});
    BOOST_CHECK_MESSAGE(chain.exit_code == 0, chain.output);
    const auto pub = run_command({"openssl", "x509", "-in", (d / "checkpoint.pem").string(),
                                  "-pubkey", "-noout", "-out", (d / "checkpoint.pub").string()});
    BOOST_REQUIRE_MESSAGE(pub.exit_code == 0, pub.output);
    const auto signature =
        run_command({"openssl", "dgst", "-sha256", "-verify", (d / "checkpoint.pub").string(),
                     "-signature", (d / "signature").string(), (d / "body").string()});
    BOOST_CHECK_MESSAGE(
        signature.exit_code == 0 && signature.output.find("Verified OK") != std::string::npos,
        signature.output);
    const auto token =
        run_command({"openssl", "ts", "-verify", "-data", (d / "body").string(), "-in",
                     (d / "time_stamp_token").string(), "-token_in", "-CAfile",
                     (d / "root-ca.pem").string(), "-untrusted", (d / "issuing-ca.pem").string()});
    BOOST_CHECK_MESSAGE(token.exit_code == 0 && token.output.find("OK") != std::string::npos,
                        token.output);

    // An event's inclusion in the second tree, and the two trees' consistency (RFC 9162).
    const auto second_root = hash_of(second_checkpoint["root"].get<std::string>());
    for (std::uint64_t seq : {std::uint64_t{1}, first_size, second_size}) {
        const auto proof = node.get_json("/v1/audit/proof/inclusion?seq=" + std::to_string(seq) +
                                         "&size=" + std::to_string(second_size));
        const auto path = path_of(proof["path"]);
        const auto leaf = hash_of(proof["leaf_hash"].get<std::string>());
        BOOST_CHECK_MESSAGE(
            signet::audit::verify_inclusion(seq - 1, second_size, leaf, path, second_root),
            "inclusion of event " << seq);
        auto wrong_leaf = leaf;
        wrong_leaf[0] ^= 1;
        BOOST_CHECK(
            !signet::audit::verify_inclusion(seq - 1, second_size, wrong_leaf, path, second_root));
    }
    const auto consistency =
        node.get_json("/v1/audit/proof/consistency?first=" + std::to_string(first_size) +
                      "&second=" + std::to_string(second_size));
    const auto first_root = hash_of(first_checkpoint["root"].get<std::string>());
    BOOST_CHECK(signet::audit::verify_consistency(first_size, second_size, first_root, second_root,
                                                  path_of(consistency["path"])));
    BOOST_CHECK(!signet::audit::verify_consistency(first_size, second_size, second_root,
                                                   second_root, path_of(consistency["path"])));
}

BOOST_AUTO_TEST_CASE(the_file_witness_gets_one_line_per_new_checkpoint) {
    auto& node = Node::instance();
    const auto file = node.dir() / "witness.jsonl";
    const auto second_size = second_checkpoint["size"].get<std::uint64_t>();
    wait_until(
        [&] {
            const auto lines = witness_lines(file);
            return !lines.empty() && lines.back()["size"].get<std::uint64_t>() >= second_size;
        },
        "the second checkpoint in the witness file");
    const auto lines = witness_lines(file);
    bool saw_first = false;
    bool saw_second = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto size = lines[i]["size"].get<std::uint64_t>();
        if (i > 0)  // one line per NEW checkpoint: sizes strictly grow
            BOOST_CHECK_GT(size, lines[i - 1]["size"].get<std::uint64_t>());
        BOOST_CHECK(lines[i] == node.get_json("/v1/audit/checkpoints/" + std::to_string(size)));
        saw_first = saw_first || lines[i] == first_checkpoint;
        saw_second = saw_second || lines[i] == second_checkpoint;
    }
    BOOST_CHECK(saw_first);
    BOOST_CHECK(saw_second);
}

BOOST_AUTO_TEST_CASE(at_shutdown_a_last_checkpoint_covers_every_event) {
    auto& node = Node::instance();
    node.record_events(2);
    BOOST_REQUIRE_EQUAL(node.process().stop(), 0);
    signet::store::EmbeddedPostgres cluster({.state_dir = node.process().state_dir()});
    signet::store::Database db({.dsn = cluster.dsn(), .pool_size = 1});
    db.with_connection([&](signet::store::Connection& c) {
        const auto last =
            c.exec("SELECT max(seq) AS seq FROM audit_events")[0]["seq"].as<std::int64_t>();
        const auto size =
            c.exec("SELECT max(size) AS size FROM audit_checkpoints")[0]["size"].as<std::int64_t>();
        // The checkpoint covers every event up to node.stopped; its own audit.checkpoint event,
        // committed with it, is the one after.
        BOOST_CHECK_EQUAL(last, size + 1);
        const auto events =
            c.exec("SELECT seq, event_type, object FROM audit_events WHERE seq >= " +
                   std::to_string(size) + " ORDER BY seq");
        BOOST_REQUIRE_EQUAL(events.size(), 2u);
        BOOST_CHECK_EQUAL(events[0]["event_type"].as<std::string>(), "node.stopped");
        BOOST_CHECK_EQUAL(events[1]["event_type"].as<std::string>(), "audit.checkpoint");
        BOOST_CHECK_EQUAL(events[1]["object"].as<std::string>(),
                          "audit_checkpoint:" + std::to_string(size));
        const auto lines = witness_lines(node.dir() / "witness.jsonl");
        BOOST_REQUIRE(!lines.empty());
        BOOST_CHECK_EQUAL(lines.back()["size"].get<std::int64_t>(), size);
    });
}

BOOST_AUTO_TEST_CASE(a_url_witness_that_is_down_holds_up_nothing_and_is_offered_again) {
    auto& node = Node::instance();
    const std::string port = std::to_string(node.witness_port());
    node.set_witness("witness: {url: 'http://127.0.0.1:" + port + "/add'}");
    node.process().start();
    const auto before = node.latest_size();
    node.record_events(3);
    // Nobody listens on the witness port: checkpoints are made all the same.
    wait_until([&] { return node.latest_size() > before + 3; }, "a checkpoint, witness down");
    wait_until(
        [&] {
            return node.process().output().find("audit checkpoint witness failed") !=
                   std::string::npos;
        },
        "the witness failure logged");

    TempDir posts("signet-witness");
    Child receiver({"/usr/bin/python3",
                    source_file("tests/integration/witness_receiver.py").string(), port,
                    posts.path().string(), (posts / "ready").string()});
    // The log is idle now, so the next interval's checkpoint_now returns the same latest
    // checkpoint, which was not delivered: it is offered again.
    wait_until([&] { return std::filesystem::exists(posts / "post-1.json"); }, "a POST");
    const auto posted = json::parse(read_file(posts / "post-1.json"));
    const auto size = posted["size"].get<std::uint64_t>();
    BOOST_CHECK_GT(size, before + 3);
    BOOST_CHECK(posted == node.get_json("/v1/audit/checkpoints/" + std::to_string(size)));
}

BOOST_AUTO_TEST_CASE(signetctl_audit_verify_is_clean_then_names_a_tampered_event) {
    auto& node = Node::instance();
    BOOST_REQUIRE_EQUAL(node.process().stop(), 0);
    const auto clean = node.signetctl({"audit", "verify"});
    BOOST_CHECK_MESSAGE(clean.exit_code == 0, clean.output);
    BOOST_CHECK_MESSAGE(clean.output.find("the audit log is intact") != std::string::npos,
                        clean.output);
    {
        // As the superuser, behind the append-only trigger.
        signet::store::EmbeddedPostgres cluster({.state_dir = node.process().state_dir()});
        signet::store::Database db({.dsn = cluster.dsn(), .pool_size = 1});
        db.with_connection([](signet::store::Connection& c) {
            c.exec("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only");
            c.exec("UPDATE audit_events SET actor = actor || 'x' WHERE seq = 3");
            c.exec("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only");
        });
    }
    const auto tampered = node.signetctl({"audit", "verify"});
    BOOST_CHECK_NE(tampered.exit_code, 0);
    BOOST_CHECK_MESSAGE(tampered.output.find("event 3") != std::string::npos, tampered.output);
}

BOOST_AUTO_TEST_SUITE_END()
