// A hot standby promoted under load (issue 14, docs/evidence.md "Backup, restore and standby"):
// a primary and a streaming standby from Debian's PostgreSQL 15 (initdb, pg_basebackup -R),
// synchronous replication; signetd on the libpq multi-host DSN with
// target_session_attrs=read-write; client threads asking /tsa for tokens all along, and a
// platform front end (contract_flow.hpp) registering a person, issuing its certificate and
// having it sign a contract over HTTPS, again and again; the primary stopped hard (pg_ctl stop
// -m immediate) and the standby promoted in the middle. Then: signetd reconnected to the new
// primary by itself and issues and signs again, every token a client received is in the
// promoted cluster's tsa_tokens, every signature the front end got an OK for and the
// certificate of every person it registered are there (asked through the API), and every other
// answer was a clear refusal (for /tsa an RFC 3161 rejection, systemFailure: the TSA's way of
// saying 503, DESIGN.md invariant 5; for the API a 5xx problem+json), never a wrong answer nor
// a hang.
#include <openssl/ts.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "store/database.hpp"
#include "store/postgres_programs.hpp"
#include "tests/integration/contract_flow.hpp"
#include "tests/integration/tsa_client.hpp"
#include "tests/support/signetd.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet::testing;
namespace store = signet::store;
namespace fs = std::filesystem;

namespace {

// One PostgreSQL server of the pair: its data directory under `base`, TCP on 127.0.0.1:port.
struct Server {
    fs::path data;
    std::uint16_t port;
};

class ReplicaSet {
  public:
    ReplicaSet() {
        fs::permissions(base_.path(), fs::perms::others_exec, fs::perm_options::add);
        primary_ = {base_ / "primary", free_port()};
        standby_ = {base_ / "standby", free_port()};
        store::make_directory_for(primary_.data, as_);
        run({bin("initdb"), "-D", primary_.data.string(), "-U", "signet", "--auth=trust",
             "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"});
        append(primary_,
               "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
               "synchronous_commit = on\n"
               // a process crash keeps the page cache; the machine is not crashed here
               "fsync = off\n");
        start(primary_);
        exec(primary_, "CREATE DATABASE signet");
        store::make_directory_for(standby_.data, as_);
        run({bin("pg_basebackup"), "-h", "127.0.0.1", "-p", std::to_string(primary_.port), "-U",
             "signet", "-D", standby_.data.string(), "-R", "-X", "stream", "--checkpoint=fast"});
        // Its own port and socket directory; once promoted, it has no standby of its own to
        // wait for.
        append(standby_, "synchronous_standby_names = ''\n");
        start(standby_);
        // Synchronous replication (PostgreSQL 15 §27.2.8), once there is a standby (before, every
        // commit would wait): a COMMIT returns when the standby has flushed it, so whatever
        // signetd acknowledged survives the primary's loss.
        exec(primary_, "ALTER SYSTEM SET synchronous_standby_names = '*'");
        exec(primary_, "SELECT pg_reload_conf()");
        // Until the standby streams synchronously, the primary's commits would wait or not be
        // covered.
        for (int i = 0;
             i < 600 && query(primary_, "SELECT sync_state FROM pg_stat_replication") != "sync";
             ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        BOOST_REQUIRE_EQUAL(query(primary_, "SELECT sync_state FROM pg_stat_replication"), "sync");
    }
    ~ReplicaSet() {
        for (const Server* s : {&standby_, &primary_})
            store::run_program({bin("pg_ctl"), "stop", "-D", s->data.string(), "-m", "immediate"},
                               identity());
    }

    // The multi-host DSN: libpq tries the hosts in order and keeps the one that takes writes.
    std::string dsn() const {
        return "host=127.0.0.1,127.0.0.1 port=" + std::to_string(primary_.port) + "," +
               std::to_string(standby_.port) +
               " dbname=signet user=signet target_session_attrs=read-write";
    }
    std::string standby_dsn() const {
        return "host=127.0.0.1 port=" + std::to_string(standby_.port) +
               " dbname=signet user=signet";
    }
    // The failover: the primary stopped hard (no shutdown checkpoint, sessions cut), the
    // standby promoted and waited for.
    void fail_over() {
        run({bin("pg_ctl"), "stop", "-D", primary_.data.string(), "-m", "immediate", "-w"});
        run({bin("pg_ctl"), "promote", "-D", standby_.data.string(), "-w"});
    }

  private:
    std::string bin(const char* program) const { return (bin_dir_ / program).string(); }
    const store::Identity* identity() const { return as_ ? &*as_ : nullptr; }
    void run(const std::vector<std::string>& argv) const {
        const auto result = store::run_program(argv, identity());
        BOOST_REQUIRE_MESSAGE(result.exit_code == 0, argv[0] << ": " << result.output);
    }
    void append(const Server& s, const std::string& settings) const {
        store::make_directory_for(run_dir(s), as_);
        std::ofstream conf(s.data / "postgresql.conf", std::ios::app);
        conf << "\nlisten_addresses = '127.0.0.1'\nport = " << s.port
             << "\nunix_socket_directories = '" << run_dir(s).string() << "'\n"
             << settings;
    }
    // The server's socket and log: a directory of the server's user (the base is root's).
    fs::path run_dir(const Server& s) const {
        return base_ / (s.data.filename().string() + "-run");
    }
    void start(const Server& s) const {
        run({bin("pg_ctl"), "start", "-D", s.data.string(), "-l",
             (run_dir(s) / "server.log").string(), "-w", "-t", "120"});
    }
    std::string query(const Server& s, const std::string& sql) const {
        store::Database db({.dsn = "host=127.0.0.1 port=" + std::to_string(s.port) +
                                   " dbname=postgres user=signet",
                            .pool_size = 1});
        return db.with_connection([&](store::Connection& c) {
            const auto rows = c.exec(sql);
            return rows.empty() ? std::string() : std::string(rows[0][0].text());
        });
    }
    void exec(const Server& s, const std::string& sql) const { query(s, sql); }

    TempDir base_{"signet-replicas"};
    fs::path bin_dir_ = store::find_bin_dir({});
    std::optional<store::Identity> as_ = store::cluster_user(base_ / "primary");
    Server primary_{};
    Server standby_{};
};

// What one reply was.
enum class Outcome { granted, refused, other };

Outcome judge(const HttpResponse& reply, std::string& serial) {
    if (reply.status != 200)
        return Outcome::other;
    serial = tsa_serial_hex(reply.body);
    if (!serial.empty())
        return Outcome::granted;
    const auto* p = reinterpret_cast<const unsigned char*>(reply.body.data());
    signet::TsRespPtr response(d2i_TS_RESP(nullptr, &p, static_cast<long>(reply.body.size())));
    if (!response)
        return Outcome::other;
    const TS_STATUS_INFO* status = TS_RESP_get_status_info(response.get());
    const ASN1_BIT_STRING* failure = TS_STATUS_INFO_get0_failure_info(status);
    // RFC 3161 §2.4.2: status rejection (2), failInfo systemFailure (25).
    return ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(status)) == 2 && failure != nullptr &&
                   ASN1_BIT_STRING_get_bit(failure, 25) == 1
               ? Outcome::refused
               : Outcome::other;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(standby)

BOOST_AUTO_TEST_CASE(promotion_under_load_keeps_every_acknowledged_token) {
    ReplicaSet replicas;
    const std::uint16_t https_port = free_port();
    SignetdProcess node(
        SignetdOptions{.extra_yaml = "tsa:\n  allow_unsynchronized_clock: true\n"
                                     // short waits: a request during the switch is refused promptly
                                     "database:\n  dsn: \"" +
                                     replicas.dsn() +
                                     "\"\n  wait_ms: 2000\n"
                                     "  connect_timeout_ms: 2000\n" +
                                     contract_flow_yaml(),
                       .extra_listeners = contract_flow_https_listener(https_port),
                       .database_dsn = ""});
    prepare_contract_flow(node);
    const PlatformClient platform(node, https_port);
    const auto pdf = make_contract_pdf(node.dir());
    node.start();

    std::mutex mutex;
    std::vector<std::string> granted;
    std::size_t refused = 0;
    std::vector<std::string> wrong;
    std::atomic<bool> promoted{false};
    std::atomic<int> granted_after{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
        clients.emplace_back([&] {
            while (!stop) {
                const bool after = promoted;
                const auto reply = http_request(node.http_port(), "POST", "/tsa", tsa_query(),
                                                "application/timestamp-query");
                std::string serial;
                const Outcome outcome = judge(reply, serial);
                std::lock_guard lock(mutex);
                if (outcome == Outcome::granted) {
                    granted.push_back(serial);
                    if (after)
                        ++granted_after;
                } else if (outcome == Outcome::refused) {
                    ++refused;
                } else {
                    wrong.push_back("HTTP " + std::to_string(reply.status) + ": " +
                                    reply.body.substr(0, 200));
                }
            }
        });
    }
    // The front end: a person registered (verified, certificate, TOTP), a contract submitted
    // and signed, over and over. A step that fails abandons the round (its TOTP code may be
    // spent); the next round starts with a new person.
    std::vector<Signature> signatures;
    std::vector<std::string> certificates;
    std::size_t flow_refused = 0;
    std::vector<std::string> flow_wrong;
    std::atomic<int> signed_after{0};
    clients.emplace_back([&] {
        while (!stop) {
            const bool after = promoted;
            std::optional<ApiAnswer> last;
            try {
                const Party party = platform.register_party("Standby Signer", &last);
                {
                    std::lock_guard lock(mutex);
                    certificates.push_back(party.certificate_serial);
                }
                const std::string id = platform.submit_contract(pdf, {party}, &last);
                const Signature signature = platform.sign(id, 1, party, &last);
                std::lock_guard lock(mutex);
                signatures.push_back(signature);
                if (after)
                    ++signed_after;
            } catch (const std::exception& e) {
                std::lock_guard lock(mutex);
                if (last && last->refused())
                    ++flow_refused;
                else
                    flow_wrong.push_back(e.what());
            }
        }
    });
    auto wait_for = [&](auto condition) {
        for (int i = 0; i < 1200 && !condition(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    };
    wait_for([&] {
        std::lock_guard lock(mutex);
        return granted.size() >= 100 && !signatures.empty();
    });
    replicas.fail_over();
    promoted = true;
    // signetd finds the new primary by itself: tokens and signatures again, from every client
    // (one contract a phase is enough to show it and keeps the suite's time in CI small; the
    // round in flight during the switch is the one that may be refused).
    wait_for([&] { return granted_after >= 100 && signed_after >= 1; });
    stop = true;
    for (auto& client : clients)
        client.join();

    BOOST_TEST_MESSAGE(granted.size() << " tokens granted (" << granted_after
                                      << " after the promotion), " << refused << " refused");
    BOOST_CHECK_GE(granted_after.load(), 100);
    for (const auto& answer : wrong)
        BOOST_ERROR("neither a token nor a clear refusal: " << answer);
    BOOST_TEST_MESSAGE(signatures.size()
                       << " contracts signed (" << signed_after << " after the promotion), "
                       << flow_refused << " rounds refused");
    BOOST_CHECK_GE(signed_after.load(), 1);
    for (const auto& failure : flow_wrong)
        BOOST_ERROR("the front end got neither an answer nor a clear refusal: " << failure);

    std::set<std::string> stored;
    store::Database promoted_db({.dsn = replicas.standby_dsn(), .pool_size = 1});
    promoted_db.with_connection([&](store::Connection& c) {
        const auto recovering = c.exec("SELECT pg_is_in_recovery()::text AS r");
        BOOST_CHECK_EQUAL(recovering[0]["r"].as<std::string>(), "false");
        const auto rows = c.exec("SELECT encode(serial, 'hex') AS serial FROM tsa_tokens");
        for (std::size_t i = 0; i < rows.size(); ++i)
            stored.insert(rows[i]["serial"].as<std::string>());
    });
    std::size_t lost = 0;
    for (const auto& serial : granted)
        lost += stored.contains(serial) ? 0 : 1;
    BOOST_CHECK_MESSAGE(lost == 0, lost << " acknowledged tokens are not on the promoted side");

    // Every signature and certificate the front end was told of, read back through signetd,
    // which now runs on the promoted cluster alone (the old primary is down).
    for (const auto& signature : signatures) {
        const std::string missing = platform.holds(signature);
        BOOST_CHECK_MESSAGE(missing.empty(), "not on the promoted side: " << missing);
    }
    for (const auto& serial : certificates) {
        const ApiAnswer answer = platform.get("/v1/certificates/" + serial);
        BOOST_CHECK_MESSAGE(answer.ok() && answer.json()["status"] == "issued",
                            "certificate " << serial << ": " << answer.describe());
    }
    BOOST_CHECK_EQUAL(node.stop(), 0);
}

BOOST_AUTO_TEST_SUITE_END()
