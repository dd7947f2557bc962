// The restore drill (issue 14, docs/evidence.md "Backup, restore and standby"): a signetd node
// on its embedded cluster, WAL archived into two pgBackRest repositories standing for two
// sites; a contract signed by two parties through the API (contract_flow.hpp) and a full
// backup, then tokens and audit events, a differential backup while signetd runs, another
// two-party contract, more tokens and events; the data directory destroyed; `signetctl restore
// --latest --repo 2`; and every acknowledged token, event and signature is back: the audit log
// verifies whole (`signetctl audit verify` too), the restored signetd shows both contracts with
// every signature the client received, and each contract's evidence package downloaded from it
// passes `signetctl evidence verify --root`.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audit/log.hpp"
#include "common/clock.hpp"
#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "tests/integration/contract_flow.hpp"
#include "tests/integration/tsa_client.hpp"
#include "tests/support/signetd.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet::testing;

namespace {

// `count` tokens from the node; the serials of those granted (200 and a token).
std::vector<std::string> issue_tokens(const SignetdProcess& node, int count) {
    std::vector<std::string> serials;
    for (int i = 0; i < count; ++i) {
        const auto reply = http_request(node.http_port(), "POST", "/tsa", tsa_query(),
                                        "application/timestamp-query");
        BOOST_REQUIRE_EQUAL(reply.status, 200);
        const std::string serial = tsa_serial_hex(reply.body);
        BOOST_REQUIRE(!serial.empty());
        serials.push_back(serial);
    }
    return serials;
}

// Events recorded (committed) through the log's own interface, as a service would.
void record_events(const std::filesystem::path& state_dir, const std::string& what, int count) {
    signet::store::Database db(
        {.dsn = signet::store::EmbeddedPostgres::dsn_for(state_dir), .pool_size = 1});
    signet::SystemClock clock;
    signet::audit::PostgresAuditLog log(db, clock);
    for (int i = 0; i < count; ++i)
        log.record({.type = "drill." + what,
                    .actor = "operator:drill",
                    .object = "drill:" + std::to_string(i),
                    .details = {{"n", i}}});
}

// The audit log's size on the embedded cluster signetd runs.
std::int64_t audit_size(const std::filesystem::path& state_dir) {
    signet::store::Database db(
        {.dsn = signet::store::EmbeddedPostgres::dsn_for(state_dir), .pool_size = 1});
    signet::SystemClock clock;
    return signet::audit::PostgresAuditLog(db, clock).size();
}

// The serials in tsa_tokens of the embedded cluster under `state_dir`, started for the query.
std::set<std::string> token_serials(const std::filesystem::path& state_dir) {
    signet::store::EmbeddedPostgres cluster({.state_dir = state_dir});
    signet::store::Database db({.dsn = cluster.dsn(), .pool_size = 1});
    std::set<std::string> stored;
    db.with_connection([&](signet::store::Connection& c) {
        const auto rows = c.exec("SELECT encode(serial, 'hex') AS serial FROM tsa_tokens");
        for (std::size_t i = 0; i < rows.size(); ++i)
            stored.insert(rows[i]["serial"].as<std::string>());
    });
    return stored;
}

CommandResult signetctl(const SignetdProcess& node, std::vector<std::string> words) {
    return signetctl_for(node, std::move(words));
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backup_drill)

BOOST_AUTO_TEST_CASE(restore_from_the_second_site_loses_nothing_acknowledged) {
    // Two repositories, two "sites": directories PostgreSQL's user (root runs it as postgres)
    // can reach.
    TempDir sites("signet-sites");
    std::filesystem::permissions(sites.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    const std::uint16_t https_port = free_port();
    SignetdProcess node(
        SignetdOptions{.extra_yaml = "tsa:\n  allow_unsynchronized_clock: true\n"
                                     "backup:\n  stanza: drill\n  repositories:\n"
                                     "    - {type: posix, path: " +
                                     (sites / "site-a").string() +
                                     "}\n"
                                     "    - {type: posix, path: " +
                                     (sites / "site-b").string() + "}\n" + contract_flow_yaml(),
                       .extra_listeners = contract_flow_https_listener(https_port)});
    prepare_contract_flow(node);
    const PlatformClient platform(node, https_port);
    const auto pdf = make_contract_pdf(node.dir());

    // A contract both parties signed, acknowledged to the client before the first backup.
    node.start();
    std::vector<Signature> signatures = platform.sign_contract(pdf, 2);
    const std::string first_contract = signatures.front().contract_id;
    BOOST_REQUIRE_EQUAL(node.stop(), 0);

    // The first backup, signetd stopped: signetctl runs the cluster, turns archiving on
    // (a restart, once), creates the stanza and backs up into both repositories.
    const auto full = signetctl(node, {"backup"});
    BOOST_REQUIRE_MESSAGE(full.exit_code == 0, full.output);
    BOOST_CHECK_MESSAGE(contains(full.output, "restarting the embedded PostgreSQL"), full.output);
    BOOST_CHECK(contains(full.output, "repository 1: full backup... done"));
    BOOST_CHECK(contains(full.output, "repository 2: full backup... done"));

    node.start();
    std::vector<std::string> acknowledged = issue_tokens(node, 10);
    record_events(node.state_dir(), "after_full", 5);
    const std::vector<std::string> before_mid = acknowledged;
    const std::int64_t size_at_mid = audit_size(node.state_dir());
    // A point in time between the two batches, a second clear of both (commit times and the
    // recovery target compare at microseconds; the second is for the clocks' reading).
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    const std::string mid = signet::format_utc(signet::SystemClock().now());
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));

    // Restore is refused while signetd runs on the cluster, and changes nothing.
    const auto refused = signetctl(node, {"restore", "--latest"});
    BOOST_CHECK_EQUAL(refused.exit_code, 7);
    BOOST_CHECK_MESSAGE(contains(refused.output, "is in use by another Signet process"),
                        refused.output);
    BOOST_CHECK(std::filesystem::exists(node.state_dir() / "postgres" / "PG_VERSION"));

    // A differential backup while signetd runs the cluster (through its socket).
    const auto diff = signetctl(node, {"backup", "--type", "diff"});
    BOOST_REQUIRE_MESSAGE(diff.exit_code == 0, diff.output);
    BOOST_CHECK(contains(diff.output, "repository 2: diff backup... done"));

    // After the last backup: a second contract signed by both parties (only the archived WAL
    // holds it), then more tokens and events.
    const auto later = platform.sign_contract(pdf, 2);
    signatures.insert(signatures.end(), later.begin(), later.end());
    const std::string later_contract = later.front().contract_id;
    const auto more = issue_tokens(node, 10);
    acknowledged.insert(acknowledged.end(), more.begin(), more.end());
    record_events(node.state_dir(), "after_diff", 5);

    // A clean stop archives the last WAL segment (PostgreSQL switches segments at shutdown when
    // archiving). What the log holds then, signetd's own last events included: its size and
    // last leaf.
    BOOST_REQUIRE_EQUAL(node.stop(), 0);
    std::int64_t size_before = 0;
    signet::audit::LeafHash last_before{};
    {
        signet::store::EmbeddedPostgres cluster({.state_dir = node.state_dir()});
        signet::store::Database db({.dsn = cluster.dsn(), .pool_size = 1});
        signet::SystemClock clock;
        signet::audit::PostgresAuditLog log(db, clock);
        size_before = log.size();
        last_before = log.read(size_before, size_before).at(0).leaf_hash;
    }
    BOOST_REQUIRE_GT(size_before, 10);

    // The disaster: the data directory is gone.
    std::filesystem::remove_all(node.state_dir() / "postgres");

    const auto restore = signetctl(node, {"restore", "--latest", "--repo", "2"});
    BOOST_REQUIRE_MESSAGE(restore.exit_code == 0, restore.output);
    BOOST_TEST_MESSAGE(restore.output);
    BOOST_CHECK(contains(restore.output, "restoring from repository 2"));
    BOOST_CHECK(contains(restore.output, "audit log: " + std::to_string(size_before) + " events"));
    BOOST_CHECK(contains(restore.output, "audit log verified"));
    BOOST_CHECK(contains(restore.output, "audit tree verified"));
    BOOST_CHECK(contains(restore.output,
                         "recorded audit.restored after event #" + std::to_string(size_before)));

    // Every acknowledged token and event is on the restored cluster, the log verifies whole.
    const std::set<std::string> stored = token_serials(node.state_dir());
    for (const auto& serial : acknowledged)
        BOOST_CHECK_MESSAGE(stored.contains(serial), "token " << serial << " was lost");
    {
        signet::store::EmbeddedPostgres cluster({.state_dir = node.state_dir()});
        signet::store::Database db({.dsn = cluster.dsn(), .pool_size = 1});
        signet::SystemClock clock;
        signet::audit::PostgresAuditLog log(db, clock);
        // Everything the log held, then the restore's own event.
        BOOST_CHECK_EQUAL(log.size(), size_before + 1);
        BOOST_CHECK(log.read(size_before, size_before).at(0).leaf_hash == last_before);
        const auto restored = log.read(size_before + 1, size_before + 1);
        BOOST_REQUIRE_EQUAL(restored.size(), 1u);
        BOOST_CHECK_EQUAL(restored.front().event.type, "audit.restored");
        BOOST_CHECK_EQUAL(restored.front().event.details.value("last_event_before", -1),
                          size_before);
        BOOST_CHECK(signet::audit::verify(log).ok());
    }

    // The restored node serves again: every signature the client received is there, each
    // contract's evidence package verifies offline against the root alone.
    node.start();
    for (const auto& signature : signatures) {
        const std::string missing = platform.holds(signature);
        BOOST_CHECK_MESSAGE(missing.empty(), "a signature was lost: " << missing);
    }
    for (const auto& id : {first_contract, later_contract}) {
        const auto verdict = platform.verify_evidence(id, node.dir() / ("evidence-" + id + ".zip"));
        BOOST_TEST_MESSAGE(verdict.output);
        BOOST_CHECK_MESSAGE(verdict.exit_code == 0,
                            "evidence of contract " << id << ": " << verdict.output);
    }
    issue_tokens(node, 1);
    BOOST_REQUIRE_EQUAL(node.stop(), 0);
    const auto audit = signetctl(node, {"audit", "verify"});
    BOOST_CHECK_MESSAGE(audit.exit_code == 0 && contains(audit.output, "the audit log is intact"),
                        audit.output);

    // The new timeline is archived and backed up.
    const auto after = signetctl(node, {"backup", "--type", "incr"});
    BOOST_CHECK_MESSAGE(after.exit_code == 0, after.output);
    const auto info = signetctl(node, {"backup", "info"});
    BOOST_CHECK_MESSAGE(info.exit_code == 0 && contains(info.output, "stanza: drill"), info.output);

    // Point-in-time: back to `mid`, from the first site: the first batch is there, the second
    // is not, and the log is the one of that moment.
    const auto pitr = signetctl(node, {"restore", "--target-time", mid, "--repo", "1"});
    BOOST_REQUIRE_MESSAGE(pitr.exit_code == 0, pitr.output);
    BOOST_CHECK(contains(pitr.output, "audit log: " + std::to_string(size_at_mid) + " events"));
    const std::set<std::string> at_mid = token_serials(node.state_dir());
    for (const auto& serial : before_mid)
        BOOST_CHECK_MESSAGE(at_mid.contains(serial),
                            "token " << serial << " is missing at " << mid);
    for (const auto& serial : more)
        BOOST_CHECK_MESSAGE(!at_mid.contains(serial),
                            "token " << serial << " is from after " << mid);
}

BOOST_AUTO_TEST_SUITE_END()
