// signetd as a process: its own SoftHSM token, its embedded PostgreSQL, real HTTP over loopback.
#include "tests/support/signetd.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet::testing;

namespace {

// pg_ctl on signetd's embedded cluster, run as the cluster's owner (PostgreSQL refuses root).
CommandResult pg_ctl(const SignetdProcess& node, const std::vector<std::string>& args) {
    const auto data_dir = node.state_dir() / "postgres";
    const std::string bin_dir = [] {
        auto r = run_command({"pg_config", "--bindir"});
        std::string dir = r.output.substr(0, r.output.find('\n'));
        return dir.empty() ? std::string("/usr/lib/postgresql/15/bin") : dir;
    }();
    std::vector<std::string> argv;
    struct stat st {};
    if (geteuid() == 0 && stat(data_dir.c_str(), &st) == 0 && st.st_uid != 0) {
        argv = {"setpriv", "--reuid=" + std::to_string(st.st_uid),
                "--regid=" + std::to_string(st.st_gid), "--clear-groups", "--"};
    }
    argv.push_back(bin_dir + "/pg_ctl");
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"-D", data_dir.string()});
    return run_command(argv);
}

nlohmann::json healthz(const SignetdProcess& node, int* status = nullptr) {
    const auto r = http_request(node.http_port(), "GET", "/healthz");
    if (status != nullptr)
        *status = r.status;
    return nlohmann::json::parse(r.body, nullptr, false);
}

// Polls until `predicate` holds or ~20 s pass.
template <class P>
bool eventually(P&& predicate) {
    for (int i = 0; i < 200; ++i) {
        if (predicate())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

// The embedded cluster's postmaster and its children (backends, background workers).
std::vector<pid_t> postgres_processes(const SignetdProcess& node) {
    std::ifstream pid_file(node.state_dir() / "postgres" / "postmaster.pid");
    pid_t postmaster = 0;
    pid_file >> postmaster;
    std::vector<pid_t> pids;
    if (postmaster <= 0)
        return pids;
    pids.push_back(postmaster);
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit))
            continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        std::getline(stat, line);
        // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
        const auto close = line.rfind(')');
        if (close == std::string::npos)
            continue;
        std::istringstream rest(line.substr(close + 1));
        char state = 0;
        pid_t parent = 0;
        rest >> state >> parent;
        if (parent == postmaster)
            pids.push_back(static_cast<pid_t>(std::stoi(name)));
    }
    return pids;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signetd)

BOOST_AUTO_TEST_CASE(serves_liveness_health_and_metrics_and_stops_cleanly) {
    SignetdProcess node;
    node.start();
    const auto livez = http_request(node.http_port(), "GET", "/livez");
    BOOST_CHECK_EQUAL(livez.status, 200);
    BOOST_CHECK_EQUAL(livez.headers.at("content-type"), "application/json");
    BOOST_CHECK(!livez.headers.at("x-request-id").empty());

    const auto health = healthz(node);
    BOOST_REQUIRE(health.is_object());
    BOOST_CHECK_EQUAL(health["checks"]["hsm"]["status"], "ok");
    BOOST_CHECK_EQUAL(health["checks"]["database"]["status"], "ok");
    BOOST_CHECK(health["checks"].contains("clock"));

    const auto metrics = http_request(node.http_port(), "GET", "/metrics");
    BOOST_CHECK_EQUAL(metrics.status, 200);
    BOOST_CHECK(metrics.body.find("signet_db_pool_open") != std::string::npos);
    BOOST_CHECK(metrics.body.find("signet_hsm_sessions_replaced_total 0") != std::string::npos);

    const auto missing = http_request(node.http_port(), "GET", "/no/such/route");
    BOOST_CHECK_EQUAL(missing.status, 404);
    BOOST_CHECK_EQUAL(missing.headers.at("content-type"), "application/problem+json");

    // SIGTERM: a clean exit, and the embedded PostgreSQL is stopped with it.
    BOOST_CHECK_EQUAL(node.stop(SIGTERM), 0);
    BOOST_CHECK(!std::filesystem::exists(node.state_dir() / "postgres" / "postmaster.pid"));
    const std::string output = node.output();
    BOOST_CHECK(output.find("signetd stopping") != std::string::npos);
    // The access log has one JSON line per request and no secret.
    const std::string access = read_file(node.dir() / "access.log");
    BOOST_CHECK(access.find("\"route\":\"/livez\"") != std::string::npos);
    BOOST_CHECK(access.find(SoftHsm::kUserPin) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(database_restart_gives_503_then_recovers_without_restarting_signetd) {
    SignetdProcess node;
    node.start();
    BOOST_REQUIRE_EQUAL(healthz(node)["checks"]["database"]["status"], "ok");

    const auto stopped = pg_ctl(node, {"stop", "-m", "fast", "-w"});
    BOOST_TEST_MESSAGE(stopped.output);
    BOOST_REQUIRE_EQUAL(stopped.exit_code, 0);
    int status = 0;
    const auto down = healthz(node, &status);
    BOOST_CHECK_EQUAL(status, 503);
    BOOST_CHECK_EQUAL(down["checks"]["database"]["status"], "down");
    BOOST_CHECK_EQUAL(http_request(node.http_port(), "GET", "/livez").status, 200);

    const auto started = pg_ctl(
        node, {"start", "-w", "-l", (node.state_dir() / "postgres" / "restart.log").string()});
    BOOST_TEST_MESSAGE(started.output);
    BOOST_REQUIRE_EQUAL(started.exit_code, 0);
    BOOST_CHECK(eventually([&] { return healthz(node)["checks"]["database"]["status"] == "ok"; }));
    BOOST_CHECK_EQUAL(node.stop(SIGTERM), 0);
}

// Issue 10: SIGTERM while a handler waits on a database that does not answer (every PostgreSQL
// process stopped with SIGSTOP; the statement timeout far away). The request is abandoned after
// the grace and logged, and signetd exits 1 at once rather than waiting on it in an orderly stop.
BOOST_AUTO_TEST_CASE(sigterm_with_a_handler_stuck_on_the_database_exits_after_the_grace) {
    SignetdProcess node(
        "limits: {shutdown_grace_ms: 500}\n"
        "database: {statement_timeout_ms: 600000, wait_ms: 600000}\n");
    node.start();
    const auto frozen = postgres_processes(node);
    BOOST_REQUIRE_GE(frozen.size(), 2u);
    for (const pid_t pid : frozen)
        kill(pid, SIGSTOP);

    // /crl/ reads the database on a worker; it cannot answer while PostgreSQL is stopped.
    std::thread client([&] { http_request(node.http_port(), "GET", "/crl/issuing-ca.crl"); });
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const auto started = std::chrono::steady_clock::now();
    const auto status = node.stop_within(SIGTERM, std::chrono::seconds(30));
    const auto took = std::chrono::steady_clock::now() - started;
    for (const pid_t pid : frozen)
        kill(pid, SIGCONT);
    client.join();

    // The bound only tells a hang (the 600 s statement timeout) from an exit after the grace.
    BOOST_REQUIRE_MESSAGE(status.has_value(), "signetd still runs 30 s after SIGTERM");
    BOOST_TEST_MESSAGE("signetd exited "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                       << " ms after SIGTERM with the grace at 500 ms");
    // Issue 10's promise: out within the grace plus one second (the process, not a speed goal).
    BOOST_CHECK_LT(std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), 500 + 1000);
    BOOST_CHECK_EQUAL(*status, 1);
    const std::string output = node.output();
    BOOST_CHECK(output.find("abandoning a request still in its handler") != std::string::npos);
    BOOST_CHECK(output.find("exiting without an orderly stop") != std::string::npos);
    // The embedded PostgreSQL was asked to stop too: nothing is left running.
    BOOST_CHECK(eventually([&] {
        return std::none_of(frozen.begin(), frozen.end(), [](pid_t pid) {
            return kill(pid, 0) == 0 &&
                   std::filesystem::exists("/proc/" + std::to_string(pid) + "/exe");
        });
    }));
}

// Issue 10: an HSM that goes away under a running signetd (the fault-injecting module answers
// CKR_TOKEN_NOT_PRESENT to every call, as a removed token or an unreachable network HSM does):
// /healthz says hsm down with the reason, and once the token is back the node recovers by itself.
BOOST_AUTO_TEST_CASE(a_lost_hsm_shows_in_healthz_and_the_node_recovers_by_itself) {
    TempDir scratch("signet-hsm-fault");
    const auto fault_file = scratch.path() / "fault";
    setenv("FAULTY_PKCS11_FAULT_FILE", fault_file.c_str(), 1);
    SignetdOptions options;
    options.hsm_module = SIGNET_FAULTY_PKCS11;
    SignetdProcess node(options);
    node.start();
    unsetenv("FAULTY_PKCS11_FAULT_FILE");  // the child has it; no other node in this test needs it
    BOOST_REQUIRE_EQUAL(healthz(node)["checks"]["hsm"]["status"], "ok");

    write_file(fault_file, "e0\n");  // CKR_TOKEN_NOT_PRESENT
    int status = 0;
    nlohmann::json down;
    BOOST_CHECK(eventually([&] {
        down = healthz(node, &status);
        return down["checks"]["hsm"]["status"] == "down";
    }));
    BOOST_CHECK_EQUAL(status, 503);
    BOOST_TEST_MESSAGE("hsm while lost: " << down["checks"]["hsm"].dump());
    BOOST_CHECK(down["checks"]["hsm"]["detail"].get<std::string>().find("CKR_TOKEN_NOT_PRESENT") !=
                std::string::npos);
    BOOST_CHECK_EQUAL(down["checks"]["database"]["status"], "ok");
    BOOST_CHECK_EQUAL(http_request(node.http_port(), "GET", "/livez").status, 200);

    std::filesystem::remove(fault_file);  // the token is back
    BOOST_CHECK(eventually([&] { return healthz(node)["checks"]["hsm"]["status"] == "ok"; }));
    BOOST_CHECK_EQUAL(node.stop(SIGTERM), 0);
}

BOOST_AUTO_TEST_CASE(start_and_configured_api_clients_are_audit_events) {
    const std::string hash(64, 'b');
    SignetdProcess node(
        "api_clients:\n  - name: platform\n    scopes: [tsa]\n    token_sha256: " + hash + "\n");
    node.start();
    signet::store::Database db(signet::store::DatabaseOptions{
        .dsn = signet::store::EmbeddedPostgres::dsn_for(node.state_dir())});
    const auto events = db.with_connection([](signet::store::Connection& c) {
        std::vector<std::string> out;
        const auto result =
            c.exec("SELECT event_type || ' ' || object AS e FROM audit_events ORDER BY seq");
        for (std::size_t i = 0; i < result.size(); ++i)
            out.push_back(result[i]["e"].as<std::string>());
        return out;
    });
    BOOST_REQUIRE_GE(events.size(), 2u);
    BOOST_CHECK(events[0].starts_with("node.started node:"));
    BOOST_CHECK_EQUAL(events[1], "api_client.created api_client:platform");
    const auto token = db.with_connection([](signet::store::Connection& c) {
        return c.exec("SELECT details::text AS d FROM audit_events WHERE seq = 2")[0]["d"]
            .as<std::string>();
    });
    // The audit details say which credential kinds a client has, never the credential.
    BOOST_CHECK(token.find("bbbb") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_second_signetd_on_the_same_state_dir_refuses_to_start) {
    SignetdProcess node;
    node.start();
    // Same state directory, another port.
    std::string yaml = read_file(node.dir() / "signet.yaml");
    const std::string port = std::to_string(node.http_port());
    yaml.replace(yaml.find(port), port.size(), std::to_string(free_port()));
    write_file(node.dir() / "second.yaml", yaml);
    const auto second = run_command({std::string(std::getenv("SIGNET_BINARY_DIR")) + "/api/signetd",
                                     "--config", (node.dir() / "second.yaml").string()});
    BOOST_TEST_MESSAGE(second.output);
    BOOST_CHECK_EQUAL(second.exit_code, 7);  // failed precondition
    BOOST_CHECK(second.output.find("in use") != std::string::npos);
    BOOST_CHECK_EQUAL(http_request(node.http_port(), "GET", "/livez").status, 200);
}

BOOST_AUTO_TEST_CASE(configuration_errors_stop_it_with_file_and_line) {
    TempDir dir;
    write_file(dir / "bad.yaml",
               "state_dir: x\nhsm:\n  token: t\n  pin: file:/nonexistent\nlisteners:\n  http:\n    "
               "port: 99999\n");
    const auto r = run_command({std::string(std::getenv("SIGNET_BINARY_DIR")) + "/api/signetd",
                                "--config", (dir / "bad.yaml").string()});
    BOOST_CHECK_EQUAL(r.exit_code, 2);
    BOOST_CHECK(r.output.find("bad.yaml:7:11: listeners.http.port: 99999 is not a port") !=
                std::string::npos);
    BOOST_CHECK(r.output.find("bad.yaml:4:8: hsm.pin") != std::string::npos);
}

// The exit status table signetctl uses too (common/exit_status.hpp), as a service manager sees it.
BOOST_AUTO_TEST_CASE(failures_exit_with_the_shared_exit_status) {
    const std::string signetd = std::string(std::getenv("SIGNET_BINARY_DIR")) + "/api/signetd";
    const auto help = run_command({signetd, "--help"});
    BOOST_CHECK_EQUAL(help.exit_code, 0);
    BOOST_CHECK(help.output.find("Exit status (the same for signetd and signetctl)") !=
                std::string::npos);
    BOOST_CHECK(help.output.find("  7  failed precondition") != std::string::npos);

    const auto unknown_option = run_command({signetd, "--frobnicate"});
    BOOST_CHECK_EQUAL(unknown_option.exit_code, 2);  // usage

    // Never started: only its signet.yaml, edited to name a token or a PIN that is wrong.
    SignetdProcess node;
    const std::string yaml = read_file(node.config_file());
    auto run_with = [&](const std::string& from, const std::string& to) {
        std::string edited = yaml;
        edited.replace(edited.find(from), from.size(), to);
        write_file(node.dir() / "edited.yaml", edited);
        auto result = run_command({signetd, "--config", (node.dir() / "edited.yaml").string()});
        BOOST_TEST_MESSAGE(result.output);
        return result;
    };
    const auto no_token = run_with("token: " + node.token_label(), "token: no-such-token");
    BOOST_CHECK_EQUAL(no_token.exit_code, 3);  // not found
    BOOST_CHECK(no_token.output.find("no-such-token") != std::string::npos);

    write_file(node.dir() / "wrong.pin", "wrong-pin-value\n");
    const auto wrong_pin = run_with("pin: file:" + SoftHsm::instance().pin_file().string(),
                                    "pin: file:" + (node.dir() / "wrong.pin").string());
    BOOST_CHECK_EQUAL(wrong_pin.exit_code, 4);  // permission denied
    BOOST_CHECK(wrong_pin.output.find("CKR_PIN_INCORRECT") != std::string::npos);
    BOOST_CHECK(wrong_pin.output.find("wrong-pin-value") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
